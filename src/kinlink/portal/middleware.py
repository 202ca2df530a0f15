"""Security headers beyond Django's own (permissions policy, no caching of private pages), and the request
log with no personal data."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
