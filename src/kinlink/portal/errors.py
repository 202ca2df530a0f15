"""Error pages (400, 403, 404, 500) in the reader's language, with the site's header and language links.

400, 403 and 404 render with the request's context, like every page. The 500 page needs neither the
database nor the context processors (the error may be the database itself): it is rendered from the
language in the URL prefix and a language switcher built from the path alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.views.decorators.csrf import requires_csrf_token

from kinlink.portal.context import NATIVE_NAMES, _strip_language


def _error(request: HttpRequest, template: str, status: int) -> HttpResponse:
    return render(request, template, {"status": status}, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check (an expired page, cookies off): the 403 page, saying so."""
    return render(request, "403.html", {"status": 403, "csrf": True}, status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, "404.html", 404)


def language_of_path(path: str) -> str:
    """The language named by the path's prefix (``/uk/...``), else the site's default."""
    first = path.lstrip("/").split("/", 1)[0]
    codes = [code for code, _name in settings.LANGUAGES]
    return first if first in codes else settings.LANGUAGE_CODE


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    language = language_of_path(request.path)
    rest = _strip_language(request.path)
    context: dict[str, Any] = {
        "status": 500,
        "current_language": language,
        "language_links": [
            {"code": code, "name": NATIVE_NAMES.get(code, code), "url": f"/{code}{rest}"}
            for code, _name in settings.LANGUAGES
        ],
    }
    with translation.override(language):
        body = loader.get_template("500.html").render(context)
    return HttpResponseServerError(body)
