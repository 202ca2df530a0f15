"""Staff sign-in: password (argon2), then a second factor: a TOTP code, a passkey (WebAuthn) or one of the
single-use recovery codes. django-axes locks out repeated failures of either step, per user name and
address and per address (:mod:`kinlink.portal.lockouts`). Every step, failed or not, is audited
(:func:`kinlink.portal.signin.record_sign_in`)."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinlink.portal import actions
from kinlink.portal.models import PasskeyDevice
from kinlink.portal.roles import labs_of, roles_of
from kinlink.portal.signin import agent_class, client_address, record_sign_in
from kinlink.registry.services import audit
from kinlink.registry.services.access import CASE_ROLES, is_superuser

PENDING_USER = "kinlink_pending_user"
PENDING_BACKEND = "kinlink_pending_backend"
#: When the session signed in and when it was last used (:class:`kinlink.portal.middleware.SessionExpiry`).
SIGNED_IN_AT = "kinlink_signed_in_at"
LAST_SEEN_AT = "kinlink_last_seen_at"


def _next_url(request: HttpRequest, user: Any) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    if is_superuser(user) or roles_of(user) & set(CASE_ROLES):
        return reverse("portal:staff_home")
    if labs_of(user):
        return reverse("portal:lab_home")
    return reverse("portal:home")


def has_second_factor(user: Any) -> bool:
    """A confirmed TOTP device or passkey (recovery codes back these up; alone they are not enough)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or PasskeyDevice.objects.filter(user=user, confirmed=True).exists()
    )


def pending_user(request: HttpRequest) -> Any:
    """The user who gave the right password in this session and has yet to give the second factor."""
    return get_user_model().objects.filter(pk=request.session.get(PENDING_USER, 0), is_active=True).first()


def complete_sign_in(request: HttpRequest, user: Any, device: Device, method: str) -> HttpResponse:
    """Both factors given: log in, mark the session verified by ``device``, audit, go on."""
    backend = request.session.pop(PENDING_BACKEND, settings.AUTHENTICATION_BACKENDS[-1])
    request.session.pop(PENDING_USER, None)
    login(request, user, backend=backend)
    otp_login(request, device)
    now = timezone.now().timestamp()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now
    record_sign_in(request, audit.Action.LOGIN, user, method=method)
    return HttpResponseRedirect(_next_url(request, user))


def second_factor_failed(request: HttpRequest, user: Any, method: str) -> bool:
    """Count and audit a wrong second factor; whether the account is now locked from this address."""
    credentials = {"username": user.get_username()}
    record_sign_in(request, audit.Action.SIGN_IN_SECOND_FACTOR_FAILED, user, method=method)
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if AxesProxyHandler.is_allowed(request, credentials=credentials):
        return False
    record_sign_in(request, audit.Action.SIGN_IN_LOCKED_OUT, user, step="second_factor")
    return True


def locked_out(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/staff/locked_out.html", status=429)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    from kinlink.portal.forms import LoginForm

    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        known = get_user_model().objects.filter(username=username).first()
        if not AxesProxyHandler.is_allowed(request, credentials={"username": username}):
            record_sign_in(request, audit.Action.SIGN_IN_LOCKED_OUT, known, step="password")
            return locked_out(request)
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is not None and user.is_active:
            if not has_second_factor(user):
                form.add_error(None, _("This account has no second factor yet. Ask your administrator."))
            else:
                record_sign_in(request, audit.Action.SIGN_IN_PASSWORD, user)
                request.session.cycle_key()
                request.session[PENDING_USER] = user.pk
                request.session[PENDING_BACKEND] = getattr(
                    user, "backend", settings.AUTHENTICATION_BACKENDS[-1]
                )
                target = reverse("portal:login_otp")
                nxt = request.POST.get("next", "")
                return HttpResponseRedirect(target + (f"?next={nxt}" if nxt.startswith("/") else ""))
        else:
            record_sign_in(request, audit.Action.SIGN_IN_PASSWORD_FAILED, known)
            if getattr(request, "axes_locked_out", False):  # this failure reached the limit
                record_sign_in(request, audit.Action.SIGN_IN_LOCKED_OUT, known, step="password")
                return locked_out(request)
            form.add_error(None, _("The user name or the password is not right."))
    return render(request, "portal/staff/login.html", {"form": form, "next": request.GET.get("next", "")})


@never_cache
@require_http_methods(["GET", "POST"])
def staff_login_otp(request: HttpRequest) -> HttpResponse:
    from kinlink.portal.forms import TokenForm

    user = pending_user(request)
    if user is None:
        return HttpResponseRedirect(reverse("portal:login"))
    form = TokenForm(request.POST or None)
    credentials = {"username": user.get_username()}
    if request.method == "POST" and form.is_valid():
        if not AxesProxyHandler.is_allowed(request, credentials=credentials):
            record_sign_in(request, audit.Action.SIGN_IN_LOCKED_OUT, user, step="second_factor")
            return locked_out(request)
        token = form.cleaned_data["token"].strip().replace(" ", "")
        if token.isdigit():
            device: Device | None = next(
                (d for d in TOTPDevice.objects.filter(user=user, confirmed=True) if d.verify_token(token)),
                None,
            )
            method = "totp"
        else:
            device = actions.use_recovery_code(
                user,
                token,
                ip=client_address(request),
                agent=agent_class(str(request.META.get("HTTP_USER_AGENT", ""))),
            )
            method = "recovery_code"
        if device is not None:
            return complete_sign_in(request, user, device, method)
        if second_factor_failed(request, user, method):
            return locked_out(request)
        form.add_error("token", _("This code is not right, or it has expired. Enter the current code."))
    context = {
        "form": form,
        "next": request.GET.get("next", ""),
        "has_passkey": PasskeyDevice.objects.filter(user=user, confirmed=True).exists(),
    }
    return render(request, "portal/staff/otp.html", context)


@require_POST
def staff_logout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record_sign_in(request, audit.Action.LOGOUT, request.user)
    logout(request)
    return HttpResponseRedirect(reverse("portal:login"))
