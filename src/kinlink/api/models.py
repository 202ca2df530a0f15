"""API tokens: one organisation each, a set of scopes, stored as a SHA-256 hash only.

A token is ``kl_<prefix>_<secret>``; the prefix finds the row, the hash of the whole token proves it.
The plain token is shown once, when it is created, and never stored.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinlink.registry.models import Organisation


class Scope(models.TextChoices):
    READ_CASES = "read:cases", _("read cases, persons, requests, claims, sources, remains")
    WRITE_CLAIMS = "write:claims", _("add sources and claims")
    LAB_UPLOAD = "lab:upload", _("read samples and upload DNA profiles")


def hash_token(token: str) -> str:
    return hashlib.sha256(("kinlink-api-token:" + token).encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.organisation.slug}:{self.name} ({self.prefix})"

    @classmethod
    def issue(
        cls, organisation: Organisation, name: str, scopes: list[str], **extra: object
    ) -> tuple[ApiToken, str]:
        """Create a token; returns the row and the plain token, which is never shown again."""
        unknown = sorted(set(scopes) - set(Scope.values))
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(unknown)} (known: {', '.join(Scope.values)})")
        prefix = secrets.token_hex(4)
        token = f"kl_{prefix}_{secrets.token_urlsafe(32)}"
        row = cls.objects.create(
            organisation=organisation,
            name=name,
            prefix=prefix,
            token_hash=hash_token(token),
            scopes=sorted(set(scopes)),
            **extra,
        )
        return row, token

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def find_token(token: str) -> ApiToken | None:
    """The active token row for a presented token, comparing hashes in constant time."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "kl":
        return None
    row = ApiToken.objects.select_related("organisation").filter(prefix=parts[1]).first()
    if row is None or not secrets.compare_digest(row.token_hash, hash_token(token)) or not row.is_active:
        return None
    return row
