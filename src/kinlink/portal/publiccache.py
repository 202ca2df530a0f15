"""Anonymous pages rendered once and served many times: the home page and the family's empty forms.

A visitor with no session (no staff or family sign-in, no flash message waiting in the session or its
cookie) sees the same home page and the same empty request and follow forms as every other such visitor,
apart from two values that must be their own: the CSRF token of the form (``{% csrf_token %}``) and the
request form's one-time token. The page is therefore rendered once with a placeholder in each of those
places and kept as a cached fragment (``portal.fragments``: renewed after any write to the domain, the
organisations a family may choose among for instance, and at most ``KINLINK_FRAGMENT_SECONDS`` old); each
visitor gets a copy with a fresh CSRF token (which also sets their CSRF cookie, as rendering the tag does)
and a fresh form token put into the placeholders. No visitor ever receives another's token.

Anyone else (a signed-in member of staff, a family following its request, a visitor with a message to
show) gets the page rendered for them as before. The cached answer depends on the path (hence the
language) and the data only: a view that reads anything else of the request for its GET page may not use
it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.translation import get_language

from kinlink.portal import formtokens, fragments

#: Placeholders the cached page holds where each visitor's own values go (never sent to anyone).
CSRF_SLOT = "kinlink-csrf-slot-7d1c4e"
FORM_TOKEN_SLOT = "kinlink-form-token-slot-7d1c4e"


def is_anonymous_visitor(request: HttpRequest) -> bool:
    """A GET from a visitor with no session cookie and no message cookie: nothing on the page is theirs
    but the tokens."""
    cookies = request.COOKIES
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies
    )


def render_public(
    request: HttpRequest,
    template_name: str,
    context: Callable[[], dict[str, Any]] | None = None,
    *,
    form_token: bool = False,
) -> HttpResponse:
    """``render(request, template_name, context())``, from the cache for an anonymous visitor.

    ``context`` is called only when the page is rendered; ``form_token`` adds a fresh one-time token of
    the request form (``portal.formtokens``) as ``form_token``."""
    if not is_anonymous_visitor(request):
        values = context() if context is not None else {}
        if form_token:
            values["form_token"] = formtokens.issue()
        return render(request, template_name, values)

    def page() -> str:
        values = context() if context is not None else {}
        values["csrf_token"] = CSRF_SLOT  # the view's context comes before the csrf context processor's
        if form_token:
            values["form_token"] = FORM_TOKEN_SLOT
        return render(request, template_name, values).content.decode()

    body = fragments.cached(
        "public-page",
        (template_name, request.path, get_language() or ""),
        page,
        version_age=fragments.SHARED_VERSION_AGE,
    )
    if CSRF_SLOT in body:
        body = body.replace(CSRF_SLOT, get_token(request))
    if form_token:
        body = body.replace(FORM_TOKEN_SLOT, formtokens.issue())
    return HttpResponse(body, content_type="text/html; charset=utf-8")
