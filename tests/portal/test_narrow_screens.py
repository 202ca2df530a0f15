"""No page of the portal scrolls sideways on a 360 px phone, staff pages included.

Every page the portal's URL conf declares is either visited here, in Russian at 360 px, or named in
``NOT_PAGES`` with the reason it is not a page (a POST target, a redirect, a file). A new page that is
in neither list fails ``test_every_portal_page_is_checked``, so it cannot slip past the 360 px check.
The verification page a document's QR code opens (and its upload form, and their results) is checked too.
Screenshots go to tests/artifacts/narrow-*.png (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import translation

from kinlink.documents.actions import issue_document
from kinlink.matching.models import CandidateLink
from kinlink.portal import urls as portal_urls
from kinlink.portal.withdrawal import WITHDRAWN_SESSION_KEY
from kinlink.registry import actions
from kinlink.registry.services.family_intake import FamilyRequest
from tests.portal.browser import chromium, screenshot
from tests.portal.portal_world import PASSWORD, World, build_world, family_client, verified_client

# Playwright's sync API runs an event loop in this thread; the ORM calls below are plain and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 360, "height": 740}

#: URL names of the portal that are not pages a person reads, and why.
NOT_PAGES = {
    "figures_csv": "a CSV file",
    "follow_message": "POST only",
    "follow_documents": "POST only",
    "follow_leave": "POST only",
    "follow_withdraw_dna": "POST only (the form is on the withdrawal page)",
    "follow_withdraw_request": "POST only (the form is on the withdrawal page)",
    "follow_link": "a redirect to the follow page (its message is checked below)",
    "request_submitted": "a redirect (the answer to the sent form is checked at 360 px in test_browser.py)",
    "logout": "POST only",
    "login_passkey_options": "JSON for the passkey script (POST)",
    "login_passkey": "JSON for the passkey script (POST)",
    "account_recovery_codes": "POST only (it answers with the account page, checked with new codes below)",
    "account_passkey_options": "JSON for the passkey script (POST)",
    "account_passkey_register": "JSON for the passkey script (POST)",
    "account_passkey_remove": "POST only",
    "lockout_lift": "POST only",
    "open_case": "POST only",
    "close_request": "POST only (the button is on the request page)",
    "attachment": "a file download",
    "case_add_claim": "POST only",
    "case_retract_claim": "POST only",
    "case_add_document": "POST only",
    "case_link_event": "POST only",
    "case_release_update": "POST only",
    "case_send_message": "POST only",
    "case_add_task": "POST only",
    "case_task_done": "POST only",
    "case_add_note": "POST only",
    "case_legal_status": "POST only",
    "case_add_inquiry": "POST only (the form is on the case page)",
    "case_inquiry_dates": "POST only (the form is on the case page)",
    "case_inquiry_answer": "POST only (the form is on the case page)",
    "case_inquiry_follow_up": "POST only (the form is on the case page)",
    "case_inquiry_letter": "POST only (the form is on the case page)",
    "case_inquiry_next_step": "POST only (the form is on the case page)",
    "case_court_application": "POST only (the form is on the case page)",
    "case_inquiry_review": "POST only",
    "case_inquiry_share": "POST only",
    "follow_inquiry": "POST only (the form is on the follow page)",
    "link_accept": "POST only",
    "link_reject": "POST only",
    "merge_undo": "POST only",
    "dna_confirm": "POST only",
    "dna_reject": "POST only",
    "lab_register_sample": "POST only",
    "lab_upload_profiles": "POST only",
    "lab_upload_references": "POST only",
    "lab_upload_pedigrees": "POST only",
    "field_site_exhumation": "POST only",
    "field_site_remains": "POST only",
    "field_remains_profile": "POST only",
    "field_remains_custody": "POST only",
    "field_remains_sample": "POST only",
    "field_remains_decide": "POST only",
}


@dataclass(frozen=True)
class Visit:
    name: str
    who: str  # "anonymous", "family", "withdrawn_family", "caseworker", "lab_analyst"
    kwargs: tuple[tuple[str, Any], ...] = ()
    query: str = ""


def _field_world(world: World) -> tuple[int, int]:
    """A grave from the comrade's testimony with one exhumation step, remains with post-mortem data and a
    tied sample (their custody chain), the seed person's ante-mortem data, and a repatriation batch."""
    import datetime as dt

    from kinlink.field import actions as field_actions
    from kinlink.identification.actions import register_sample
    from kinlink.registry.models import Source

    comrade = Source.objects.get(name="Comrade testimony")
    site = field_actions.record_site(
        None,
        name="Полевое захоронение у ручья возле посёлка",
        kind="field_grave",
        reported_by=comrade,
        latitude=50.58,
        longitude=30.21,
        precision_m=300,
        buried_count=4,
        buried_on="2022-04",
        buried_by="местные жители",
    )
    field_actions.record_exhumation_step(None, site, status="requested", on=dt.date(2023, 5, 1), by="семья")
    remains = field_actions.recover_remains(
        None, code="R-2023-0001-ПОЛЕ", site=site, recovered_on=dt.date(2023, 7, 1)
    )
    field_actions.save_profile(None, person=world.a.person, values={"tag_number": "АБ-123456"})
    field_actions.save_profile(
        None,
        remains=remains,
        values={"tag_number": "АБ-123456", "height_min_cm": 172, "height_max_cm": 182},
        marks=[field_actions.MarkInput("tattoo", "left_arm", "орёл с надписью «ВДВ»", "эксперт")],
    )
    sample = register_sample(None, world.a.lab, "BC-R-000001", "remains")
    field_actions.tie_sample(None, sample, remains, on=dt.date(2023, 7, 3), by="судебно-медицинский эксперт")
    field_actions.import_batch(
        None, code="REP-2023-07", received_on=dt.date(2023, 7, 20), csv_text="code,sex\nB-1,M\n"
    )
    return site.pk, remains.pk


