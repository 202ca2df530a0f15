"""Account actions of the staff sign-in. Accounts are not domain transitions, but lifting a lockout is
an administrator's decision and is audited like one."""

from __future__ import annotations

from dataclasses import dataclass

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

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
