"""The API app's actions: issuing and revoking partner tokens, audited. ``kinlink api-token`` is their
adapter (tokens are made by an operator on the command line, never over the API itself)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from kinlink.api.models import ApiToken
from kinlink.registry.models import Organisation
from kinlink.registry.services import audit


def issue_token(
    actor: Any, organisation: Organisation, name: str, scopes: list[str], *, label: str = "", **extra: Any
) -> tuple[ApiToken, str]:
    """A new token for ``organisation``; returns the row and the plain token, which is never shown again.
    An unknown scope is refused with ``ValueError``."""
    with transaction.atomic():
        row, token = ApiToken.issue(organisation, name, scopes, **extra)
        audit.record(actor, "create_api_token", row, label=label, scopes=row.scopes)
    return row, token


def revoke_token(actor: Any, row: ApiToken, *, label: str = "") -> ApiToken:
    """Revoke a token from now on (a revoked token stays on record)."""
    with transaction.atomic():
        if row.revoked_at is None:
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
            audit.record(actor, "revoke_api_token", row, label=label)
    return row
