"""Strict CSP, security headers, CSRF and cookie flags."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client


def test_strict_csp_and_headers_on_family_pages(db: None) -> None:
    response = Client().get("/ru/request/new")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"
    assert "camera=()" in response["Permissions-Policy"]


def test_pages_have_no_inline_script_or_style(db: None) -> None:
    for url in ("/ru/", "/ru/request/new", "/ru/request/follow", "/en/staff/login"):
        html = Client().get(url).content.decode()
        assert " style=" not in html and "<style" not in html, url
        for script in re.findall(r"<script[^>]*>", html):
            assert "src=" in script, url
        assert not re.search(r"<script[^>]*>[^<]+</script>", html), url


def test_csrf_is_enforced(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/request/follow", {"number": "R-X", "code": "x"})
    assert response.status_code == 403


def test_cookies_are_secure_by_default(settings: Any) -> None:
    from kinlink import settings as project_settings

    assert project_settings.SESSION_COOKIE_HTTPONLY is True
    assert project_settings.SESSION_COOKIE_SAMESITE == "Lax"
    # Secure unless the instance is explicitly a plain-http demo or in DEBUG.
    import os

    insecure = os.environ.get("KINLINK_INSECURE_COOKIES") == "1" or project_settings.DEBUG
    assert project_settings.SESSION_COOKIE_SECURE is (not insecure)
    assert project_settings.CSRF_COOKIE_SECURE is project_settings.SESSION_COOKIE_SECURE
