"""The portal's actions: lifting a staff sign-in lockout (accounts are not domain transitions, but that is
an administrator's decision and is audited like one), and the family's private follow-up link and the
pause of a request's code check after too many wrong codes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinlink.portal.models import FollowLink
from kinlink.registry.actions import FAMILY_WEB_FORM
from kinlink.registry.models import TracingRequest
from kinlink.registry.services import audit


class UnknownAccount(LookupError):
    """No account has the user name given."""


@dataclass(frozen=True)
class Unlocked:
    username: str
    attempts_cleared: int
    devices_reset: int


@transaction.atomic
def unlock_account(username: str, *, label: str = "cli") -> Unlocked:
    """Lift a sign-in lockout: clear django-axes' failed attempts for the user name (from every address)
    and reset the throttle of the user's TOTP devices. Appends one audit entry."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise UnknownAccount(username)
    cleared = int(axes_reset(username=username) or 0)
    devices = list(TOTPDevice.objects.filter(user=user))
    for device in devices:
        device.throttle_reset(commit=True)
    audit.record(
        None,
        audit.Action.UNLOCK_ACCOUNT,
        user,
        object_type="user",
        label=label,
        attempts_cleared=cleared,
        devices_reset=len(devices),
    )
    return Unlocked(username=username, attempts_cleared=cleared, devices_reset=len(devices))


# --- the family's private follow-up link ---------------------------------------------------------------

#: How the audit trail names a family that signed in with its one-time private link.
FAMILY_PRIVATE_LINK = "family (private link)"


def _link_hash(token: str) -> str:
    return hashlib.sha256(("kinlink-follow-link:" + token.strip()).encode()).hexdigest()


@transaction.atomic
def issue_follow_link(tracing_request: TracingRequest, *, label: str = FAMILY_WEB_FORM) -> str:
    """A one-time private link token for the request (only its hash is stored); shown once to the family.
    It signs them in once, within ``KINLINK_FOLLOW_LINK_DAYS``; then the request number and code do.
    Appends one audit entry."""
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    FollowLink.objects.create(
        token_hash=_link_hash(token),
        tracing_request=tracing_request,
        created=now,
        expires=now + timedelta(days=settings.KINLINK_FOLLOW_LINK_DAYS),
    )
    audit.record(None, audit.Action.ISSUE_FOLLOW_LINK, tracing_request, label=label)
    return token


@transaction.atomic
def open_follow_link(token: str) -> TracingRequest | None:
    """Spend a private link: its request when the token is known, unused and unexpired, else None (one
    answer for every kind of wrong link). Appends one audit entry (a family sign-in) when it opens."""
    link = (
        FollowLink.objects.select_for_update()
        .filter(token_hash=_link_hash(token), used_at__isnull=True, expires__gt=timezone.now())
        .select_related("tracing_request")
        .first()
    )
    if link is None:
        return None
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    audit.record(None, audit.Action.FAMILY_SIGN_IN, link.tracing_request, label=FAMILY_PRIVATE_LINK)
    return link.tracing_request


# --- the family-code lockout ---------------------------------------------------------------------------


def pause_family_code_check(number: str, until: datetime) -> None:
    """Record that wrong access codes paused the code check of request ``number`` until ``until``. The
    pause itself is the count in :mod:`kinlink.portal.ratelimit` (it applies to numbers that exist and to
    numbers that do not alike); this appends the audit entry, on the request when it exists."""
    tracing_request = TracingRequest.objects.filter(number=number).first()
    audit.record(
        None,
        audit.Action.PAUSE_FAMILY_CODE_CHECK,
        tracing_request,
        object_type="" if tracing_request is not None else "tracingrequest",
        object_id="" if tracing_request is not None else "?",
        label="rate limit",
        until=until.isoformat(),
    )
