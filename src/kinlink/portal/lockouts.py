"""Sign-in lockouts (django-axes), keyed so that a stranger cannot lock a named caseworker out everywhere:
failures count per (user name, address) pair, with ``AXES_FAILURE_LIMIT``, and per address over every user
name, with the larger ``KINLINK_LOGIN_ADDRESS_FAILURE_LIMIT``. Addresses come through the proxy
configuration (:func:`kinlink.portal.signin.client_address`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone


def _failures(attempts: Any) -> int:
    return int(attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0)


class LockoutHandler(AxesDatabaseHandler):
    """``AXES_LOCKOUT_PARAMETERS`` is ``[["username", "ip_address"], "ip_address"]``: the pair's failures
    count against the user limit, the address's against the address limit. Axes compares one number with
    one limit, so the address's failures are scaled to the user limit."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        attempts = self.get_user_attempts(request, credentials)
        limit = get_failure_limit(request, credentials)
        pair = _failures(attempts[0]) if attempts else 0
        address = _failures(attempts[1]) if len(attempts) > 1 else 0
        return max(pair, address * limit // max(settings.KINLINK_LOGIN_ADDRESS_FAILURE_LIMIT, 1))

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """A successful sign-in forgives the user's own failures from this address, not the address's
        failures on other user names (else one good account would wipe an address's guessing)."""
        attempts = self.filter_user_attempts(request, credentials)
        if not attempts:
            return 0
        count, _ = attempts[0].delete()
        return int(count)


@dataclass(frozen=True)
class Lockout:
    """A lock in force: of a user name from one address, or of an address for every user name."""

    username: str  # empty for an address lock
    ip_address: str
    failures: int
    last_attempt: dt.datetime


def _recent() -> Any:
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return AccessAttempt.objects.filter(attempt_time__gte=since)


def current_lockouts() -> list[Lockout]:
    """Every lock now in force (within the cool-off time), user locks first, most recent first."""
    recent = _recent()
    pairs = (
        recent.values("username", "ip_address")
        .annotate(n=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(n__gte=settings.AXES_FAILURE_LIMIT)
    )
    addresses = (
        recent.values("ip_address")
        .annotate(n=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(n__gte=settings.KINLINK_LOGIN_ADDRESS_FAILURE_LIMIT)
    )
    users = [Lockout(r["username"] or "", r["ip_address"] or "", r["n"], r["last"]) for r in pairs]
    ips = [Lockout("", r["ip_address"] or "", r["n"], r["last"]) for r in addresses]
    return sorted(users, key=lambda x: x.last_attempt, reverse=True) + sorted(
        ips, key=lambda x: x.last_attempt, reverse=True
    )
