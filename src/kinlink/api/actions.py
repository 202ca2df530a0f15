"""The API app's actions: issuing and revoking partner tokens, audited. ``kinlink api-token`` is their
adapter (tokens are made by an operator on the command line, never over the API itself)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kinlink.api.models import ApiToken
from kinlink.registry.models import Organisation
from kinlink.registry.services import audit


def issue_token(
    actor: Any,
    organisation: Organisation,
    name: str,
    scopes: list[str],
    *,
    label: str = "",
    days: int | None = None,
    **extra: Any,
) -> tuple[ApiToken, str]:
    """A new token for ``organisation``; returns the row and the plain token, which is never shown again.
    It expires after ``days`` (default ``settings.KINLINK_API_TOKEN_DAYS``); an expired token is refused
    with 401. An unknown scope or a lifetime under one day is refused with ``ValueError``."""
    lifetime = settings.KINLINK_API_TOKEN_DAYS if days is None else days
    if lifetime < 1:
        raise ValueError(f"a token must live at least one day (got {lifetime})")
    extra.setdefault("expires_at", timezone.now() + dt.timedelta(days=lifetime))
    with transaction.atomic():
        row, token = ApiToken.issue(organisation, name, scopes, **extra)
        audit.record(
            actor,
            audit.Action.CREATE_API_TOKEN,
            row,
            label=label,
            scopes=row.scopes,
            expires_at=row.expires_at.isoformat() if row.expires_at else None,
        )
    return row, token


def revoke_token(actor: Any, row: ApiToken, *, label: str = "") -> ApiToken:
    """Revoke a token from now on (a revoked token stays on record)."""
    with transaction.atomic():
        if row.revoked_at is None:
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
            audit.record(actor, audit.Action.REVOKE_API_TOKEN, row, label=label)
    return row
