"""The portal's actions. Accounts are not domain transitions, but lifting a sign-in lockout (an
administrator's decision), renewing recovery codes, spending one, and registering or removing a passkey are
audited like them; and the family's private follow-up link and the pause of a request's code check after
too many wrong codes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinlink.portal.models import (
    FollowLink,
    PasskeyDevice,
    RecoveryCode,
    RecoveryCodeDevice,
    hash_recovery_code,
)
from kinlink.registry.actions import FAMILY_WEB_FORM
from kinlink.registry.models import TracingRequest
from kinlink.registry.services import audit

#: How many recovery codes a set holds.
RECOVERY_CODE_COUNT = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


class UnknownAccount(LookupError):
    """No account has the user name given."""


@dataclass(frozen=True)
class Unlocked:
    username: str
    attempts_cleared: int
    devices_reset: int


@transaction.atomic
def unlock_account(
    username: str, *, actor: AbstractBaseUser | None = None, label: str = "cli", ip_address: str = ""
) -> Unlocked:
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
        actor,
        audit.Action.UNLOCK_ACCOUNT,
        user,
        object_type="user",
        label="" if actor is not None else label,
        attempts_cleared=cleared,
        devices_reset=len(devices),
        **({"ip": ip_address} if ip_address else {}),
    )
    return Unlocked(username=username, attempts_cleared=cleared, devices_reset=len(devices))


@transaction.atomic
def unlock_address(ip_address: str, *, actor: AbstractBaseUser | None = None, label: str = "cli") -> int:
    """Lift the lock of an address (too many failures over every user name). Appends one audit entry."""
    if not ip_address:
        raise ValueError("no address given")
    cleared = int(axes_reset(ip=ip_address) or 0)
    audit.record(
        actor,
        audit.Action.UNLOCK_ADDRESS,
        object_type="address",
        object_id=ip_address,
        label="" if actor is not None else label,
        attempts_cleared=cleared,
    )
    return cleared


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def recovery_device(user: AbstractBaseUser) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user_id=user.pk, confirmed=True).first()


def unused_recovery_codes(user: AbstractBaseUser) -> int:
    return RecoveryCode.objects.filter(device__user_id=user.pk, used_at__isnull=True).count()


@transaction.atomic
def regenerate_recovery_codes(user: AbstractBaseUser, **context: Any) -> list[str]:
    """A new set of single-use recovery codes for ``user``; the earlier set stops working. Returns the plain
    codes, which are shown once and stored only as hashes."""
    device, _created = RecoveryCodeDevice.objects.get_or_create(
        user_id=user.pk, defaults={"name": "recovery codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(device=device, digest=hash_recovery_code(c)) for c in codes]
    )
    audit.record(
        user, audit.Action.REGENERATE_RECOVERY_CODES, user, object_type="user", count=len(codes), **context
    )
    return codes


@transaction.atomic
def use_recovery_code(user: AbstractBaseUser, code: str, **context: Any) -> RecoveryCodeDevice | None:
    """Spend one of ``user``'s unused recovery codes in place of the TOTP code: the device to sign in with,
    or None when the code is not one of them (or was used before). Appends one audit entry on success."""
    device = recovery_device(user)
    if device is None or not device.verify_token(code):
        return None
    audit.record(
        user,
        audit.Action.USE_RECOVERY_CODE,
        user,
        object_type="user",
        remaining=unused_recovery_codes(user),
        **context,
    )
    return device


@transaction.atomic
def register_passkey(
    user: AbstractBaseUser,
    *,
    name: str,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    **context: Any,
) -> PasskeyDevice:
    """Store a verified WebAuthn credential as a second factor of ``user``. Appends one audit entry."""
    device = PasskeyDevice.objects.create(
        user_id=user.pk,
        name=name[:64] or "passkey",
        confirmed=True,
        credential_id=credential_id,
        public_key=public_key,
        sign_count=sign_count,
    )
    audit.record(user, audit.Action.REGISTER_PASSKEY, device, name=device.name, **context)
    return device


@transaction.atomic
def remove_passkey(user: AbstractBaseUser, device: PasskeyDevice, **context: Any) -> None:
    """Remove one of ``user``'s passkeys. Appends one audit entry."""
    if device.user_id != user.pk:
        raise PermissionError("not this user's passkey")
    audit.record(user, audit.Action.REMOVE_PASSKEY, device, name=device.name, **context)
    device.delete()


def note_passkey_use(device: PasskeyDevice, sign_count: int) -> None:
    """Keep the authenticator's signature counter (a clone shows up as a counter that goes back). Part of a
    sign-in, which the ``login`` audit entry records."""
    PasskeyDevice.objects.filter(pk=device.pk).update(sign_count=sign_count, last_used_at=timezone.now())


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
