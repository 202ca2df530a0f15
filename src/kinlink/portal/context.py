"""Template context for every page: the language switcher and the signed-in staff member's consoles."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

from kinlink.portal.roles import LAB_ROLES, is_verified, roles_of
from kinlink.registry.models import Role
from kinlink.registry.services.access import CASE_ROLES, is_superuser


def _strip_language(path: str) -> str:
    for code, _name in settings.LANGUAGES:
        prefix = f"/{code}/"
        if path.startswith(prefix):
            return path[len(prefix) - 1 :]
    return path


NATIVE_NAMES = {"ru": "Русский", "uk": "Українська", "en": "English"}


def portal(request: HttpRequest) -> dict[str, Any]:
    rest = _strip_language(request.path)
    languages = [
        {"code": code, "name": NATIVE_NAMES.get(code, code), "url": f"/{code}{rest}"}
        for code, _name in settings.LANGUAGES
    ]
    verified = is_verified(request)
    roles = roles_of(request.user) if verified else set()
    superuser = verified and is_superuser(request.user)
    return {
        "language_links": languages,
        "current_language": get_language(),
        "staff_verified": verified,
        "can_use_staff": superuser or bool(roles & set(CASE_ROLES)),
        "can_use_lab": superuser or bool(roles & set(LAB_ROLES)),
        "can_administer": superuser or Role.ADMINISTRATOR in roles,
        "login_failure_limit": int(settings.AXES_FAILURE_LIMIT),
        "login_cooloff_hours": int(settings.AXES_COOLOFF_TIME),
    }
