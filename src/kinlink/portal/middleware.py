"""Security headers beyond Django's own (permissions policy, no caching of private pages), and the cap on the
size of a family form."""

from __future__ import annotations

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