def _visits(world: World, link: CandidateLink, candidate_pk: int, field: tuple[int, int]) -> list[Visit]:
    a = world.a
    site_pk, remains_pk = field
    return [
        Visit("home", "anonymous"),
        Visit("figures", "anonymous"),
        Visit("figures_method", "anonymous"),
        Visit("request_new", "anonymous"),
        Visit("follow_link_open", "anonymous", (("token", "a-private-link-token"),)),
        Visit("follow", "anonymous"),
        Visit("follow", "family"),
        Visit("follow_withdraw", "family"),
        Visit("request_withdrawn", "withdrawn_family"),
        Visit("login", "anonymous"),
        Visit("staff_home", "caseworker"),
        Visit("staff_search", "caseworker", query="?surname=Иванов"),
        Visit("queue_requests", "caseworker"),
        Visit("queue_messages", "caseworker"),
        Visit("queue_claims", "caseworker"),
        Visit("queue_cases", "caseworker"),
        Visit("staff_request", "caseworker", (("pk", a.request.pk),)),
        Visit("person", "caseworker", (("pk", a.person.pk),)),
        Visit("case", "caseworker", (("pk", a.case.pk),)),
        Visit("links", "caseworker"),
        Visit("link", "caseworker", (("pk", link.pk),)),
        Visit("dna_candidates", "caseworker"),
        Visit("dna_candidate", "caseworker", (("pk", candidate_pk),)),
        Visit("case_antemortem", "caseworker", (("pk", a.case.pk),)),
        Visit("field_sites", "caseworker"),
        Visit("field_site_new", "caseworker"),
        Visit("field_site", "caseworker", (("pk", site_pk),)),
        Visit("field_remains", "caseworker", (("pk", remains_pk),)),
        Visit("field_batches", "caseworker"),
        Visit("field_batch_import", "caseworker"),
        Visit("lab_home", "lab_analyst"),
        Visit("lab_sample", "lab_analyst", (("pk", a.sample.pk),)),
        Visit("account", "caseworker"),
        Visit("lockouts", "administrator"),
    ]


def _portal_names() -> set[str]:
    return {p.name for p in portal_urls.urlpatterns if isinstance(p, URLPattern) and p.name}


