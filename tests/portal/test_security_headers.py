"""Strict CSP, security headers, CSRF and cookie flags."""

from __future__ import annotations

import re

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


def _cookie_settings(**env: str) -> list[str]:
    """The cookie flags a fresh process computes from the given environment."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in ("KINLINK_INSECURE_COOKIES", "KINLINK_DEBUG")}
    code = (
        "import kinlink.settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS > 0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_cookies_are_secure_unless_the_instance_is_a_local_demo() -> None:
    assert _cookie_settings() == ["True", "True", "True", "True"]
    assert _cookie_settings(KINLINK_INSECURE_COOKIES="1") == ["False", "False", "True", "False"]
