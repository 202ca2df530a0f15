"""One-time tokens of the public request form: a double click, a reload of the answer or a replayed
POST sends the same token again, and the second submission is refused instead of putting the same
missing person twice in the caseworkers' queue.

Issuing a token writes nothing (it is a signed random nonce with its time, so an anonymous visitor who
opens the form a thousand times costs no row); spending one writes a :class:`SpentFormToken` row in
the transaction that stores the request, whose unique nonce refuses a second spend even from two
workers at once. A token is good for ``KINLINK_FORM_TOKEN_MAX_AGE`` seconds (default a day).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from kinlink.portal.models import SpentFormToken
from kinlink.registry.models import TracingRequest

_SALT = "kinlink.portal.request-form"


class TokenState(Enum):
    FRESH = "fresh"
    SPENT = "spent"
    INVALID = "invalid"  # missing, forged or expired


def issue() -> str:
    return signing.dumps(secrets.token_hex(16), salt=_SALT, compress=False)


def _nonce(token: str) -> str | None:
    try:
        value = signing.loads(token, salt=_SALT, max_age=settings.KINLINK_FORM_TOKEN_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    return value if isinstance(value, str) and len(value) == 32 else None


def state(token: str) -> TokenState:
    nonce = _nonce(token)
    if nonce is None:
        return TokenState.INVALID
    return TokenState.SPENT if SpentFormToken.objects.filter(nonce=nonce).exists() else TokenState.FRESH


def spent_for(token: str) -> TracingRequest | None:
    """The request a spent token stored (None when the token is unknown or stored nothing)."""
    nonce = _nonce(token)
    spent = SpentFormToken.objects.filter(nonce=nonce).select_related("tracing_request").first()
    return spent.tracing_request if spent is not None else None


class TokenSpent(Exception):
    """The token was spent already (by a concurrent submission of the same form)."""


def spend(token: str, tracing_request: TracingRequest) -> None:
    """Record the token as spent for ``tracing_request``; call inside the transaction that stores the
    request. Raises :class:`TokenSpent` when it was spent meanwhile (the transaction must roll back)."""
    nonce = _nonce(token)
    if nonce is None:
        raise TokenSpent(token)
    try:
        with transaction.atomic():
            SpentFormToken.objects.create(nonce=nonce, tracing_request=tracing_request)
    except IntegrityError as exc:
        raise TokenSpent(token) from exc
    # Tokens older than their lifetime can never be sent again: their rows are no longer needed.
    horizon = timezone.now() - timedelta(seconds=settings.KINLINK_FORM_TOKEN_MAX_AGE + 3600)
    SpentFormToken.objects.filter(spent_at__lt=horizon).delete()