def test_every_portal_page_is_checked() -> None:
    visited = {"home", "figures", "figures_method", "request_new", "follow_link_open", "follow", "login"}
    visited |= {"login_otp", "staff_home", "staff_search", "staff_request", "person", "case", "links", "link"}
    visited |= {"dna_candidates", "dna_candidate", "lab_home", "lab_sample", "case_antemortem"}
    visited |= {"field_sites", "field_site_new", "field_site", "field_remains", "field_batches"}
    visited |= {"field_batch_import", "account", "lockouts"}
    visited |= {"queue_requests", "queue_messages", "queue_claims", "queue_cases"}
    visited |= {"field_batch_import", "follow_withdraw", "request_withdrawn"}
    assert not visited & NOT_PAGES.keys()
    assert _portal_names() == visited | NOT_PAGES.keys()


def _cookies(client: Client, base: str) -> list[dict[str, Any]]:
    return [{"name": name, "value": morsel.value, "url": base} for name, morsel in client.cookies.items()]


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _too_wide(page: Any) -> list[str]:
    """The elements that stick out of a 360 px page, for the failure message."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > 360.5 && !e.closest('.tablewrap'))
                .slice(0, 8)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                          + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""
        )
    )


def _inquiry_trail(world: World) -> None:
    """Inquiries on A's case in every state, for the case page, the queue and the follow page."""
    from kinlink.documents.actions import record_inquiry, record_inquiry_answer

    a = world.a
    unit = record_inquiry(
        None,
        a.case,
        addressee_kind="military_unit",
        addressee="Командиру войсковой части 12345 (полевая почта 98765, г. Северо-Задонск-Краснознаменный)",
        tracking_number="18000012345678901234",
        question="Прошу сообщить обстоятельства исчезновения моего сына и выдать справку.",
        asked_on=dt.date(2022, 4, 2),
    )
    record_inquiry(
        None,
        a.case,
        kind="complaint",
        follows=unit,
        addressee_kind="prosecutor",
        addressee="Военная прокуратура Западного военного округа",
        channel="online",
        question="Жалоба на отсутствие ответа войсковой части.",
        asked_on=dt.date(2022, 6, 1),
    )
    ministry = record_inquiry(
        None,
        a.case,
        addressee_kind="ministry",
        addressee="Министерство обороны",
        channel="email",
        question="Каков статус моего сына?",
        asked_on=dt.date(2022, 4, 12),
    )
    record_inquiry_answer(
        None, ministry, answered_on=dt.date(2022, 5, 10), answer="Числится пропавшим без вести."
    )
    record_inquiry(
        None,
        a.case,
        addressee_kind="ministry",
        addressee="Горячая линия Минобороны",
        channel="hotline",
        operator_name="Елена",
        question="Есть ли он в списках?",
        asked_on=dt.date(2022, 4, 20),
        answered_on=dt.date(2022, 4, 20),
        answer="Сказали: сведений нет, ждите.",
        logged_by="family",
        tracing_request=a.request,
    )


