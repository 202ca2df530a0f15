"""Rate limits and lockouts of the public forms, counted in the database.

A count lives in one row per (scope, subject): the scope names the form or the check (``request-form``,
``follow-check``), the subject what is counted (a client address from
:func:`kinlink.portal.clientip.client_ip`, a request number). Every web worker and every restart sees the
same count. The row's key is an HMAC of scope and subject under the secret key, so the table holds no
address or request number in the clear.

A :class:`Limit` of ``count`` per ``window`` seconds allows ``count`` events in a window that starts at the
first event; the next one is refused until the window ends. A lockout (``lock_seconds``) instead pauses the
subject for that long from the moment the limit is reached. Limits come from the settings
(``KINLINK_RATE_*``, docs/operator.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kinlink.portal.models import RateCounter

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: Rows untouched for this long are deleted now and then (longer than any window or lockout in use).
STALE_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class Limit:
    """``count`` events per ``window`` seconds; with ``lock_seconds``, reaching the limit pauses the
    subject for that long."""

    count: int
    window: int
    lock_seconds: int = 0

    @classmethod
    def parse(cls, text: str) -> Limit:
        """``"10/h"``, ``"30/10m"``, ``"5/30s"``: events per window (s, m, h, d)."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", text)
        if match is None:
            raise ValueError(f"{text!r} is not a rate such as 10/h or 30/10m")
        return cls(count=int(match[1]), window=int(match[2] or 1) * _UNITS[match[3]])


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    #: when the subject may try again (None while allowed)
    retry_at: datetime | None = None


def _key(scope: str, subject: str) -> str:
    message = f"{scope}\x00{subject}".encode()
    return hmac.new(f"kinlink-rate:{settings.SECRET_KEY}".encode(), message, hashlib.sha256).hexdigest()


def _counter(key: str, now: datetime) -> RateCounter:
    """The row under ``key``, locked for this transaction (created at zero when absent)."""
    counter = RateCounter.objects.select_for_update().filter(key=key).first()
    if counter is not None:
        return counter
    try:
        with transaction.atomic():
            return RateCounter.objects.create(key=key, window_start=now, count=0, updated=now)
    except IntegrityError:  # another worker created it meanwhile
        return RateCounter.objects.select_for_update().get(key=key)


def _blocked_until(counter: RateCounter, limit: Limit, now: datetime) -> datetime | None:
    if counter.locked_until is not None and counter.locked_until > now:
        return counter.locked_until
    if not limit.lock_seconds and counter.count >= limit.count:
        end = counter.window_start + timedelta(seconds=limit.window)
        if end > now:
            return end
    return None


def hit(scope: str, subject: str, limit: Limit) -> Verdict:
    """Count one event; whether it is allowed. A refused event is not counted again (a client hammering
    a closed door does not extend its own wait)."""
    now = timezone.now()
    with transaction.atomic():
        counter = _counter(_key(scope, subject), now)
        blocked = _blocked_until(counter, limit, now)
        if blocked is not None:
            return Verdict(False, counter.count, blocked)
        if counter.window_start + timedelta(seconds=limit.window) <= now or counter.locked_until is not None:
            counter.window_start, counter.count, counter.locked_until = now, 0, None
        counter.count += 1
        if limit.lock_seconds and counter.count >= limit.count:
            counter.locked_until = now + timedelta(seconds=limit.lock_seconds)
        counter.updated = now
        counter.save()
    if now.second == 0:  # about once a minute of traffic: forget what no window remembers
        RateCounter.objects.filter(updated__lt=now - STALE_AFTER).delete()
    return Verdict(True, counter.count)


def check(scope: str, subject: str, limit: Limit) -> Verdict:
    """Whether an event would be allowed now, without counting it."""
    now = timezone.now()
    counter = RateCounter.objects.filter(key=_key(scope, subject)).first()
    if counter is None:
        return Verdict(True, 0)
    blocked = _blocked_until(counter, limit, now)
    return Verdict(blocked is None, counter.count, blocked)


def clear(scope: str, subject: str) -> None:
    """Forget the count (a right code ends the count of wrong ones)."""
    RateCounter.objects.filter(key=_key(scope, subject)).delete()


def limit_from_settings(name: str) -> Limit:
    """The limit ``settings.KINLINK_RATE_LIMITS[name]`` (a rate such as ``"10/h"``)."""
    return Limit.parse(settings.KINLINK_RATE_LIMITS[name])
