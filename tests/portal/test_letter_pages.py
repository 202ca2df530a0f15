"""Letters and court applications from the case page (Django client): an inquiry's letter, the suggested
follow-up recorded with its letter in one step (nothing recorded when the letter cannot be drafted), a
draft court application and its refusal for a case outside Russian courts, and who may do any of it."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kinlink.documents import actions as document_actions
from kinlink.documents.models import Inquiry, IssuedDocument
from kinlink.documents.services import DocumentError
from kinlink.registry.models import AuditEntry, Case
from tests.portal.portal_world import Side, World, family_client, verified_client


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _staff(side: Side, role: str = "caseworker") -> Client:
    return verified_client(side.users[role], side.devices[role])


def _url(name: str, side: Side, inquiry: Inquiry | None = None) -> str:
    kwargs: dict[str, Any] = {"pk": side.case.pk}
    if inquiry is not None:
        kwargs["inquiry_pk"] = inquiry.pk
    return reverse(f"portal:{name}", kwargs=kwargs)


def _case_page(client: Client, side: Side) -> str:
    response = client.get(_url("case", side))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def _record(side: Side, **kwargs: Any) -> Inquiry:
    values: dict[str, Any] = {
        "addressee_kind": "military_unit",
        "addressee": "Commander of military unit 12345",
        "question": "Where is my son?",
        "asked_on": dt.date(2022, 4, 2),  # 59-FZ: the answer was due on 2 May 2022
    }
    values.update(kwargs)
    return document_actions.record_inquiry(side.users["caseworker"], side.case, **values)


def _next_step(
    inquiry: Inquiry, step: str, asked_on: str = "", lang: str = "ru", addressee: str = ""
) -> dict:
    prefix = f"inquiry{inquiry.pk}-next"
    return {
        f"{prefix}-step": step,
        f"{prefix}-addressee": addressee or inquiry.addressee,
        f"{prefix}-asked_on": asked_on or dt.date.today().isoformat(),
        f"{prefix}-lang": lang,
    }


def _pdf_text(document: IssuedDocument) -> str:
    from kinlink.documents.services import pdf_bytes

    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf_bytes(document), capture_output=True, check=True
    )
    return re.sub(r"\s+", " ", done.stdout.decode())


# --- an inquiry's letter ---


def test_a_caseworker_generates_an_inquirys_letter_in_the_requests_language(world: World) -> None:
    a = world.a
    inquiry = _record(a)
    client = _staff(a)
    page = _case_page(client, a)
    assert _url("case_inquiry_letter", a, inquiry) in page and "Generate the letter" in page
    # the language of the family's request (Russian) is chosen unless the caseworker picks another
    assert re.search(rf'name="inquiry{inquiry.pk}-letter-lang"[^>]*>.*?<option value="ru" selected>', page)

    response = client.post(
        _url("case_inquiry_letter", a, inquiry), {f"inquiry{inquiry.pk}-letter-lang": "uk"}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#inquiry-{inquiry.pk}")
    inquiry.refresh_from_db()
    letter = inquiry.letter
    assert letter is not None and (letter.kind, letter.language, letter.case) == (
        "inquiry-letter",
        "uk",
        a.case,
    )
    assert AuditEntry.objects.filter(action="issue_document", object_id=str(letter.pk)).count() == 1
    page = _case_page(client, a)
    download = reverse("documents:download", kwargs={"number": letter.number})
    assert download in page and f"The letter {letter.number} is ready" in page
    assert _url("case_inquiry_letter", a, inquiry) not in page  # the card links the letter instead
    pdf = client.get(download)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "Командиру військової частини" in _pdf_text(letter) or "військов" in _pdf_text(letter)

    # a second request does not draft another letter
    client.post(_url("case_inquiry_letter", a, inquiry), {f"inquiry{inquiry.pk}-letter-lang": "ru"})
    assert IssuedDocument.objects.filter(kind="inquiry-letter", case=a.case).count() == 1
    # the other organisation's caseworker can neither draft nor download it
    other = _staff(world.b)
    assert other.post(_url("case_inquiry_letter", a, inquiry), {}).status_code == 404
    assert other.get(download).status_code == 404


def test_no_letter_for_a_call_or_an_entry_the_family_logged(world: World) -> None:
    a = world.a
    call = _record(a, addressee_kind="ministry", addressee="Hotline", channel="hotline")
    family = _record(a, logged_by="family", tracing_request=a.request)
    client = _staff(a)
    page = _case_page(client, a)
    for inquiry in (call, family):
        assert _url("case_inquiry_letter", a, inquiry) not in page
        response = client.post(
            _url("case_inquiry_letter", a, inquiry), {f"inquiry{inquiry.pk}-letter-lang": "ru"}, follow=True
        )
        assert response.status_code == 200
        assert (
            "A letter is drafted only for a written inquiry a caseworker recorded."
            in response.content.decode()
        )
    assert not IssuedDocument.objects.filter(kind="inquiry-letter").exists()


# --- the suggested next step ---


def test_an_overdue_inquiry_gets_a_reminder_then_a_complaint_each_with_its_letter(world: World) -> None:
    a = world.a
    inquiry = _record(a)
    client = _staff(a)
    page = _case_page(client, a)
    assert "Suggested next step:" in page and "Send a reminder to the same addressee" in page
    assert "Record the reminder and generate its letter" in page

    response = client.post(
        _url("case_inquiry_next_step", a, inquiry),
        _next_step(inquiry, "reminder:military_unit", asked_on="2022-06-10"),
    )
    reminder = Inquiry.objects.get(follows=inquiry)
    assert response.status_code == 302 and response["Location"].endswith(f"#inquiry-{reminder.pk}")
    assert (reminder.kind, reminder.addressee_kind, reminder.addressee, reminder.asked_on) == (
        "reminder",
        "military_unit",
        "Commander of military unit 12345",
        dt.date(2022, 6, 10),
    )
    assert reminder.letter is not None and reminder.letter.language == "ru"
    assert reminder.question.replace("\xa0", " ").startswith("Напоминание об обращении от 2 апреля 2022 г.")

    # the reminder went unanswered too: the complaint is suggested on it, and no longer on the first inquiry
    page = _case_page(client, a)
    assert _url("case_inquiry_next_step", a, inquiry) not in page
    assert _url("case_inquiry_next_step", a, reminder) in page
    assert "Complain to the military prosecutor" in page
    response = client.post(
        _url("case_inquiry_next_step", a, reminder),
        _next_step(
            reminder, "complaint:prosecutor", addressee="Военному прокурору Западного военного округа"
        ),
    )
    complaint = Inquiry.objects.get(follows=reminder)
    assert (complaint.kind, complaint.addressee_kind, complaint.addressee) == (
        "complaint",
        "prosecutor",
        "Военному прокурору Западного военного округа",
    )
    assert complaint.letter is not None
    text = _pdf_text(complaint.letter)
    # the earlier letters are named in the complaint and attached to it
    assert "2 апреля 2022 г." in text and "10 июня 2022 г." in text
    assert reminder.letter is not None and reminder.letter.number in text and inquiry.letter is None
    assert (
        AuditEntry.objects.filter(
            action="record_inquiry", object_id__in=[str(reminder.pk), str(complaint.pk)]
        )
    ).count() == 2


def test_a_stale_or_refused_step_records_nothing(world: World, settings: Any) -> None:
    a = world.a
    inquiry = _record(a)
    client = _staff(a)
    # the page suggested a reminder; a complaint posted instead (or twice) is refused
    response = client.post(
        _url("case_inquiry_next_step", a, inquiry), _next_step(inquiry, "complaint:prosecutor"), follow=True
    )
    assert "The suggested step has changed" in response.content.decode()
    assert not Inquiry.objects.filter(follows=inquiry).exists()
    # a date in the future is a form error, with the form open again
    response = client.post(
        _url("case_inquiry_next_step", a, inquiry),
        _next_step(inquiry, "reminder:military_unit", asked_on=f"{dt.date.today().year + 1}-01-10"),
    )
    assert response.status_code == 400 and "This date is in the future." in response.content.decode()
    # the letter cannot be drafted (no public address for the QR code): the reminder is not recorded either
    settings.DEBUG = False
    settings.KINLINK_BASE_URL = ""
    response = client.post(
        _url("case_inquiry_next_step", a, inquiry), _next_step(inquiry, "reminder:military_unit"), follow=True
    )
    assert response.status_code == 200
    assert "The letter could not be drafted, and nothing was recorded." in response.content.decode()
    assert not Inquiry.objects.filter(follows=inquiry).exists()
    with pytest.raises(DocumentError):
        document_actions.record_next_step(a.users["caseworker"], inquiry, "ru")
    assert not Inquiry.objects.filter(follows=inquiry).exists()
    assert not IssuedDocument.objects.exists()


# --- the court application ---


def test_a_court_application_lists_the_inquiries_and_their_answers(world: World) -> None:
    a = world.a
    unanswered = _record(a)
    answered = _record(
        a, addressee_kind="ministry", addressee="Ministry of Defence", asked_on=dt.date(2022, 4, 12)
    )
    document_actions.record_inquiry_answer(
        a.users["caseworker"],
        answered,
        answered_on=dt.date(2022, 5, 10),
        answer="Listed as missing in action.",
        answer_reference="173/4/2291",
        statements=[document_actions.StatedFate("missing")],
    )
    client = _staff(a)
    page = _case_page(client, a)
    assert _url("case_court_application", a) in page and "Draft a court application" in page
    response = client.post(
        _url("case_court_application", a),
        {"court-kind": "recognise-missing", "court-lang": "ru"},
        follow=True,
    )
    assert response.status_code == 200
    document = IssuedDocument.objects.get(kind="court-application", case=a.case)
    assert document.language == "ru"
    body = response.content.decode()
    assert f"The draft application {document.number} is ready" in body
    assert reverse("documents:download", kwargs={"number": document.number}) in body
    text = _pdf_text(document)
    assert "Listed as missing in action." in text and "10 мая 2022 г." in text
    assert "ответа нет по состоянию на" in text and "2 апреля 2022 г." in text
    assert unanswered.addressee in text
    entry = AuditEntry.objects.get(action="issue_document", object_id=str(document.pk))
    assert entry.detail.get("application") == "recognise-missing"


def test_a_court_application_outside_russian_courts_is_refused_on_the_page(world: World) -> None:
    a = world.a
    Case.objects.filter(pk=a.case.pk).update(jurisdiction="UA")  # direct write: a Ukrainian case
    response = _staff(a).post(
        _url("case_court_application", a), {"court-kind": "declare-dead", "court-lang": "uk"}, follow=True
    )
    assert response.status_code == 200
    assert "kinlink drafts court applications for Russian courts only" in response.content.decode()
    assert not IssuedDocument.objects.filter(kind="court-application").exists()
    # a form that names no application is refused on the page too
    response = _staff(a).post(_url("case_court_application", a), {"court-kind": "divorce"}, follow=True)
    assert (
        response.status_code == 200
        and "Choose the application and its language." in response.content.decode()
    )


# --- who may ---


@pytest.mark.parametrize("name", ["case_inquiry_letter", "case_inquiry_next_step", "case_court_application"])
def test_only_the_cases_own_staff_may_draft(world: World, name: str) -> None:
    a = world.a
    inquiry = _record(a)
    url = _url(name, a, inquiry if name != "case_court_application" else None)
    data = (
        {"court-kind": "recognise-missing", "court-lang": "ru"}
        if name == "case_court_application"
        else {**_next_step(inquiry, "reminder:military_unit"), f"inquiry{inquiry.pk}-letter-lang": "ru"}
    )
    assert _staff(world.b).post(url, data).status_code == 404  # another organisation's caseworker
    assert _staff(world.b, "supervisor").post(url, data).status_code == 404
    assert _staff(a, "lab_analyst").post(url, data).status_code == 403
    for client in (Client(), family_client(a)):
        response = client.post(url, data)
        assert response.status_code == 302 and "/staff/login" in response["Location"]
    assert _staff(a).get(url).status_code == 405
    assert not IssuedDocument.objects.exists() and not Inquiry.objects.filter(follows=inquiry).exists()
    assert _staff(a).post(url, data).status_code == 302
    assert IssuedDocument.objects.count() == 1
