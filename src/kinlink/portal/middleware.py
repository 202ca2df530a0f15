"""Security headers beyond Django's own (permissions policy, no caching of private pages), the cap on the
size of a family form, and the request log with no personal data."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PRIVATE_PARTS = ("/staff/", "/lab/", "/request/", "/admin/")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if any(part in request.path for part in PRIVATE_PARTS):
            response["Cache-Control"] = "no-store"
        return response


#: What a family form may carry beside its files (the text fields, the multipart framing).
FORM_OVERHEAD_BYTES = 1024 * 1024


class FamilyUploadCapMiddleware:
    """Refuses a family form (``/<lang>/request/...``) whose body is larger than the total upload cap
    before a byte of it is read: neither memory nor the temporary folder takes a 45 MB submission. Django
    reads the body first when the CSRF check (``process_view``) asks for the form, after this has run."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and "/request/" in request.path:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.FAMILY_UPLOAD_TOTAL_MAX_BYTES + FORM_OVERHEAD_BYTES:
                megabytes = settings.FAMILY_UPLOAD_TOTAL_MAX_BYTES // (1024 * 1024)
                response = render(
                    request, "portal/family/too_large.html", {"megabytes": megabytes}, status=413
                )
                response["Connection"] = "close"  # the unread body is not taken as the next request
                return response
        return self.get_response(request)


REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
request_log = logging.getLogger("kinlink.request")


def route_name(request: HttpRequest) -> str:
    """The route a request matched, by name (``portal:follow_link``), never the path: a path may carry a
    request number, an access code or an id. Unmatched requests are ``-``."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "-"
    return match.view_name or match.route or "-"


class RequestLogMiddleware:
    """One log line per request on ``kinlink.request`` (level INFO): method, route name, status, duration in
    milliseconds and a request id (the proxy's ``X-Request-ID`` when well-formed, else a new one, returned
    in the response's ``X-Request-ID``). Never the path, the query string, a form field or a header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        fields = {
            "method": request.method if request.method in KNOWN_METHODS else "OTHER",
            "route": route_name(request),
            "status": response.status_code,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "request_id": request_id,
        }
        request_log.info("%(method)s %(route)s %(status)s", fields, extra=fields)
        return response


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RedactRequestPath(logging.Filter):
    """Django's own request logs (``django.request``: "Not Found: /en/request/follow/R-.../CODE",
    ``django.server``) print the raw path; this filter puts the route name in its place."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            record.msg = "%s (route %s)"
            record.args = (str(getattr(record, "status_code", "")) or record.levelname, route_name(request))
        elif record.name == "django.server":
            record.msg = "%s"
            record.args = (f"status {getattr(record, 'status_code', '?')}",)
        return True


class SessionExpiryMiddleware:
    """Ends a session that was idle too long or signed in too long ago.

    Staff: ``KINLINK_STAFF_IDLE_MINUTES`` without a request, or ``KINLINK_STAFF_SESSION_HOURS`` after the
    sign-in; the session is logged out and the end audited (``session_expired``). A family's follow-up
    session (its access code proven): ``KINLINK_FAMILY_IDLE_MINUTES`` and ``KINLINK_FAMILY_SESSION_HOURS``;
    the proof is forgotten and the family enters its code again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self._expire(request)
        return self.get_response(request)

    @staticmethod
    def _expire(request: HttpRequest) -> None:
        from django.conf import settings
        from django.contrib.auth import logout
        from django.utils import timezone

        from kinlink.portal.auth import LAST_SEEN_AT, SIGNED_IN_AT
        from kinlink.portal.roles import FAMILY_SESSION_KEY
        from kinlink.portal.signin import record_sign_in
        from kinlink.registry.services import audit

        session = getattr(request, "session", None)
        if session is None:
            return
        now = timezone.now().timestamp()
        user = getattr(request, "user", None)
        staff = bool(user is not None and user.is_authenticated)
        family = FAMILY_SESSION_KEY in session
        if not staff and not family:
            return
        if staff:
            idle, absolute = (
                settings.KINLINK_STAFF_IDLE_MINUTES * 60,
                settings.KINLINK_STAFF_SESSION_HOURS * 3600,
            )
        else:
            idle, absolute = (
                settings.KINLINK_FAMILY_IDLE_MINUTES * 60,
                settings.KINLINK_FAMILY_SESSION_HOURS * 3600,
            )
        started = float(session.get(SIGNED_IN_AT, now))
        seen = float(session.get(LAST_SEEN_AT, now))
        if now - seen > idle or now - started > absolute:
            reason = "idle" if now - seen > idle else "absolute"
            if staff:
                record_sign_in(request, audit.Action.SESSION_EXPIRED, user, reason=reason)
                logout(request)
            else:
                for key in (FAMILY_SESSION_KEY, SIGNED_IN_AT, LAST_SEEN_AT):
                    session.pop(key, None)
            return
        session.setdefault(SIGNED_IN_AT, now)
        if now - seen >= 60 or LAST_SEEN_AT not in session:  # write the session at most once a minute
            session[LAST_SEEN_AT] = now
