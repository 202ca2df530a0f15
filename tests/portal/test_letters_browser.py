"""The paper trail in headless chromium, in Russian, on the demo's seed case: a caseworker signs in with her
second factor, records an inquiry to the military unit, generates its letter, sees it overdue on the case
page and in the staff home queue, records the suggested reminder and then the complaint to the military
prosecutor (each with its letter), records the ministry's answer as a source stating "missing", and drafts
the court application whose evidence lists all of it; the mother then opens her follow page with her code
and sees the legal plan and the inquiries. Screenshots at 360 px and 1280 px, in Russian and Ukrainian, of
the case page's inquiries and the follow page go to tests/artifacts/letters-*.png (git-ignored).
"""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinlink.demo.accounts import create_demo_accounts, organisations
from kinlink.demo.seed_case import build_seed_case
from kinlink.documents.models import Inquiry, IssuedDocument
from kinlink.registry.models import Claim
from tests.portal.browser import chromium, family_sign_in, screenshot
from tests.portal.portal_world import current_token

# Playwright's sync API runs an event loop in this thread; the ORM calls below are plain and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SIZES = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 900}}
#: Words of the pages' own English that must never show on a Russian page (the seed case's data, entered
#: in English by the demo, is not the page's wording and is not checked here).
ENGLISH = (
    "Inquiry",
    "Inquiries",
    "Generate",
    "Letter(?! of the Ministry)",  # the seed case's source "Letter of the Ministry of Defence" is data
    "letter",
    "Reminder",
    "Complaint",
    "Suggested",
    "overdue",
    "Draft",
    "Download",
    "Legal steps",
    "Record the",
)
UNIT = "Командиру войсковой части 12345"
MINISTRY = "Военно-социальный центр Министерства обороны"


def _text(locator: Any) -> str:
    return re.sub(r"\s+", " ", locator.inner_text())


def _no_english(text: str) -> None:
    found = [word for word in ENGLISH if re.search(rf"\b{word}\b", text)]
    assert not found, found


def _pdf_text(page: Any, href: str) -> str:
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    done = subprocess.run(["pdftotext", "-", "-"], input=response.body(), capture_output=True, check=True)
    return re.sub(r"\s+", " ", done.stdout.decode())


def _record_inquiry(page: Any, kind: str, addressee: str, asked_on: str, question: str) -> Inquiry:
    page.locator("#add-inquiry summary").click()
    form = page.locator("#add-inquiry form")
    form.locator("#id_inquiry-addressee_kind").select_option(kind)
    form.locator("#id_inquiry-addressee").fill(addressee)
    form.locator("#id_inquiry-asked_on").fill(asked_on)
    form.locator("#id_inquiry-question").fill(question)
    form.locator("button[type=submit]").click()
    page.locator(".card.inquiry h3", has_text=addressee).first.wait_for()
    return Inquiry.objects.get(addressee=addressee)


def _take_next_step(page: Any, inquiry: Inquiry, asked_on: str | None = None) -> Inquiry:
    card = page.locator(f"#inquiry-{inquiry.pk}")
    step = card.locator(".next-step")
    step.locator("summary").click()
    if asked_on is not None:
        step.locator(f"#id_inquiry{inquiry.pk}-next-asked_on").fill(asked_on)
    step.locator("button[type=submit]").click()
    page.wait_for_load_state()
    follow_up = Inquiry.objects.get(follows=inquiry)
    page.locator(f"#inquiry-{follow_up.pk} a.letter-link").wait_for()
    return follow_up


def _section_shot(page: Any, section: Any, name: str) -> None:
    """The whole page (for context), and the section alone beside it."""
    section.screenshot(path=str(screenshot(page, name).with_name(f"{name}-section.png")))