@pytest.mark.browser
@pytest.mark.slow
def test_no_page_scrolls_sideways_at_360_px(
    live_server: Any, transactional_db: None, settings: Any, tmp_path: Path
) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http on localhost
    world = build_world()
    base = live_server.url
    # a duplicate request: linkage finds the candidate link (direct write only if it did not)
    duplicate, _code = actions.submit_tracing_request(
        FamilyRequest(
            surname="Иванов",
            given_name="Сергей",
            birth_date="1998",
            relationship="sister",
            consent_organisations=[world.a.org],
        )
    )
    link = CandidateLink.objects.filter(person_b=duplicate.person).first() or CandidateLink.objects.create(
        person_a=world.a.person,
        person_b=duplicate.person,
        match_probability=0.91,
        match_weight=3.4,
        fingerprint="0",
    )
    _inquiry_trail(world)
    from tests.portal.test_dna_candidates import make_candidate

    candidate = make_candidate(world.a)
    field = _field_world(world)
    family = family_client(world.a)
    withdrawn_family = Client()
    session = withdrawn_family.session
    session[WITHDRAWN_SESSION_KEY] = "R-7KQ4M2XD"
    session.save()
    clients = {
        "withdrawn_family": withdrawn_family,
        "anonymous": Client(),
        "family": family,
        "caseworker": verified_client(world.a.users["caseworker"], world.a.devices["caseworker"]),
        "lab_analyst": verified_client(world.a.users["lab_analyst"], world.a.devices["lab_analyst"]),
        "administrator": verified_client(world.a.users["administrator"], world.a.devices["administrator"]),
    }
    # A lockout for the lockouts page, and sign-ins for the account page (long addresses: IPv6).
    for _ in range(5):
        Client(REMOTE_ADDR="2001:db8:85a3::8a2e:370:7334").post(
            "/ru/staff/login", {"username": "caseworker-a", "password": "wrong password"}
        )
    clients["caseworker"].post("/ru/staff/account/recovery-codes")
    too_wide: dict[str, Any] = {}
    with chromium() as browser:
        for visit in _visits(world, link, candidate.pk, field):
            context = browser.new_context(viewport=PHONE, locale="ru-RU", device_scale_factor=1)
            context.add_cookies(_cookies(clients[visit.who], base))
            page = context.new_page()
            with translation.override("ru"):
                path = reverse(f"portal:{visit.name}", kwargs=dict(visit.kwargs)) + visit.query
            response = page.goto(base + path)
            assert response is not None and response.status == 200, (path, visit.who)
            assert unquote(page.url).endswith(path), (path, page.url)  # not sent elsewhere (sign-in)
            screenshot(page, f"narrow-{visit.name}-{visit.who}")
            if _scroll_width(page) > PHONE["width"]:
                too_wide[path] = (_scroll_width(page), _too_wide(page))
            context.close()

        # The code page after the password, and the request form after a failed submit.
        context = browser.new_context(viewport=PHONE, locale="ru-RU", device_scale_factor=1)
        page = context.new_page()
        cache.clear()
        page.goto(f"{base}/ru/staff/login")
        page.fill("#id_username", world.a.users["caseworker"].get_username())
        page.fill("#id_password", PASSWORD)
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()
        assert "/ru/staff/login/code" in page.url
        screenshot(page, "narrow-login_otp")
        if _scroll_width(page) > PHONE["width"]:
            too_wide[page.url] = (_scroll_width(page), _too_wide(page))

        page.goto(f"{base}/ru/request/new")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        # the error summary is at the top, announced, focused, and links to the first field in error
        assert page.evaluate("document.activeElement.className") == "error-summary"
        assert page.locator(".error-summary[role=alert] a[href='#id_surname']").count() == 1
        screenshot(page, "narrow-request_new-errors")
        if _scroll_width(page) > PHONE["width"]:
            too_wide["/ru/request/new (errors)"] = (_scroll_width(page), _too_wide(page))

        # The verification page a document's QR code opens, its upload form and its result.
        document = issue_document("certificate", world.a.case, "ru", user=None)
        pdf = tmp_path / f"{document.number}.pdf"
        pdf.write_bytes(bytes(document.pdf))
        verify = f"{base}/ru/documents/verify/{document.number}?c={document.content_sha256}"
        for name, url in (("verify", verify), ("verify_upload", f"{base}/ru/documents/verify/")):
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            page.set_input_files("main input[type=file]", str(pdf))
            screenshot(page, f"narrow-{name}")
            if _scroll_width(page) > PHONE["width"]:
                too_wide[url] = (_scroll_width(page), _too_wide(page))
            page.locator("main form button[type=submit]").click()
            page.wait_for_load_state()
            result = page.locator("#result")
            assert "подлинный" in result.inner_text() and "Genuine" not in result.inner_text(), url
            screenshot(page, f"narrow-{name}-result")
            if _scroll_width(page) > PHONE["width"]:
                too_wide[url + " (result)"] = (_scroll_width(page), _too_wide(page))

        # A wrong private link says so, in Russian, on the follow page.
        cache.clear()
        page.goto(f"{base}/ru/request/link/WRONG-0000-0000-0000-0000")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/ru/request/follow$"))
        assert "Ссылка недействительна" in page.locator("main").inner_text()
        context.close()
    assert not too_wide, too_wide
