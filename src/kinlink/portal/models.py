"""The portal's own records: the guards of its public forms (rate counters and lockouts, kept in the
database, so that every web worker sees the same count and a restart resets nothing; the one-time tokens
of the public request form; the families' one-time private links), and the staff's second factors beside
TOTP (recovery codes, stored as hashes, and passkeys, WebAuthn public keys).

The case's thread with the family, released updates, tasks and notes live in the registry
(:mod:`kinlink.registry.models`), where the actions that write them are."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device


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


def hash_recovery_code(code: str) -> str:
    """SHA-256 of the code as typed, normalised (case, spaces and dashes do not matter). The codes carry
    60 random bits each, so a fast hash suffices (as for API tokens); the plain code is never stored."""
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


class RecoveryCodeDevice(Device):
    """One per user: the set of single-use recovery codes that stand in for the TOTP code. As a django-otp
    device, signing in with a code marks the session as verified like any second factor."""

    class Meta(Device.Meta):
        verbose_name = _("recovery code set")
        verbose_name_plural = _("recovery code sets")

    def verify_token(self, token: str) -> bool:
        """Spends a matching unused code (use :func:`kinlink.portal.actions.sign_in_with_recovery_code`,
        which also audits it)."""
        digest = hash_recovery_code(token)
        return bool(
            RecoveryCode.objects.filter(device=self, digest=digest, used_at__isnull=True).update(
                used_at=timezone.now()
            )
        )


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, db_index=True)
    created = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery code {self.pk} ({'used' if self.used_at else 'unused'})"


class PasskeyDevice(Device):
    """A WebAuthn credential (a passkey or a security key) registered by a staff member."""

    # django-otp's Device is untyped, so the fields of its subclasses carry their types here.
    credential_id: models.BinaryField[bytes, bytes] = models.BinaryField(unique=True)
    public_key: models.BinaryField[bytes, bytes] = models.BinaryField()
    sign_count: models.PositiveBigIntegerField[int, int] = models.PositiveBigIntegerField(default=0)
    created: models.DateTimeField[Any, Any] = models.DateTimeField(default=timezone.now)
    last_used_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)

    class Meta(Device.Meta):
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")

    def verify_token(self, token: str) -> bool:
        return False  # a passkey answers a signed challenge, never a typed code
