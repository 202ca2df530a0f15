"""Who may use which console: roles from memberships, the TOTP check, and the family's session."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from kinlink.registry.models import Membership, Organisation, Role, TracingRequest
from kinlink.registry.services.access import CASE_ROLES, is_superuser
from kinlink.registry.services.compiled import CompiledQuery
from kinlink.registry.services.memo import page_memo, remembered

LAB_ROLES = (Role.LAB_ANALYST,)
FAMILY_SESSION_KEY = "kinlink_family_request"

View = Callable[..., HttpResponseBase]


#: A member's roles, in SQL compiled once per process (``registry.services.compiled``): asked on every view.
_ROLES = CompiledQuery(
    lambda user_id: Membership.objects.filter(user_id=user_id).values_list("role"), arity=1
)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The member's roles (read once per member inside a ``page_memo`` block)."""
    if not user.is_authenticated:
        return set()
    member = user.pk
    assert isinstance(member, int)
    return set(remembered(("roles_of", member), lambda: frozenset(role for (role,) in _ROLES.rows(member))))


def labs_of(user: AbstractBaseUser | AnonymousUser) -> list[Organisation]:
    if not user.is_authenticated:
        return []
    if is_superuser(user):
        return list(Organisation.objects.filter(is_lab=True))
    ids = Membership.objects.filter(user_id=user.pk, role__in=LAB_ROLES).values("organisation_id")
    return list(Organisation.objects.filter(id__in=ids))


def is_verified(request: HttpRequest) -> bool:
    """Logged in with both factors (password and TOTP)."""
    user: Any = request.user
    return bool(user.is_authenticated and getattr(user, "is_verified", lambda: False)())


def _login_redirect(request: HttpRequest) -> HttpResponseBase:
    return HttpResponseRedirect(reverse("portal:login") + "?" + urlencode({"next": request.get_full_path()}))


def staff_required(roles: tuple[str, ...]) -> Callable[[View], View]:
    """Anonymous or half-logged-in visitors go to the login page; other roles get 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in ("GET", "HEAD"):
                return checked(request, *args, **kwargs)
            # A page that only reads asks the member's roles and organisations once (this check, the
            # view and the consoles' navigation ask them again): remembered until the page is rendered.
            with page_memo():
                return checked(request, *args, **kwargs)

        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not is_verified(request):
                return _login_redirect(request)
            if not is_superuser(request.user) and not (roles_of(request.user) & set(roles)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


caseworker_required = staff_required(CASE_ROLES)
lab_required = staff_required(LAB_ROLES)


def family_request(request: HttpRequest) -> TracingRequest | None:
    """The tracing request this browser proved it may follow (by its access code), if any."""
    pk = request.session.get(FAMILY_SESSION_KEY)
    if pk is None:
        return None
    # a withdrawn request has nothing left to follow
    return TracingRequest.objects.filter(pk=pk, withdrawn_at__isnull=True).select_related("person").first()


def family_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        tracing_request = family_request(request)
        if tracing_request is None:
            return HttpResponseRedirect(reverse("portal:follow"))
        return view(request, tracing_request, *args, **kwargs)

    return wrapper
