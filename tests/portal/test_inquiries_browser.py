"""The inquiries in headless chromium, in Russian: the case page's section and the follow page at 360 px and
1280 px (screenshots in tests/artifacts/inquiries-*.png), and a caseworker recording an inquiry through htmx
on a phone, with the error summary when a field is missing."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest

from kinlink.documents.models import Inquiry
from tests.portal.browser import chromium, screenshot
from tests.portal.portal_world import build_world, family_client, verified_client
from tests.portal.test_narrow_screens import _cookies, _inquiry_trail

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SIZES = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 900}}


def test_inquiries_in_russian_at_360_and_1280_px(
    live_server: Any, transactional_db: None, settings: Any
) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http on localhost
    world = build_world()
    _inquiry_trail(world)
    a = world.a
    base = live_server.url
    staff = verified_client(a.users["caseworker"], a.devices["caseworker"])
    family = family_client(a)
    with chromium() as browser:
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, locale="ru-RU", device_scale_factor=1)
            context.add_cookies(_cookies(staff, base))
            page = context.new_page()
            page.goto(f"{base}/ru/staff/cases/{a.case.pk}/")
            section = page.locator("#inquiries")
            assert "Запросы и ответы" in section.inner_text()
            assert "просрочено" in section.inner_text()
            section.screenshot(
                path=str(
                    screenshot(page, f"inquiries-case-{size}").with_name(f"inquiries-case-section-{size}.png")
                )
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            page.goto(f"{base}/ru/staff/")
            assert "Просроченные запросы (2)" in page.locator("#q-inquiries").inner_text()
            screenshot(page, f"inquiries-staff-home-{size}")
            context.close()

            context = browser.new_context(viewport=viewport, locale="ru-RU", device_scale_factor=1)
            context.add_cookies(_cookies(family, base))
            page = context.new_page()
            page.goto(f"{base}/ru/request/follow")
            text = page.locator("main").inner_text()
            assert "Запросы в органы власти" in text and "ждёт сотрудника" in text
            assert "Числится пропавшим без вести." not in text  # not shared
            page.locator("#log-inquiry summary").click()
            screenshot(page, f"inquiries-follow-{size}")
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            context.close()

        # A caseworker on a phone records an inquiry through htmx: first without the addressee, then with it.
        context = browser.new_context(viewport=SIZES["360"], locale="ru-RU", device_scale_factor=1)
        context.add_cookies(_cookies(staff, base))
        page = context.new_page()
        page.goto(f"{base}/ru/staff/cases/{a.case.pk}/")
        page.locator("#add-inquiry summary").click()
        form = page.locator("#add-inquiry form")
        form.locator("#id_inquiry-addressee_kind").select_option("commissariat")
        form.locator("#id_inquiry-addressee").fill("Военный комиссариат города Пскова")
        form.locator("#id_inquiry-question").fill("Прошу выдать справку об обстоятельствах исчезновения.")
        form.locator("#id_inquiry-asked_on").fill(
            f"{dt.date.today().year + 1}-01-15"
        )  # the server refuses it
        form.locator("button[type=submit]").click()
        page.locator("#add-inquiry .error-summary").wait_for()
        assert page.locator("#add-inquiry #id_inquiry-question").input_value().startswith("Прошу выдать")
        screenshot(page, "inquiries-case-errors-360")
        assert "Эта дата ещё не наступила." in page.locator("#add-inquiry .error-summary").inner_text()
        page.locator("#add-inquiry #id_inquiry-asked_on").fill("2022-06-01")
        page.locator("#add-inquiry button[type=submit]").click()
        page.get_by_text("Военный комиссариат города Пскова").first.wait_for()
        assert Inquiry.objects.filter(
            addressee="Военный комиссариат города Пскова", legal_basis="59-FZ"
        ).exists()
        context.close()
