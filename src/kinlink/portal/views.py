"""Portal views. Thin: check access, call a service, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from kinlink.portal.publiccache import render_public


def home(request: HttpRequest) -> HttpResponse:
    # the same page for every visitor with no session: rendered once (portal.publiccache)
    return render_public(request, "portal/home.html")
