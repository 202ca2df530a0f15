"""End to end in headless chromium: a mother asks in Russian on a 360 px phone, a caseworker signs in
with TOTP, records the unit's and the ministry's conflicting claims and releases an update, and the
mother reads it. Also: axe-core on the family pages and the weight of each family page.

Screenshots of every step go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinlink.registry.models import Membership, Organisation, Role
from tests.portal.browser import axe_violations, chromium, family_sign_in, screenshot, write_artifact
from tests.portal.portal_world import current_token

# Playwright's sync API runs an event loop in this thread; the ORM calls below are plain and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 360, "height": 740}
PASSWORD = "a long demo password"
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63382127f71f0004ba02043e571fc70000000049454e44ae426082"
)


def _staff(org: Organisation) -> tuple[Any, TOTPDevice]:
    user = get_user_model().objects.create_user("natalia", password=PASSWORD)
    Membership.objects.create(user=user, organisation=org, role=Role.CASEWORKER)
    return user, TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _no_horizontal_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _add_claim(page: Any, kind: str, name: str, source_date: str, fate: str, date: str) -> None:
    page.locator("#add-claim summary").click()
    form = page.locator("#add-claim form")
    form.locator("#id_source_kind").select_option(kind)
    form.locator("#id_source_name").fill(name)
    form.locator("#id_source_date").fill(source_date)
    form.locator("#id_reliability").select_option("B")
    form.locator("#id_fate").select_option(fate)
    form.locator("#id_date").fill(date)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_mother_caseworker_mother(
    live_server: Any, transactional_db: None, settings: Any, tmp_path: Any
) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http on localhost
    settings.ATTACHMENT_ROOT = tmp_path
    org = Organisation.objects.create(name="Поиск", slug="poisk")
    Organisation.objects.create(name="Central lab", slug="lab", is_lab=True)
    _user, device = _staff(org)
    base = live_server.url
    weights: dict[str, int] = {}

    with chromium() as browser:
        mother = browser.new_context(viewport=PHONE, locale="ru-RU", device_scale_factor=1)
        page = mother.new_page()
        page.on(
            "response",
            lambda r: (
                weights.__setitem__(r.url.replace(base, ""), len(r.body()))
                if r.request.method == "GET" and r.status == 200
                else None
            ),
        )
        # 1. The mother fills in the request in Russian on a 360 px screen.
        page.goto(f"{base}/ru/request/new")
        assert page.locator("h1").inner_text().startswith("Попросите нас")
        _no_horizontal_scroll(page)
        page.fill("#id_surname", "Шевчук")
        page.fill("#id_given_name", "Александр")
        page.fill("#id_patronymic", "Петрович")
        page.fill("#id_other_names", "Shevchuk Aleksandr")
        page.fill("#id_birth_date", "14.07.1998")
        page.fill("#id_unit", "в/ч 12345")
        page.fill("#id_last_contact", "28.03.2022")
        page.fill("#id_last_known_place", "Попасная")
        page.fill("#id_circumstances", "Последний звонок 28 марта, потом из части сказали, что погиб.")
        page.set_input_files(
            "#id_photos", files=[{"name": "sasha.png", "mimeType": "image/png", "buffer": PNG_1PX}]
        )
        page.fill("#id_enquirer_name", "Шевчук Наталья Ивановна")
        page.select_option("#id_relationship", "mother")
        page.fill("#id_contact", "+7 900 000-00-00")
        page.get_by_label("Поиск", exact=True).check()
        page.get_by_label("Наша семья согласна сдать образцы ДНК для поиска.").check()
        screenshot(page, "01-mother-request-form-ru-360px")
        page.get_by_role("button", name="Отправить запрос").click()
        # the answer to the POST, shown once (the code is kept nowhere, not even in the session)
        page.wait_for_selector("#request-number")
        number = page.locator("#request-number").inner_text()
        code = page.locator("#access-code").inner_text()
        assert page.get_by_text("Оба его родителя").is_visible()
        _no_horizontal_scroll(page)
        screenshot(page, "02-mother-request-number-and-code")

        # 2. The caseworker signs in with password and TOTP and finds the request.
        staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        desk = staff.new_page()
        desk.goto(f"{base}/en/staff/")
        assert "/en/staff/login" in desk.url
        desk.fill("#id_username", "natalia")
        desk.fill("#id_password", PASSWORD)
        desk.get_by_role("button", name="Next").click()
        desk.wait_for_url(re.compile(r".*/staff/login/code.*"))
        screenshot(desk, "03-caseworker-totp-step")
        desk.fill("#id_token", current_token(device))
        desk.get_by_role("button", name="Sign in").click()
        desk.wait_for_url(re.compile(r".*/en/staff/$"))
        screenshot(desk, "04-caseworker-queues")
        desk.get_by_role("link", name=number).click()
        assert desk.locator("#contact").inner_text() == "+7 900 000-00-00"
        desk.get_by_role("button", name="Open a case").click()
        desk.wait_for_url(re.compile(r".*/en/staff/cases/\d+/$"))

        # 3. The unit's notice and the ministry's letter disagree.
        _add_claim(desk, "unit_notice", "Notice of unit в/ч 12345", "30.03.2022", "dead", "30.03.2022")
        _add_claim(
            desk, "ministry_letter", "Letter of the Ministry of Defence", "10.05.2022", "missing", "03.2022"
        )
        assert desk.get_by_role("heading", name="Conflicts between sources").is_visible()
        assert (
            desk.get_by_text(
                "Notice of unit в/ч 12345 reports him dead, "
                "but Letter of the Ministry of Defence reports him missing."
            ).count()
            >= 1
        )
        screenshot(desk, "05-caseworker-case-with-conflicting-claims")

        # 4. The caseworker writes and releases an update in her own words (htmx swaps the thread in place).
        update = "Мы получили два противоречащих ответа: из части и из министерства. Проверяем оба."
        thread = desk.locator("article[id^=thread-]")
        thread.locator("textarea[name=body]").first.fill(update)
        thread.get_by_role("button", name="Release to the family").click()
        desk.locator("article[id^=thread-]").get_by_text(update).wait_for()
        screenshot(desk, "06-caseworker-released-update")

        # 5. The mother opens her request again and reads the update; no claim text reaches her.
        page.goto(f"{base}/ru/request/follow")
        assert page.get_by_text(update).is_visible()
        body = page.locator("main").inner_text()
        assert "Notice of unit" not in body and "Ministry" not in body
        _no_horizontal_scroll(page)
        screenshot(page, "07-mother-sees-the-update")

        # The follow-up sign-in with number and code works from a fresh phone too.
        fresh = browser.new_context(viewport=PHONE, locale="ru-RU").new_page()
        fresh.goto(f"{base}/ru/request/follow")
        fresh.fill("#id_number", number)
        fresh.fill("#id_code", code)
        fresh.get_by_role("button", name="Открыть").click()
        assert fresh.get_by_text(update).is_visible()

        # Page weights of the family pages (HTML plus stylesheet; photos excluded).
        css = max(v for k, v in weights.items() if k.endswith(".css"))
        family_pages = {
            k: v + css for k, v in weights.items() if k.startswith("/ru/") and not k.endswith(".css")
        }
        write_artifact("page-weights.json", {"bytes_including_css": family_pages, "css": css})
        assert family_pages and all(size < 100_000 for size in family_pages.values()), family_pages

        # 6. Accessibility: axe-core on every family page (CSP bypassed so the checker may be injected).
        checked = browser.new_context(viewport=PHONE, locale="ru-RU", bypass_csp=True)
        probe = checked.new_page()
        report: dict[str, list[dict[str, Any]]] = {}
        for path in ("/ru/", "/ru/request/new", "/ru/request/follow", "/uk/request/new", "/en/request/new"):
            probe.goto(f"{base}{path}")
            report[path] = axe_violations(probe)
        family_sign_in(probe, base, "ru", number, code)
        report["/ru/request/follow (signed in)"] = axe_violations(probe)
        write_artifact("axe-family-pages.json", report)
        serious = {p: [v for v in vs if v["impact"] in ("serious", "critical")] for p, vs in report.items()}
        assert not any(serious.values()), serious
