"""What the audit trail records of a sign-in step: the client's address (through the proxy configuration,
:func:`client_address`) and the class of its browser, never a password or a code."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from kinlink.portal.clientip import UNKNOWN, client_ip
from kinlink.registry.services import audit

_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/")),
    ("Yandex", re.compile(r"\bYaBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS)/")),
    ("Safari", re.compile(r"\bSafari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("Linux", re.compile(r"Linux|X11")),
)


def client_address(request: HttpRequest) -> str:
    """The client's address through the proxy configuration (``kinlink.portal.clientip.client_ip``: it
    believes ``X-Forwarded-For`` only from ``settings.TRUSTED_PROXIES``). django-axes uses it too
    (``AXES_CLIENT_IP_CALLABLE``), so lockouts key on the same address the audit trail records."""
    return client_ip(request)


def lockout_address(request: HttpRequest) -> str | None:
    """The address django-axes keys lockouts on (``AXES_CLIENT_IP_CALLABLE``): the client's, or None when
    there is none (a request made in code, such as a test's forced login), since axes stores it in an IP
    address column that PostgreSQL checks."""
    address = client_ip(request)
    return None if address == UNKNOWN else address


def agent_class(user_agent: str) -> str:
    """A coarse class of the browser ("Firefox on Linux"): enough to recognise one's own sign-ins, not
    enough to fingerprint anyone."""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or ("other" if user_agent else "unknown")


def record_sign_in(
    request: HttpRequest, action: audit.Action, user: AbstractBaseUser | None, **detail: Any
) -> None:
    """One audit entry of a sign-in step, about the account (``object_id`` is the user's id; an unknown
    user name is recorded as unknown, since people type passwords into the user name field)."""
    audit.record(
        user,
        action,
        user,
        object_type="user",
        object_id="" if user is not None else "unknown",
        ip=client_address(request),
        agent=agent_class(str(request.META.get("HTTP_USER_AGENT", ""))),
        **detail,
    )
