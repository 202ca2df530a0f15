"""The portal's own records are the guards of its public forms: rate counters and lockouts (kept in the
database, so that every web worker sees the same count and a restart resets nothing), the one-time
tokens of the public request form, and the families' one-time private links.

The case's thread with the family, released updates, tasks and notes live in the registry
(:mod:`kinlink.registry.models`), where the actions that write them are."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class RateCounter(models.Model):
    """How often one thing happened in the current window: a form sent from one client address, a wrong
    access code for one request number. ``key`` is a keyed hash of the scope and the subject, so the table
    holds no client address and no request number in the clear (``kinlink.portal.ratelimit``)."""

    key = models.CharField(max_length=64, unique=True)
    window_start = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(default=0)
    #: set when the count reached a lockout's limit: nothing under this key is allowed before then
    locked_until = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:12]}: {self.count}"


class SpentFormToken(models.Model):
    """A one-time token of the public request form that has been used: sending the same form twice (a
    double click, a reload of the answer) is recognised and refused (``kinlink.portal.formtokens``)."""

    nonce = models.CharField(max_length=64, unique=True)
    spent_at = models.DateTimeField(default=timezone.now, db_index=True)
    tracing_request = models.ForeignKey(
        "registry.TracingRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    def __str__(self) -> str:
        return self.nonce[:12]


class FollowLink(models.Model):
    """A family's private follow-up link: a one-time token (only its SHA-256 is stored) that signs the
    family in once, by a POST, and then is spent. It replaces the link that carried the access code."""

    token_hash = models.CharField(max_length=64, unique=True)
    tracing_request = models.ForeignKey(
        "registry.TracingRequest", on_delete=models.CASCADE, related_name="follow_links"
    )
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link for {self.tracing_request_id}"