def test_the_paper_trail_of_the_seed_case_in_russian(
    live_server: Any, transactional_db: None, settings: Any, tmp_path: Any
) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http on localhost
    settings.ATTACHMENT_ROOT = tmp_path
    orgs = organisations()
    create_demo_accounts(orgs)
    seed = build_seed_case(orgs)
    case = seed.case
    device = TOTPDevice.objects.get(user__username="caseworker")
    base = live_server.url
    case_url = f"{base}/ru/staff/cases/{case.pk}/"

    with chromium() as browser:
        desk_context = browser.new_context(viewport=SIZES["1280"], locale="ru-RU", device_scale_factor=1)
        desk = desk_context.new_page()
        # 1. The caseworker signs in: password, then the six-digit code.
        desk.goto(f"{base}/ru/staff/")
        assert "/ru/staff/login" in desk.url
        desk.fill("#id_username", "caseworker")
        desk.fill("#id_password", "demo-caseworker-2026")
        desk.locator("main form button[type=submit]").click()
        desk.wait_for_url(re.compile(r".*/staff/login/code.*"))
        desk.fill("#id_token", current_token(device))
        desk.locator("main form button[type=submit]").click()
        desk.wait_for_url(re.compile(r".*/ru/staff/$"))

        # 2. She records an inquiry to the unit, sent long ago, and generates its letter.
        desk.goto(case_url)
        unit = _record_inquiry(
            desk,
            "military_unit",
            UNIT,
            "2024-01-15",
            "Прошу сообщить обстоятельства исчезновения Шевчука Александра Петровича и выдать справку.",
        )
        card = desk.locator(f"#inquiry-{unit.pk}")
        assert card.locator(f"#id_inquiry{unit.pk}-letter-lang").input_value() == "ru"  # the request's
        card.get_by_role("button", name="Подготовить письмо").click()
        desk.wait_for_load_state()
        link = desk.locator(f"#inquiry-{unit.pk} a.letter-link")
        link.wait_for()
        unit.refresh_from_db()
        assert unit.letter is not None and unit.letter.language == "ru"
        assert f"Письмо {unit.letter.number} готово" in _text(desk.locator("ul.messages"))
        letter = _pdf_text(desk, base + str(link.get_attribute("href")))
        assert UNIT in letter and "15 января 2024 г." in letter, letter

        # 3. Its reply date has long passed: overdue on the case page and in the queue of the staff home.
        card = desk.locator(f"#inquiry-{unit.pk}")
        assert "просрочено" in _text(card)
        assert "Предлагаемый следующий шаг:" in _text(card)
        assert "Направить напоминание тому же адресату" in _text(card)
        desk.goto(f"{base}/ru/staff/")
        queue = _text(desk.locator("section[aria-labelledby=q-inquiries]"))
        assert UNIT in queue
        desk.goto(case_url)

        # 4. The suggested reminder (sent in March 2024, unanswered too), then a complaint to the prosecutor.
        reminder = _take_next_step(desk, unit, asked_on="2024-03-01")
        assert (reminder.kind, reminder.addressee, reminder.letter is not None) == ("reminder", UNIT, True)
        card = desk.locator(f"#inquiry-{reminder.pk}")
        assert "Обратиться с жалобой к военному прокурору" in _text(card)
        assert desk.locator(f"#inquiry-{unit.pk} .next-step").count() == 0  # the step moved to the reminder
        complaint = _take_next_step(desk, reminder)
        assert (complaint.kind, complaint.addressee_kind) == ("complaint", "prosecutor")
        assert "Жалоба записана" in _text(desk.locator("ul.messages"))
        href = desk.locator(f"#inquiry-{complaint.pk} a.letter-link").get_attribute("href")
        text = _pdf_text(desk, base + str(href))
        assert "15 января 2024 г." in text and "1 марта 2024 г." in text  # the earlier letters it cites

        # 5. The ministry's centre answers "missing": the answer is a source, its statement a claim.
        ministry = _record_inquiry(
            desk, "ministry", MINISTRY, "2024-02-01", "Прошу сообщить, какой статус у моего сына."
        )
        card = desk.locator(f"#inquiry-{ministry.pk}")
        card.locator("details", has_text="Внести ответ").locator("summary").first.click()
        prefix = f"#id_inquiry{ministry.pk}-answer"
        card.locator(f"{prefix}-answered_on").fill("2024-02-20")
        card.locator(f"{prefix}-answer_reference").fill("№ 173/4/5120")
        card.locator(f"{prefix}-answer").fill("Числится пропавшим без вести с 30 марта 2022 года.")
        card.locator(f"{prefix}-fate_1").select_option("missing")
        card.locator(f"{prefix}-date_1").fill("30.03.2022")
        card.locator("form[action$='/answer'] button[type=submit]").click()
        desk.locator(f"#inquiry-{ministry.pk}", has_text="Числится пропавшим без вести").wait_for()
        claim = Claim.objects.get(source__answered_inquiries=ministry)
        assert claim.fate == "missing"
        desk.goto(case_url)
        assert f"Ответ: {MINISTRY}" in _text(desk.locator("main"))

        # 6. The court application: its evidence lists the inquiries, the answer and the lack of answers.
        desk.locator("#court-application summary").click()
        desk.locator("#court-application").get_by_label(
            "о признании гражданина безвестно отсутствующим"
        ).check()
        desk.locator("#id_court-lang").select_option("ru")
        desk.get_by_role("button", name="Подготовить заявление", exact=True).click()
        desk.wait_for_load_state()
        application = IssuedDocument.objects.get(kind="court-application", case=case)
        assert f"Проект заявления {application.number} готов" in _text(desk.locator("ul.messages"))
        href = desk.locator(f"a[href$='{application.number}']").first.get_attribute("href")
        evidence = _pdf_text(desk, base + str(href))
        assert UNIT in evidence and MINISTRY in evidence
        assert (
            "Числится пропавшим без вести с 30 марта 2022 года." in evidence
            and "20 февраля 2024 г." in evidence
        )
        assert "ответа нет по состоянию на" in evidence
        assert "15 января 2024 г." in evidence and "1 марта 2024 г." in evidence
        _no_english(_text(desk.locator("#inquiries")))
        staff_cookies = desk_context.cookies()
        desk_context.close()

        # 7. The mother opens her page with her number and code: the plan and the inquiries, in Russian.
        mother = browser.new_context(viewport=SIZES["360"], locale="ru-RU", device_scale_factor=1)
        page = mother.new_page()
        family_sign_in(page, base, "ru", seed.request.number, seed.access_code)
        main = _text(page.locator("main"))
        assert "Юридические шаги" in main
        # the unit's notice of death is news a caseworker gives in person: the plan waits for her
        assert "расскажет вам о дальнейших юридических шагах" in main
        assert "Запросы в органы власти" in main and UNIT in main and MINISTRY in main
        assert "просрочено" in main
        assert "Числится пропавшим без вести с 30 марта 2022 года." not in main  # not shared with the family
        _no_english(main)
        mother.close()

        # 8. Screenshots of the case page's inquiries and of the follow page: 360 and 1280 px, ru and uk.
        for lang in ("ru", "uk"):
            for size, viewport in SIZES.items():
                context = browser.new_context(viewport=viewport, locale=f"{lang}-UA", device_scale_factor=1)
                context.add_cookies(staff_cookies)
                page = context.new_page()
                page.goto(f"{base}/{lang}/staff/cases/{case.pk}/")
                page.locator(".next-step summary").first.click()  # the commissariat's reminder, suggested
                page.locator("#court-application summary").click()
                section = page.locator("#inquiries")
                _no_english(_text(section))
                _section_shot(page, section, f"letters-case-{lang}-{size}")
                _section_shot(
                    page,
                    page.locator("section[aria-labelledby=documents-h]"),
                    f"letters-documents-{lang}-{size}",
                )
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                context.close()

                context = browser.new_context(viewport=viewport, locale=f"{lang}-UA", device_scale_factor=1)
                page = context.new_page()
                family_sign_in(page, base, lang, seed.request.number, seed.access_code)
                _no_english(_text(page.locator("main")))
                screenshot(page, f"letters-follow-{lang}-{size}")
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                context.close()
