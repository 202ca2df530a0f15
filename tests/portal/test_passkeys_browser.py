"""The passkey script (portal/passkeys.js) in a real Chromium, with its virtual authenticator (CDP): a
caseworker adds a passkey on his account page, signs out, and signs in again with the password and the
passkey, all under the strict CSP (a blocked inline script or style would show as a console error)."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from kinlink.portal.models import PasskeyDevice
from kinlink.registry.models import AuditEntry
from tests.portal.browser import chromium, screenshot
from tests.portal.portal_world import PASSWORD, build_world, current_token

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _sign_in_with_password(page: Any, base: str) -> None:
    page.goto(f"{base}/en/staff/login")
    page.fill("#id_username", "caseworker-a")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/staff/login/code.*"))


@pytest.mark.browser
@pytest.mark.slow
def test_a_passkey_is_added_and_signs_in_through_the_page_script(
    live_server: Any, transactional_db: None, settings: Any
) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http on localhost
    settings.KINLINK_BASE_URL = ""  # the relying party is the host the browser asked: localhost
    world = build_world()
    base = live_server.url.replace("127.0.0.1", "localhost")  # a secure context without TLS
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 360, "height": 740})
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                }
            },
        )
        _sign_in_with_password(page, base)
        page.fill("#id_token", current_token(world.a.devices["caseworker"]))
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/en/staff/$"))

        page.goto(f"{base}/en/staff/account/")
        page.fill("#passkey-name", "desk laptop")
        page.click("#passkey-register-button")
        page.wait_for_selector("text=desk laptop")
        screenshot(page, "passkey-added")
        device = PasskeyDevice.objects.get(user=world.a.users["caseworker"])
        assert device.name == "desk laptop"

        page.locator("nav.staffnav form button[type=submit]").click()  # sign out
        page.wait_for_url(re.compile(r".*/staff/login$"))
        _sign_in_with_password(page, base)
        page.click("#passkey-sign-in-button")
        page.wait_for_url(re.compile(r".*/en/staff/$"))
        assert page.locator("h1").count() == 1
        entry = AuditEntry.objects.filter(action="login", actor=world.a.users["caseworker"]).latest("at")
        assert entry.detail["method"] == "passkey"
        device.refresh_from_db()
        assert device.last_used_at is not None
        context.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
