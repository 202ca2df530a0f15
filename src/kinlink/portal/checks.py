"""kinlink's deployment checks: what must hold before an instance serves real families.

Registered as Django system checks with ``deploy=True`` (see ``PortalConfig.ready``), so both
``kinlink check --deploy`` and Django's own ``check --deploy`` run them. Each failure is an ``Error``
(``kinlink.E0xx``) naming the environment variable that fixes it; a database that only looks
temporary is a ``Warning``. :func:`deploy_failures` is the one verdict ``kinlink check --deploy`` and
``kinlink serve --production`` share.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

#: The key settings.py falls back to when KINLINK_SECRET_KEY is unset: public, in the source.
DEVELOPMENT_SECRET_KEY = "kinlink-insecure-development-key-change-me-in-production"
#: Host names that only this machine reaches.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "testserver", "0.0.0.0"})
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5
#: Django's deploy warnings that the documented set-up answers elsewhere: the TLS proxy redirects
#: plain http to https itself (``KINLINK_SSL_REDIRECT=1`` turns Django's own redirect on as well), and
#: joining the browsers' HSTS preload list is a decision for the domain's owner, hard to undo.
WARN_ONLY = frozenset({"security.W008", "security.W021"})


def _weak_secret(key: str) -> str | None:
    if key == DEVELOPMENT_SECRET_KEY:
        return "is the development default (public, in the source)"
    if key.startswith("django-insecure-"):
        return "is a Django development key"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE:
        return f"has fewer than {SECRET_KEY_MIN_UNIQUE} different characters"
    return None


def check_secret_keys(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    weak = _weak_secret(settings.SECRET_KEY)
    if weak:
        errors.append(
            checks.Error(
                f"KINLINK_SECRET_KEY {weak}",
                hint="set KINLINK_SECRET_KEY to a long random secret, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`",
                id="kinlink.E001",
            )
        )
    for n, old in enumerate(settings.SECRET_KEY_FALLBACKS, start=1):
        weak = _weak_secret(old)
        if weak:
            errors.append(
                checks.Error(
                    f"KINLINK_SECRET_KEY_FALLBACKS: key {n} {weak}",
                    hint="list only former production keys, and remove them once sessions have expired",
                    id="kinlink.E002",
                )
            )
    return errors


def check_field_key(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from cryptography.fernet import Fernet

    keys = [k.strip() for k in str(settings.FIELD_ENCRYPTION_KEY).split(",") if k.strip()]
    if not keys:
        return [
            checks.Error(
                "KINLINK_FIELD_KEY is not set: contact details and DNA profiles would be encrypted with a "
                "key derived from the secret key",
                hint="generate one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'` and keep it apart from the database backups",
                id="kinlink.E003",
            )
        ]
    errors: list[checks.CheckMessage] = []
    for n, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(
                checks.Error(
                    f"KINLINK_FIELD_KEY: key {n} is not a valid Fernet key (url-safe base64 of 32 bytes)",
                    id="kinlink.E004",
                )
            )
    return errors


def check_hosts(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    hosts = [h.strip().lower() for h in settings.ALLOWED_HOSTS if h.strip()]
    if any(h == "*" for h in hosts):
        return [
            checks.Error(
                "KINLINK_ALLOWED_HOSTS holds a wildcard '*'",
                hint="name the host names the server answers to",
                id="kinlink.E005",
            )
        ]
    if not [h for h in hosts if h not in LOCAL_HOSTS]:
        return [
            checks.Error(
                "KINLINK_ALLOWED_HOSTS is unset or names only this machine (localhost)",
                hint="set KINLINK_ALLOWED_HOSTS to the public host name(s), comma-separated",
                id="kinlink.E006",
            )
        ]
    return []


def check_base_url(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    url = str(settings.KINLINK_BASE_URL)
    parts = urlsplit(url)
    problem = ""
    if not url:
        problem = "is not set"
    elif parts.scheme != "https":
        problem = "is not an https address"
    elif (parts.hostname or "").lower() in LOCAL_HOSTS or not parts.hostname:
        problem = "points to this machine (localhost)"
    if not problem:
        return []
    return [
        checks.Error(
            f"KINLINK_BASE_URL {problem}",
            hint="set KINLINK_BASE_URL to the instance's public address, e.g. https://kinlink.example.org "
            "(every document prints its verification link under it)",
            id="kinlink.E007",
        )
    ]


def check_tls_and_debug(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    if settings.DEBUG:
        errors.append(checks.Error("KINLINK_DEBUG=1: production never runs in debug mode", id="kinlink.E008"))
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        errors.append(
            checks.Error(
                "cookies are sent over plain http (KINLINK_INSECURE_COOKIES=1 or KINLINK_DEBUG=1)",
                hint="unset KINLINK_INSECURE_COOKIES: production is served over TLS",
                id="kinlink.E009",
            )
        )
    if settings.SECURE_HSTS_SECONDS < 60 * 60 * 24 * 180:
        errors.append(
            checks.Error(
                "HSTS is off or shorter than 180 days (SECURE_HSTS_SECONDS)",
                hint="unset KINLINK_INSECURE_COOKIES and KINLINK_DEBUG",
                id="kinlink.E010",
            )
        )
    return errors


def check_database(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    db = settings.DATABASES["default"]
    if not str(db["ENGINE"]).endswith("sqlite3"):
        return []
    name = Path(str(db["NAME"])).resolve()
    temp = Path(tempfile.gettempdir()).resolve()
    where = "in a temporary folder" if name.is_relative_to(temp) or str(name).startswith("/dev/shm") else ""
    return [
        checks.Warning(
            f"the database is SQLite{' ' + where if where else ''} ({name})",
            hint="production runs on PostgreSQL (DATABASE_URL=postgres://...): SQLite serves one writer at "
            "a time",
            id="kinlink.W001",
        )
    ]


def register() -> None:
    for check in (
        check_secret_keys,
        check_field_key,
        check_hosts,
        check_base_url,
        check_tls_and_debug,
        check_database,
    ):
        checks.register(check, checks.Tags.security, deploy=True)


def is_failure(message: checks.CheckMessage) -> bool:
    """Whether a deployment check message keeps production from starting: every error, and every warning
    of Django's security checks except those the documented set-up answers (``WARN_ONLY``)."""
    if message.is_silenced():
        return False
    if message.level >= checks.ERROR:
        return True
    return (
        message.level >= checks.WARNING
        and str(message.id).startswith("security.")
        and message.id not in WARN_ONLY
    )


def deploy_messages() -> list[checks.CheckMessage]:
    """Every message of Django's checks and the deployment checks (Django's and kinlink's)."""
    return list(checks.run_checks(include_deployment_checks=True))


def deploy_failures() -> list[str]:
    """What keeps this instance from serving production, one line per failed check (empty: sound)."""
    return [describe(m) for m in deploy_messages() if is_failure(m)]


def describe(message: checks.CheckMessage) -> str:
    text = f"{message.id}: {message.msg}"
    if message.hint:
        text += f" (fix: {message.hint})"
    return text
