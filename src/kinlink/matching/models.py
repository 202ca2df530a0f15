"""Candidate "same person" links between two registry persons, proposed by the linkage model.

A link is proposed, then accepted (the persons are merged) or rejected by a caseworker. A rejection
is remembered with the *fingerprint* of the data that was compared, so the pair is not proposed again
unless one of the persons gains new data (a name variant or a list row), as NamUs does with exclusions.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinlink.registry.models import Person


class CandidateLink(models.Model):
    """Two persons the linkage model believes may be one; ``person_a`` always has the lower id."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="links_as_a")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="links_as_b")
    match_probability = models.FloatField(_("match probability"))
    match_weight = models.FloatField(_("match weight"))
    explanation = models.JSONField(
        default=list, help_text=_("Per-field comparison: field, status, level and match weight (log2).")
    )
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("candidate link")
        verbose_name_plural = _("candidate links")
        ordering = ("-match_weight",)
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("person_a", "person_b"), name="one_link_per_pair"),
            models.CheckConstraint(
                condition=models.Q(person_a__lt=models.F("person_b")), name="link_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_a_id} ~ {self.person_b_id} ({self.match_probability:.2f}, {self.status})"
