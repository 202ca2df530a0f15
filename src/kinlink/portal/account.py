"""The staff member's own account ("my account / security"): recent sign-ins, recovery codes, passkeys;
and the administrators' page of sign-in lockouts in force, with a button that lifts one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kinlink.portal import actions
from kinlink.portal.lockouts import current_lockouts
from kinlink.portal.models import PasskeyDevice
from kinlink.portal.passkeys import ALL_STAFF
from kinlink.portal.roles import staff_required
from kinlink.portal.signin import agent_class, client_address
from kinlink.registry.models import AuditEntry, Membership, Role
from kinlink.registry.services import audit
from kinlink.registry.services.access import is_superuser

#: The audit actions the account page lists as the user's sign-in history.
SIGN_IN_ACTIONS = (
    audit.Action.LOGIN,
    audit.Action.LOGOUT,
    audit.Action.SIGN_IN_PASSWORD,
    audit.Action.SIGN_IN_PASSWORD_FAILED,
    audit.Action.SIGN_IN_SECOND_FACTOR_FAILED,
    audit.Action.SIGN_IN_LOCKED_OUT,
    audit.Action.SESSION_EXPIRED,
    audit.Action.USE_RECOVERY_CODE,
)
RECENT_SIGN_INS = 20


def _context(request: HttpRequest) -> dict[str, str]:
    return {"ip": client_address(request), "agent": agent_class(str(request.META.get("HTTP_USER_AGENT", "")))}


def recent_sign_ins(user: Any) -> list[AuditEntry]:
    """The user's own sign-in steps, newest first (failures by anyone against this account included)."""
    return list(
        AuditEntry.objects.filter(
            object_type="user", object_id=str(user.pk), action__in=[str(a) for a in SIGN_IN_ACTIONS]
        ).order_by("-at", "-pk")[:RECENT_SIGN_INS]
    )


def _account_page(request: HttpRequest, new_codes: list[str] | None = None) -> HttpResponse:
    user: Any = request.user
    context = {
        "sign_ins": recent_sign_ins(user),
        "unused_codes": actions.unused_recovery_codes(user),
        "new_codes": new_codes,
        "passkeys": PasskeyDevice.objects.filter(user=user, confirmed=True).order_by("created"),
    }
    return render(request, "portal/staff/account.html", context)


@never_cache
@staff_required(ALL_STAFF)
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@never_cache
@require_POST
@staff_required(ALL_STAFF)
def account_recovery_codes(request: HttpRequest) -> HttpResponse:
    """A new set of recovery codes, shown in this one response only."""
    codes = actions.regenerate_recovery_codes(request.user, **_context(request))  # type: ignore[arg-type]
    return _account_page(request, new_codes=codes)


@require_POST
@staff_required(ALL_STAFF)
def account_passkey_remove(request: HttpRequest, pk: int) -> HttpResponse:
    device = PasskeyDevice.objects.filter(pk=pk, user_id=request.user.pk).first()
    if device is None:
        raise Http404
    actions.remove_passkey(request.user, device, **_context(request))  # type: ignore[arg-type]
    messages.success(request, _("The passkey was removed."))
    return HttpResponseRedirect(reverse("portal:account"))


def _visible_usernames(user: Any) -> set[str] | None:
    """User names whose lockouts an administrator may see and lift: members of his organisations (None: all,
    for a superuser)."""
    if is_superuser(user):
        return None
    orgs = Membership.objects.filter(user_id=user.pk, role=Role.ADMINISTRATOR).values("organisation_id")
    return set(Membership.objects.filter(organisation_id__in=orgs).values_list("user__username", flat=True))


def _visible_lockouts(user: Any) -> list[Any]:
    names = _visible_usernames(user)
    return [
        lock
        for lock in current_lockouts()
        if (lock.username and (names is None or lock.username in names))
        or (not lock.username and names is None)
    ]


@never_cache
@staff_required((Role.ADMINISTRATOR,))
def lockouts(request: HttpRequest) -> HttpResponse:
    """Sign-in lockouts in force: of this administrator's organisations' accounts (and, for the instance's
    superuser, of addresses too)."""
    context = {
        "lockouts": _visible_lockouts(request.user),
        "limit": settings.AXES_FAILURE_LIMIT,
        "address_limit": settings.KINLINK_LOGIN_ADDRESS_FAILURE_LIMIT,
    }
    return render(request, "portal/staff/lockouts.html", context)


@require_POST
@staff_required((Role.ADMINISTRATOR,))
def lockout_lift(request: HttpRequest) -> HttpResponse:
    """Lift one lockout through the same actions as ``kinlink unlock``: an account, or an address."""
    username = request.POST.get("username", "")
    address = request.POST.get("ip_address", "")
    visible = _visible_lockouts(request.user)
    if username and any(lock.username == username for lock in visible):
        actions.unlock_account(username, actor=request.user, ip_address=address)  # type: ignore[arg-type]
        messages.success(request, _("The lock of %(name)s was lifted.") % {"name": username})
    elif (
        not username and address and any(not lock.username and lock.ip_address == address for lock in visible)
    ):
        actions.unlock_address(address, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("The lock of the address %(address)s was lifted.") % {"address": address})
    else:
        raise Http404
    return HttpResponseRedirect(reverse("portal:lockouts"))
