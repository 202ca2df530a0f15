"""The portal's own records: the thread with the family, released updates, case tasks and notes.

Nothing here holds a fate: news reaches a family only as a :class:`FamilyUpdate` that a caseworker
wrote in their own words and released. The family never sees raw claim text.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinlink.registry.models import Case, TracingRequest


class FamilyMessage(models.Model):
    """One message between a family and the caseworkers, on one tracing request."""

    tracing_request = models.ForeignKey(TracingRequest, on_delete=models.CASCADE, related_name="messages")
    from_family = models.BooleanField(default=True)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created", "id")
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return (
            f"{self.tracing_request} {'family' if self.from_family else 'caseworker'} {self.created:%Y-%m-%d}"
        )


class FamilyUpdate(models.Model):
    """What the family may see about the search, written and released by a caseworker."""

    tracing_request = models.ForeignKey(TracingRequest, on_delete=models.CASCADE, related_name="updates")
    body = models.TextField(_("update for the family"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("released_at", "id")
        verbose_name = _("update for the family")
        verbose_name_plural = _("updates for the family")

    def __str__(self) -> str:
        return f"{self.tracing_request} {self.released_at:%Y-%m-%d}"


class CaseTask(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=300)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("done_at", "due_on", "id")
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField(_("note"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created", "-id")
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.body[:60]
