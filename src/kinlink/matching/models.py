"""Candidate "same person" links between two registry persons, the merges they lead to, and the
registry's trained linkage model.

A link is proposed, then accepted (the persons are merged) or rejected by a caseworker. A rejection
is remembered with the *fingerprint* of the data that was compared, so the pair is not proposed again
unless one of the persons gains new data (a name variant or a list row), as NamUs does with exclusions.
A merge (:class:`PersonMerge`) records every row it moved, so it can be undone exactly; an undone merge
stays on record, and its link is marked "undone" so the pair is not proposed again blindly.
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
        UNDONE = "undone", _("merge undone")

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
        # the links queue: proposed links, strongest first
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["status", "-match_weight"], name="link_status_weight")
        ]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("person_a", "person_b"), name="one_link_per_pair"),
            models.CheckConstraint(
                condition=models.Q(person_a__lt=models.F("person_b")), name="link_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_a_id} ~ {self.person_b_id} ({self.match_probability:.2f}, {self.status})"


class PersonMerge(models.Model):
    """One merge of ``merged`` into ``keep``, with every moved row, so that it can be undone exactly.

    ``moved`` maps each relation (the accessor on Person: ``names``, ``tracing_requests``, ``events``...)
    to the primary keys that were moved from ``merged`` to ``keep``; ``shared`` the many-to-many rows
    ``merged`` had that ``keep`` already had (they were only removed from ``merged``); ``unprimary`` the
    name variants that stopped being primary; ``kept_back`` the duplicate name variants left on the
    merged record; ``filled`` the blank details of ``keep`` filled from ``merged``. Claims are never
    moved: they stay on the merged record, and the registry reads them across the merge group.
    """

    keep = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_undergone")
    link = models.ForeignKey(
        CandidateLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_label = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    moved = models.JSONField(default=dict, blank=True)
    shared = models.JSONField(default=dict, blank=True)
    unprimary = models.JSONField(default=list, blank=True)
    kept_back = models.JSONField(default=dict, blank=True)
    filled = models.JSONField(default=dict, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_by_label = models.CharField(max_length=200, blank=True)
    undo_reason = models.TextField(_("reason for undoing"), blank=True)

    class Meta:
        verbose_name = _("merge of persons")
        verbose_name_plural = _("merges of persons")
        ordering = ("-at", "-pk")

    def __str__(self) -> str:
        state = " (undone)" if self.undone_at else ""
        return f"{self.merged_id} -> {self.keep_id}{state}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class LinkageModel(models.Model):
    """A linkage model trained on the registry: Splink's settings JSON with the m and u probabilities
    and the prior. The latest one scores small inputs (one tracing request, a short list) without
    retraining."""

    created = models.DateTimeField(default=timezone.now)
    records = models.PositiveIntegerField(help_text=_("Records the model was trained on."))
    reason = models.CharField(max_length=300, blank=True)
    parameters = models.JSONField()

    class Meta:
        verbose_name = _("linkage model")
        verbose_name_plural = _("linkage models")
        ordering = ("-created", "-pk")

    def __str__(self) -> str:
        return f"linkage model {self.pk} ({self.records} records, {self.created:%Y-%m-%d})"


class PendingLinkage(models.Model):
    """A person waiting to be linked against the registry (put here by the ``on_person_added`` hook).

    The worker's linkage task takes every waiting person at once, so a burst of tracing requests or a
    long list becomes one linkage run, not one per person; a task that finds nobody waiting does nothing.
    ``person_id`` is a plain number, not a relation, so that merges never move it."""

    person_id = models.PositiveBigIntegerField(unique=True)
    reason = models.CharField(max_length=300, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["queued_at", "id"]

    def __str__(self) -> str:
        return f"person {self.person_id} waiting for linkage ({self.reason})"
