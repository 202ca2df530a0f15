"""The portal's own records are the staff's second factors beside TOTP: recovery codes (stored as hashes)
and passkeys (WebAuthn public keys). The case's thread with the family, released updates, tasks and notes
live in the registry (:mod:`kinlink.registry.models`), where the actions that write them are."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device


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
    objects: ClassVar[models.Manager[RecoveryCode]]

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
