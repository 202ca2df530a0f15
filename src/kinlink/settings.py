"""Django settings for kinlink.

Everything that differs between a laptop demo and a production instance comes from the
environment: ``DATABASE_URL``, ``KINLINK_SECRET_KEY`` (and ``KINLINK_SECRET_KEY_FALLBACKS``),
``KINLINK_FIELD_KEY`` (encryption of contact details and DNA data at rest), ``KINLINK_DEBUG`` and
``KINLINK_ALLOWED_HOSTS``. ``kinlink check --deploy`` says whether they are fit for production.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _

from kinlink.genetics.posterior import IDENTIFICATION_POSTERIOR as _IDENTIFICATION_POSTERIOR

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("KINLINK_VAR_DIR", Path.cwd() / "var"))

DEBUG = os.environ.get("KINLINK_DEBUG", "0") == "1"
# The development default is public (it is in the source): `kinlink check --deploy` refuses it.
SECRET_KEY = os.environ.get("KINLINK_SECRET_KEY", "kinlink-insecure-development-key-change-me-in-production")
# Former secret keys, comma-separated, still accepted while the secret key rotates: sessions, signed values
# and family access codes issued under them keep working (docs/operator.md, "Rotating the secret key").
SECRET_KEY_FALLBACKS = [
    key.strip() for key in os.environ.get("KINLINK_SECRET_KEY_FALLBACKS", "").split(",") if key.strip()
]
ALLOWED_HOSTS = os.environ.get("KINLINK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

# Key for field-level encryption (Fernet, urlsafe base64 of 32 bytes). A development key is
# derived from SECRET_KEY when unset; production must set it (see docs/operator.md).
FIELD_ENCRYPTION_KEY = os.environ.get("KINLINK_FIELD_KEY", "")
# Without KINLINK_FIELD_KEY, a key is derived from SECRET_KEY only in development: DEBUG on, or this flag.
# Production refuses to encrypt or decrypt rather than derive (registry.crypto.FieldKeyMissing).
KINLINK_DEVELOPMENT_KEYS = os.environ.get("KINLINK_DEVELOPMENT_KEYS", "0") == "1"
# The key store of envelope encryption: one wrapped data key per file, outside the database (a dump or
# backup of the database holds no key). Keep it on the server's own disk, backed up apart (docs/operator.md).
KINLINK_KEY_DIR = Path(os.environ.get("KINLINK_KEY_DIR", VAR_DIR / "keys"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    # django-ninja as an app: its API docs page uses its local Swagger UI files, not a CDN the CSP blocks.
    "ninja",
    "kinlink.registry",
    "kinlink.portal",
    "kinlink.field",
    "kinlink.identification",
    "kinlink.documents",
    "kinlink.api",
    "kinlink.matching",
]

MIDDLEWARE = [
    # first: it times the whole request and logs its final status (no personal data)
    "kinlink.portal.middleware.RequestLogMiddleware",
    # the data version of the cached fragments and kept pages read once a request (kinlink.portal.fragments)
    "kinlink.portal.fragments.DataVersionMiddleware",
    # then the scheme (X-Forwarded-Proto) is believed only from a trusted proxy (TRUSTED_PROXIES).
    "kinlink.portal.clientip.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Idle and absolute timeouts of staff and family sessions (after OTPMiddleware: it reads request.user).
    "kinlink.portal.middleware.SessionExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A family form larger than the upload cap is refused before its body is read (the CSRF check reads it
    # only in process_view, after every middleware's __call__ has run).
    "kinlink.portal.middleware.FamilyUploadCapMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kinlink.portal.middleware.SecurityHeadersMiddleware",
    # Last, so that a locked-out login gets the lockout page (django-axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kinlink.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kinlink.portal.context.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "kinlink.wsgi.application"
#: Django's form renderer, with text inputs, textareas and selects written in Python (the same HTML, a
#: fraction of the cost: kinlink.portal.formrender).
FORM_RENDERER = "kinlink.portal.formrender.FastRenderer"

DEFAULT_SQLITE = VAR_DIR / "kinlink.sqlite3"
#: Seconds a web thread keeps its database connection for the next request (0: a new connection per
#: request). `kinlink serve --production` keeps them (60 s; docs/operator.md, "The production server").
KINLINK_DB_CONN_MAX_AGE = int(os.environ.get("KINLINK_DB_CONN_MAX_AGE", "0"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE}"),
        conn_max_age=KINLINK_DB_CONN_MAX_AGE,
        conn_health_checks=KINLINK_DB_CONN_MAX_AGE > 0,
    )
}
#: Seconds to wait for a connection to PostgreSQL: a database that stops answering fails a request (and
#: /readyz) quickly instead of hanging it.
KINLINK_DB_CONNECT_TIMEOUT = int(os.environ.get("KINLINK_DB_CONNECT_TIMEOUT", "5"))
#: Longest statement a web request may run on PostgreSQL (milliseconds; 0: no limit). The CLI and the worker
#: lift it (long imports and linkage; ``kinlink.commands.base.setup_django``).
KINLINK_DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("KINLINK_DB_STATEMENT_TIMEOUT_MS", "30000"))
#: Seconds SQLite waits for another writer's lock before it gives up.
KINLINK_DB_BUSY_TIMEOUT = int(os.environ.get("KINLINK_DB_BUSY_TIMEOUT", "30"))
if DATABASES["default"]["ENGINE"] in (
    "django.db.backends.postgresql",
    "django.db.backends.postgresql_psycopg2",
):
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = KINLINK_DB_CONNECT_TIMEOUT
    if KINLINK_DB_STATEMENT_TIMEOUT_MS > 0:
        _options = DATABASES["default"]["OPTIONS"].get("options", "")
        DATABASES["default"]["OPTIONS"]["options"] = (
            f"{_options} -c statement_timeout={KINLINK_DB_STATEMENT_TIMEOUT_MS}".strip()
        )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": KINLINK_DB_BUSY_TIMEOUT, "transaction_mode": "IMMEDIATE"}
    )
    Path(str(DATABASES["default"]["NAME"])).parent.mkdir(parents=True, exist_ok=True)
    # A file-backed test database, so that tests can run the CLI in a subprocess against it.
    DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}.test"}

# Background work (list linkage, DNA screening) runs in a worker: `kinlink worker`.
# KINLINK_TASK_BACKEND=immediate runs tasks inline (tests use this).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if os.environ.get("KINLINK_TASK_BACKEND") == "immediate"
        else "django_tasks_db.DatabaseBackend"
    }
}

if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" and os.environ.get(
    "KINLINK_TEST_DB_SUFFIX"
):
    # Separate test databases for test runs that share one server (scripts/run-tests sets the suffix).
    DATABASES["default"]["TEST"] = {
        "NAME": f"test_{DATABASES['default']['NAME']}_{os.environ['KINLINK_TEST_DB_SUFFIX']}"
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("ru", _("Russian")), ("uk", _("Ukrainian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
# collectstatic target for production (KINLINK_STATIC_ROOT); unset and absent, files come from the apps.
_static_root = Path(os.environ.get("KINLINK_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT = _static_root if "KINLINK_STATIC_ROOT" in os.environ or _static_root.is_dir() else None
# Static files are served by WhiteNoise straight from the apps' static folders (no collectstatic needed
# for the demo); production may run collectstatic into STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if "KINLINK_STATIC_ROOT" in os.environ:
    # Production (the image and the systemd install run `collectstatic` into KINLINK_STATIC_ROOT): names
    # carry their content's hash and a gzip copy beside each file (brotli too when installed), so WhiteNoise
    # serves them compressed, cached for a year and immutable; the pages name the hashed files.
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    WHITENOISE_USE_FINDERS = False
ATTACHMENT_ROOT = Path(os.environ.get("KINLINK_ATTACHMENT_ROOT", VAR_DIR / "attachments"))

# Documents and data exchange.
#: This instance's public address, printed in every document's verification link and QR code; required
#: when DEBUG is off (issuing a document refuses while it is unset or points to localhost).
KINLINK_BASE_URL = os.environ.get("KINLINK_BASE_URL", "")
#: Set by `kinlink serve` and `kinlink demo` when they serve on this machine only: a localhost base URL is
#: then this server's own address and documents may print it.
KINLINK_LOCAL_BASE_URL = os.environ.get("KINLINK_LOCAL_BASE_URL", "0") == "1"
#: The name the statistics report is issued under (it is made for no case, so no organisation issues it).
KINLINK_INSTANCE_NAME = os.environ.get("KINLINK_INSTANCE_NAME", "kinlink")
# Callable(case) -> kinlink.documents.dna.DnaReportData | None: where DNA comparison results come from
# (default: the case's identified or best screening candidate, recomputed with the exact engine).
KINLINK_DNA_REPORT_PROVIDER = os.environ.get(
    "KINLINK_DNA_REPORT_PROVIDER", "kinlink.documents.registry_dna.registry_result"
)
# The PFIF domain of this instance's records (``kinlink exchange pfif-export``).
KINLINK_PFIF_DOMAIN = os.environ.get("KINLINK_PFIF_DOMAIN", "kinlink.example")
# Callable() -> kinlink.documents.statistics.StatisticsData; empty: figures counted from the registry.
KINLINK_STATISTICS_PROVIDER = os.environ.get("KINLINK_STATISTICS_PROVIDER", "")
# Largest file any import or upload accepts (bytes); checked before a byte is read.
KINLINK_MAX_UPLOAD_BYTES = int(os.environ.get("KINLINK_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG and os.environ.get("KINLINK_INSECURE_COOKIES", "0") != "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 60 * 60 * 8  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_FAILURE_VIEW = "kinlink.portal.errors.csrf_failure"  # the 403 page in the reader's language
# HTTPS in production: HSTS and redirect are on unless the instance runs plain http (demo, tests).
SECURE_HSTS_SECONDS = 0 if not SESSION_COOKIE_SECURE else 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = os.environ.get("KINLINK_SSL_REDIRECT", "0") == "1"
# Not SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from any client. The scheme is taken
# from that header only when a trusted proxy sent it (kinlink.portal.clientip.TrustedProxyMiddleware).
SECURE_PROXY_SSL_HEADER = None
#: Reverse proxies (addresses or CIDR networks, comma-separated in KINLINK_TRUSTED_PROXIES) whose
#: X-Forwarded-For and X-Forwarded-Proto are believed; empty (the default): no forwarding header is believed
#: and the client is REMOTE_ADDR. Behind the documented TLS proxy on the same machine: 127.0.0.1,::1.
TRUSTED_PROXIES: list[str] = [
    entry.strip() for entry in os.environ.get("KINLINK_TRUSTED_PROXIES", "").split(",") if entry.strip()
]
for _proxy in TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy, strict=False)  # a malformed entry stops the start, naming itself

# Staff log in with a password (argon2) and a TOTP second factor; django-axes locks out after repeated
# failures (password or TOTP) for the same user name from the same address.
# AxesBackend only checks the lockout (it authenticates no one) and, being a ModelBackend, also loads users.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "portal:login"
AXES_FAILURE_LIMIT = int(os.environ.get("KINLINK_LOGIN_FAILURE_LIMIT", "5"))
# hours; `kinlink unlock USERNAME` lifts a lockout sooner
AXES_COOLOFF_TIME = int(os.environ.get("KINLINK_LOGIN_COOLOFF_HOURS", "1"))
# Failures count per (user name, address) pair against AXES_FAILURE_LIMIT, and per address over every user
# name against KINLINK_LOGIN_ADDRESS_FAILURE_LIMIT (kinlink.portal.lockouts): a stranger elsewhere cannot
# lock a named caseworker out of his own address. The address is the proxy-aware client address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "kinlink.portal.lockouts.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "kinlink.portal.signin.lockout_address"
KINLINK_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("KINLINK_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_LOCKOUT_TEMPLATE = "portal/staff/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "kinlink"
# Sessions end after this long without a request (idle) and this long after signing in (absolute), whatever
# the activity; the family's follow-up session is shorter than the staff's.
KINLINK_STAFF_IDLE_MINUTES = int(os.environ.get("KINLINK_STAFF_IDLE_MINUTES", "30"))
KINLINK_STAFF_SESSION_HOURS = int(os.environ.get("KINLINK_STAFF_SESSION_HOURS", "8"))
KINLINK_FAMILY_IDLE_MINUTES = int(os.environ.get("KINLINK_FAMILY_IDLE_MINUTES", "15"))
KINLINK_FAMILY_SESSION_HOURS = int(os.environ.get("KINLINK_FAMILY_SESSION_HOURS", "2"))
# Passkeys (WebAuthn): the relying party is this instance's host name, from KINLINK_BASE_URL, else the host
# the request came to (one of ALLOWED_HOSTS). KINLINK_WEBAUTHN_RP_ID overrides it.
KINLINK_WEBAUTHN_RP_ID = os.environ.get("KINLINK_WEBAUTHN_RP_ID", "")
# Days an API token lives unless `kinlink api-token create --days N` says otherwise.
KINLINK_API_TOKEN_DAYS = int(os.environ.get("KINLINK_API_TOKEN_DAYS", "90"))
# django-axes is the one lockout of failed codes. django-otp's own per-device throttle (1, 2, 4, ... s after
# each failure) refused a correct code typed soon after a wrong one, and that refusal counted as a failure.
OTP_TOTP_THROTTLE_FACTOR = 0

# Map tiles for the case page (remains and sites). A URL template such as
# https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty means the plain coordinate view (no requests out).
MAP_TILE_URL = os.environ.get("KINLINK_MAP_TILES", "")
MAP_TILE_ATTRIBUTION = os.environ.get("KINLINK_MAP_ATTRIBUTION", "© OpenStreetMap contributors")
_tile_origin = "/".join(MAP_TILE_URL.split("/")[:3]) if MAP_TILE_URL.startswith("http") else ""

# Strict Content Security Policy: no inline scripts or styles anywhere; htmx and CSS are local files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([_tile_origin] if _tile_origin else [])],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Family uploads (photos, letters from the unit and the ministry): each file, and all files of one form
# together. A larger form is refused before its body is read (portal.middleware.FamilyUploadCapMiddleware).
FAMILY_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
FAMILY_UPLOAD_TOTAL_MAX_BYTES = int(os.environ.get("KINLINK_FAMILY_UPLOAD_TOTAL_MB", "20")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Files larger than this are spooled to a temporary file while the form is read, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Rate limits of the public forms, per client address (kinlink.portal.clientip: behind a proxy, set
# KINLINK_TRUSTED_PROXIES) and counted in the database (kinlink.portal.ratelimit): "N/window", the window in
# s, m, h or d (e.g. "10/h", "30/10m"). docs/operator.md, "Rate limits and lockouts".
KINLINK_RATE_LIMITS: dict[str, str] = {
    # tracing requests sent from one address
    "request_form": os.environ.get("KINLINK_RATE_REQUEST_FORM", "10/h"),
    # request number and code checks (and private links) from one address, right or wrong
    "follow_check": os.environ.get("KINLINK_RATE_FOLLOW_CHECK", "30/h"),
    # a family's messages to the caseworker, per request and per address
    "family_message": os.environ.get("KINLINK_RATE_FAMILY_MESSAGE", "20/h"),
}
# Wrong access codes for one request number, from any address, within FAMILY_CODE_FAILURE_WINDOW seconds,
# that pause the code check of that number for FAMILY_CODE_PAUSE_SECONDS (a number that does not exist is
# paused alike, so that the pause says nothing about which numbers exist).
FAMILY_CODE_FAILURE_LIMIT = int(os.environ.get("KINLINK_FAMILY_CODE_FAILURE_LIMIT", "10"))
FAMILY_CODE_FAILURE_WINDOW = 24 * 60 * 60
FAMILY_CODE_PAUSE_SECONDS = int(os.environ.get("KINLINK_FAMILY_CODE_PAUSE_MINUTES", "60")) * 60
# The access code's memory-hard hash (argon2id, registry.accesscode): memory in KiB and passes per check.
# Stored with each hash, so a change keeps every code valid. docs/security.md, "The family's access code".
FAMILY_CODE_HASH_MEMORY_KIB = int(os.environ.get("KINLINK_FAMILY_CODE_HASH_MEMORY_KIB", "8192"))
FAMILY_CODE_HASH_TIME = int(os.environ.get("KINLINK_FAMILY_CODE_HASH_TIME", "2"))
# At most this many code checks hash at once on this machine (all web processes together; default half
# its cores); a check that finds every slot taken for FAMILY_CODE_SLOT_WAIT_MS gets "busy, try again" (503,
# Retry-After) at once instead of taking the cores other pages need. docs/operator.md, "The family's code
# check under load".
FAMILY_CODE_HASH_SLOTS = int(
    os.environ.get("KINLINK_FAMILY_CODE_HASH_SLOTS", str(max(1, (os.cpu_count() or 2) // 2)))
)
FAMILY_CODE_SLOT_WAIT_MS = int(os.environ.get("KINLINK_FAMILY_CODE_SLOT_WAIT_MS", "250"))
# Checks of one web process that may wait for a slot at once (each holds a server thread while it waits).
FAMILY_CODE_SLOT_WAITERS = int(os.environ.get("KINLINK_FAMILY_CODE_SLOT_WAITERS", "1"))
FAMILY_CODE_SLOT_DIR = VAR_DIR / "run" / "code-check-slots"
FAMILY_CODE_BUSY_RETRY_SECONDS = 5
# How long a family's one-time private link stays usable (days), and a request form's one-time token (s).
KINLINK_FOLLOW_LINK_DAYS = int(os.environ.get("KINLINK_FOLLOW_LINK_DAYS", "30"))
KINLINK_FORM_TOKEN_MAX_AGE = 24 * 60 * 60

# Logs on standard error, as JSON lines with KINLINK_LOG_FORMAT=json (the default of `kinlink serve
# --production`), else plain text. No log line carries personal data: each request is logged once by
# `portal.middleware.RequestLogMiddleware` (method, route name, status, duration, request id: never the
# path, which may hold a family's code, nor the query string or a form field), and Django's own request
# logs have their path replaced by the route name (`RedactRequestPath`).
KINLINK_LOG_FORMAT = os.environ.get("KINLINK_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "kinlink.lib.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {"redact_request_path": {"()": "kinlink.portal.middleware.RedactRequestPath"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if KINLINK_LOG_FORMAT == "json" else "text",
            "filters": ["redact_request_path"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("KINLINK_LOG_LEVEL", "WARNING")},
    "loggers": {
        # one line per request (KINLINK_REQUEST_LOG_LEVEL=WARNING silences it)
        "kinlink.request": {
            "handlers": ["console"],
            "level": os.environ.get("KINLINK_REQUEST_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        # Django's "Not Found: /path" lines would repeat the request log; server errors stay
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # the development server's access lines print the raw path: the request log replaces them
        "django.server": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Candidate "same person" links at or above this match probability go to the caseworkers' review queue.
KINLINK_LINK_REVIEW_THRESHOLD = float(os.environ.get("KINLINK_LINK_REVIEW_THRESHOLD", "0.5"))
# A linkage run trains (and stores) its own model only when the registry holds at least this many records.
KINLINK_LINK_TRAIN_MIN_RECORDS = int(os.environ.get("KINLINK_LINK_TRAIN_MIN_RECORDS", "500"))
# Fewer new persons than this (one request, a short list) are scored with the stored trained model.
KINLINK_LINK_RETRAIN_MIN_NEW = int(os.environ.get("KINLINK_LINK_RETRAIN_MIN_NEW", "1000"))
# DuckDB's memory cap for every linkage run (the worker's linkage, `kinlink link-registry`): past it DuckDB
# spills to KINLINK_LINKAGE_SPILL_DIR (default: a fresh folder under the system's temporary directory, removed
# after the run). The worker's whole process stays within about this cap plus 1.5 GB (docs/operator.md).
KINLINK_LINKAGE_MEMORY_LIMIT = os.environ.get("KINLINK_LINKAGE_MEMORY_LIMIT", "2GB")
# DuckDB threads of a linkage run (default 2; 0 or empty: one per core).
KINLINK_LINKAGE_THREADS = int(os.environ.get("KINLINK_LINKAGE_THREADS", "2") or 0)
KINLINK_LINKAGE_SPILL_DIR = os.environ.get("KINLINK_LINKAGE_SPILL_DIR", "")

# DNA identification: what the screening job reads (docs/operator.md lists every setting).
# The allele frequency table of the lab's kit: a CSV locus,allele,freq or a Familias frequency file.
# Empty: screening runs fail with that reason (the demo names its own table on its runs).
KINLINK_DNA_FREQUENCIES = os.environ.get("KINLINK_DNA_FREQUENCIES", "")
# Mutation spec as `kinlink dna screen --mutation` takes it (MODEL[:rate=..] or a per-marker CSV).
KINLINK_DNA_MUTATION = os.environ.get("KINLINK_DNA_MUTATION", "")
# LR at or above which a screened (remains, family) pair becomes a candidate for the caseworkers' queue.
KINLINK_SCREENING_THRESHOLD = float(os.environ.get("KINLINK_SCREENING_THRESHOLD", "1e4"))
# The posterior an identification needs before two staff members may confirm it (default 99.95%).
KINLINK_IDENTIFICATION_POSTERIOR = float(
    os.environ.get("KINLINK_IDENTIFICATION_POSTERIOR", str(_IDENTIFICATION_POSTERIOR))
)
# The part of the prior spread over the missing persons outside the remains' event when the remains are
# tied to an event (docs/methods/screening.md, "The prior and its basis"); strictly between 0 and 1.
KINLINK_PRIOR_OUTSIDE_SHARE = float(os.environ.get("KINLINK_PRIOR_OUTSIDE_SHARE", "0.01"))
# Allele dropout probability per allele copy in the direct match of remains with a reference of the missing
# person himself (a personal item, a stored sample); the same for both samples. 0: no dropout.
KINLINK_DIRECT_MATCH_DROPOUT = float(os.environ.get("KINLINK_DIRECT_MATCH_DROPOUT", "0"))
# Registry screening (docs/methods/screening.md): the Balding-Nichols theta (subpopulation correction) of
# founders and remains, in [0, 1); the allele dropout probability of remains samples; and that of remains
# from a field grave (degraded bone), in [0, 1). 0: no correction, no dropout.
KINLINK_SCREENING_THETA = float(os.environ.get("KINLINK_SCREENING_THETA", "0"))
KINLINK_SCREENING_REMAINS_DROPOUT = float(os.environ.get("KINLINK_SCREENING_REMAINS_DROPOUT", "0"))
KINLINK_SCREENING_FIELD_GRAVE_DROPOUT = float(os.environ.get("KINLINK_SCREENING_FIELD_GRAVE_DROPOUT", "0"))
# 1: a lab upload runs its screening when its transaction commits, in the web request, instead of
# enqueueing it for the worker (small installations without a worker only; never in production).
KINLINK_SCREENING_IMMEDIATE = os.environ.get("KINLINK_SCREENING_IMMEDIATE", "0") == "1"
# /readyz fails (503) when a task or a screening run has waited for the worker longer than this (seconds).
KINLINK_READY_QUEUE_MAX_AGE = float(os.environ.get("KINLINK_READY_QUEUE_MAX_AGE", "600"))
# Seconds the worker waits between looks at an empty queue.
KINLINK_WORKER_INTERVAL = float(os.environ.get("KINLINK_WORKER_INTERVAL", "1.0"))
# A worker's lease, in seconds: a task or screening run still RUNNING after its worker stopped beating (or,
# for a task claimed by an unknown worker, this long after it started) is orphaned; the next worker pass
# re-queues it when its job is idempotent (KINLINK_WORKER_IDEMPOTENT_TASKS) and fails it with the reason
# otherwise, or after KINLINK_WORKER_MAX_ATTEMPTS claims. Each worker beats every KINLINK_WORKER_HEARTBEAT s.
KINLINK_WORKER_LEASE = float(os.environ.get("KINLINK_WORKER_LEASE", "600"))
KINLINK_WORKER_HEARTBEAT = float(os.environ.get("KINLINK_WORKER_HEARTBEAT", "30"))
KINLINK_WORKER_MAX_ATTEMPTS = int(os.environ.get("KINLINK_WORKER_MAX_ATTEMPTS", "3"))
# Jobs that may run again after a worker died mid-way: each commits all or nothing (linkage empties its
# queue in the transaction that stores the links; screening skips a pair already proposed on the same data).
KINLINK_WORKER_IDEMPOTENT_TASKS = (
    "kinlink.matching.tasks.link_new_persons",
    "kinlink.identification.tasks.screen_after_upload",
)
# The public figures (/<lang>/figures/) are served from the last stored snapshot; the worker recomputes them
# once the registry's changes have settled (no new change for KINLINK_FIGURES_SETTLE_SECONDS), or when the
# first change not yet reflected has waited KINLINK_FIGURES_MAX_DELAY_SECONDS (changes that never pause),
# and once a day. See docs/operator.md, "Public figures".
KINLINK_FIGURES_SETTLE_SECONDS = float(os.environ.get("KINLINK_FIGURES_SETTLE_SECONDS", "10"))
KINLINK_FIGURES_MAX_DELAY_SECONDS = float(os.environ.get("KINLINK_FIGURES_MAX_DELAY_SECONDS", "300"))
# Hours between the worker's retention runs (``kinlink retention run``); 0 turns them off in the worker.
KINLINK_RETENTION_INTERVAL_HOURS = float(os.environ.get("KINLINK_RETENTION_INTERVAL_HOURS", "24"))
# Retention periods in days, per kind of data and tied to its purpose (docs/operator.md, "Retention"):
# the rule's name -> days. Override one with KINLINK_RETENTION_<RULE>_DAYS (e.g.
# KINLINK_RETENTION_CLOSED_REQUEST_CONTACTS_DAYS=365). ``registry.services.retention.RULES`` says what
# each rule erases and why.
KINLINK_RETENTION_DAYS = {
    rule: int(os.environ.get(f"KINLINK_RETENTION_{rule.upper()}_DAYS", str(days)))
    for rule, days in {
        "withdrawn_request": 0,
        "withdrawn_dna": 0,
        "identified_reference_profiles": 365,
        "closed_request_contacts": 730,
        "refused_uploads": 2,
        "audit_details": 1825,
    }.items()
}
#: A genotype file larger than this (bytes) from the lab console is stored by the worker, not in the web
#: request (a 20 MB file takes about a minute; see bench/results/lab_upload.json).
KINLINK_LAB_BACKGROUND_BYTES = int(os.environ.get("KINLINK_LAB_BACKGROUND_BYTES", str(1024 * 1024)))
#: Seconds a cached fragment of the consoles (legal deadlines of every open case, the queues' counts) lives
#: at most; any write to the domain in the same process (or in any, with a shared CACHES) renews it sooner
#: (kinlink.portal.fragments; docs/operator.md, "Performance").
KINLINK_FRAGMENT_SECONDS = int(os.environ.get("KINLINK_FRAGMENT_SECONDS", "60"))
#: Seconds the last value of a fragment may be served while one thread of the machine computes its new
#: value (single flight: kinlink.portal.fragments), and the longest wait for a fragment none has yet.
KINLINK_FRAGMENT_STALE_SECONDS = int(os.environ.get("KINLINK_FRAGMENT_STALE_SECONDS", "600"))
KINLINK_FRAGMENT_WAIT_SECONDS = float(os.environ.get("KINLINK_FRAGMENT_WAIT_SECONDS", "20"))
#: Whether a fragment that takes seconds (the legal deadlines of every open case) is renewed off the request
#: while its last value is served, instead of by the reader who found it stale (kinlink.portal.fragments).
KINLINK_FRAGMENT_BACKGROUND = os.environ.get("KINLINK_FRAGMENT_BACKGROUND", "1") != "0"
#: The folder of the fragments' lock files, shared by the machine's processes that serve one database
#: (empty: VAR_DIR/run/fragment-locks).
KINLINK_FRAGMENT_LOCK_DIR = os.environ.get("KINLINK_FRAGMENT_LOCK_DIR", "")
#: A folder for a cache shared by every process of the machine (the consoles' fragments and the public
#: pages: computed once for all server processes, and a write seen by all at once). Unset: each process
#: keeps its own cache in memory (tests, the development server). `kinlink serve --production` sets it to
#: VAR_DIR/cache and empties it at start.
KINLINK_CACHE_DIR = os.environ.get("KINLINK_CACHE_DIR", "")
#: Seconds a caseworker's case page (and the lab console), rendered, is kept for its reader while nothing in
#: the domain changed (kinlink.portal.pagecache; on SQLite at most KINLINK_FRAGMENT_SECONDS); 0 renders it
#: on every view.
KINLINK_PAGE_CACHE_SECONDS = int(os.environ.get("KINLINK_PAGE_CACHE_SECONDS", "600"))
#: Where kept pages stay unless KINLINK_PAGE_CACHE_SHARED: the process's memory. In the shared (file) cache
#: they are sealed first, since they hold what the database encrypts.
_PAGES_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "kinlink-pages",
    "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("KINLINK_PAGE_CACHE_ENTRIES", "500"))},
}
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": _PAGES_CACHE,
}
#: Kept case pages in the cache the processes share (sealed: compressed and encrypted with the operator's
#: key), built once for all processes; else in each process's memory. Default: when KINLINK_CACHE_DIR is set.
KINLINK_PAGE_CACHE_SHARED = (
    os.environ.get("KINLINK_PAGE_CACHE_SHARED", "1" if KINLINK_CACHE_DIR else "0") == "1"
)
if KINLINK_CACHE_DIR:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": KINLINK_CACHE_DIR,
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
