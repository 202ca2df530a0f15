"""Account actions of the staff sign-in. Accounts are not domain transitions, but lifting a lockout,
renewing recovery codes, spending one, and registering or removing a passkey are audited like them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinlink.portal.models import PasskeyDevice, RecoveryCode, RecoveryCodeDevice, hash_recovery_code
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
