"""Staff sign-in: password (argon2), then a TOTP code; django-axes locks out repeated failures of either."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinlink.portal.roles import labs_of, roles_of
from kinlink.registry.services import audit
from kinlink.registry.services.access import CASE_ROLES, is_superuser

PENDING_USER = "kinlink_pending_user"
PENDING_BACKEND = "kinlink_pending_backend"


def _next_url(request: HttpRequest, user: Any) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    if is_superuser(user) or roles_of(user) & set(CASE_ROLES):
        return reverse("portal:staff_home")
    if labs_of(user):
        return reverse("portal:lab_home")
    return reverse("portal:home")


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    from kinlink.portal.forms import LoginForm

    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if user is not None and user.is_active:
            if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                form.add_error(None, _("This account has no second factor yet. Ask your administrator."))
            else:
                request.session.cycle_key()
                request.session[PENDING_USER] = user.pk
                request.session[PENDING_BACKEND] = getattr(
                    user, "backend", settings.AUTHENTICATION_BACKENDS[-1]
                )
                target = reverse("portal:login_otp")
                nxt = request.POST.get("next", "")
                return HttpResponseRedirect(target + (f"?next={nxt}" if nxt.startswith("/") else ""))
        else:
            form.add_error(None, _("The user name or the password is not right."))
    return render(request, "portal/staff/login.html", {"form": form, "next": request.GET.get("next", "")})


@never_cache
@require_http_methods(["GET", "POST"])
def staff_login_otp(request: HttpRequest) -> HttpResponse:
    from kinlink.portal.forms import TokenForm

    user = get_user_model().objects.filter(pk=request.session.get(PENDING_USER, 0), is_active=True).first()
    if user is None:
        return HttpResponseRedirect(reverse("portal:login"))
    form = TokenForm(request.POST or None)
    credentials = {"username": user.get_username()}
    if request.method == "POST" and form.is_valid():
        if not AxesProxyHandler.is_allowed(request, credentials=credentials):
            return render(request, "portal/staff/locked_out.html", status=429)
        token = form.cleaned_data["token"].strip().replace(" ", "")
        device = next(
            (d for d in TOTPDevice.objects.filter(user=user, confirmed=True) if d.verify_token(token)), None
        )
        if device is not None:
            backend = request.session.pop(PENDING_BACKEND, settings.AUTHENTICATION_BACKENDS[-1])
            request.session.pop(PENDING_USER, None)
            login(request, user, backend=backend)
            otp_login(request, device)
            audit.record(user, "login", user, object_type="user")
            return HttpResponseRedirect(_next_url(request, user))
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if not AxesProxyHandler.is_allowed(request, credentials=credentials):
            return render(request, "portal/staff/locked_out.html", status=429)
        form.add_error("token", _("This code is not right, or it has expired. Enter the current code."))
    return render(request, "portal/staff/otp.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def staff_logout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record(request.user, "logout", request.user, object_type="user")
    logout(request)
    return HttpResponseRedirect(reverse("portal:login"))
