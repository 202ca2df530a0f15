"""Letters from the case (inquiry, reminder, complaint) and draft court applications: rendered in ru, uk and
en, read back with pdftotext, checked for what they must say, and verified against the register."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from kinlink.documents import actions
from kinlink.documents.letters import next_step, unit_number
from kinlink.documents.models import DocumentKind, Inquiry
from kinlink.documents.render import page_count
from kinlink.documents.services import DocumentError, verify_pdf
from kinlink.registry import actions as registry_actions
from kinlink.registry.models import Case
from tests.documents.test_no_english import pdf_text

ON = dt.datetime(2024, 9, 20, 10, 0, tzinfo=dt.UTC)
TODAY = ON.date()


def flat(text: str) -> str:
    """pdftotext's lines joined: a sentence broken over lines reads as one."""
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).replace("- ", "-")


def unit_inquiry(case: Case, **kwargs: object) -> Inquiry:
    defaults: dict[str, object] = {
        "addressee_kind": "military_unit",
        "addressee": "Командиру войсковой части 12345",
        "question": "Обстоятельства исчезновения",
        "asked_on": dt.date(2024, 6, 10),
        "received_on": dt.date(2024, 6, 14),
        "reference": "исх. 21",
        "tracking_number": "30500094123456",
    }
    defaults.update(kwargs)
    return actions.record_inquiry(None, case, **defaults)  # type: ignore[arg-type]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
def test_an_inquiry_to_the_unit_names_the_person_the_unit_and_the_applicant(
    history_case: Case, lang: str, tmp_path: Path
) -> None:
    document = actions.issue_letter(None, history_case, "military_unit", lang, created=ON)
    assert document.kind == DocumentKind.INQUIRY_LETTER
    assert document.number.startswith("KL-L-2024-")
    text = flat(pdf_text(bytes(document.pdf), tmp_path))
    assert "Кузнецов Алексей Петрович" in text
    assert "Кузнецова Мария Ивановна" in text  # the enquirer, decrypted through the model
    assert "12345" in text and "АБ-123456" in text and "рядовой" in text
    assert "+7 900" not in text and "Секретная" not in text  # the family's contacts are never printed
    expected = {
        "ru": (
            "Командиру войсковой части 12345",
            "ЗАПРОС",
            "59-ФЗ",
            "2 мая 2006 г.",
            "матерью",
            "12 апреля 1991 г.",
        ),
        "uk": (
            "Командиру військової частини 12345",
            "ЗАПИТ",
            "59-ФЗ",
            "2 травня 2006 р.",
            "матір",
            "12 квітня 1991 р.",
        ),
        "en": (
            "To the commander of military unit 12345",
            "INQUIRY",
            "59-FZ",
            "2 May 2006",
            "mother",
            "12 April 1991",
        ),
    }[lang]
    for fragment in expected:
        assert fragment in text, fragment
    assert verify_pdf(bytes(document.pdf)).genuine


@pytest.mark.django_db
def test_a_certificate_request_cites_decree_1421(history_case: Case, tmp_path: Path) -> None:
    document = actions.issue_letter(
        None, history_case, "military_unit", "ru", purpose="certificate", created=ON
    )
    text = flat(pdf_text(bytes(document.pdf), tmp_path))
    assert "справки об обстоятельствах исчезновения" in text
    assert "№ 1421" in text and "1 сентября 2023 г." in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("addressee", "fragments"),
    [
        ("commissariat", ("Военному комиссару", "Курская область", "частью 3 статьи 8")),
        ("red_cross", ("Международный комитет Красного Креста", "статьи 123", "12 августа 1949 г.")),
        ("prosecutor", ("Военному прокурору", "2202-1", "статьёй 10")),
    ],
)
def test_letters_to_other_addressees_cite_their_law(
    history_case: Case, addressee: str, fragments: tuple[str, ...], tmp_path: Path
) -> None:
    document = actions.issue_letter(None, history_case, addressee, "ru", created=ON)
    text = flat(pdf_text(bytes(document.pdf), tmp_path))
    for fragment in fragments:
        assert fragment in text, fragment


@pytest.mark.django_db
def test_a_letter_for_a_recorded_inquiry_is_linked_to_it_and_dated_when_sent(
    history_case: Case, tmp_path: Path
) -> None:
    inquiry = unit_inquiry(history_case)
    document = actions.issue_letter(None, inquiry, None, "ru", created=ON)
    inquiry.refresh_from_db()
    assert inquiry.letter == document
    text = flat(pdf_text(bytes(document.pdf), tmp_path))
    assert "Исх. № 21 от 10 июня 2024 г." in text
    entry = history_case.issued_documents.get().pk
    from kinlink.registry.models import AuditEntry

    audit = AuditEntry.objects.get(action="issue_document", object_id=str(entry))
    assert audit.detail["inquiry"] == str(inquiry.pk) and audit.detail["letter_kind"] == "inquiry"


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
def test_a_reminder_cites_the_earlier_letter_and_the_passed_period(
    history_case: Case, lang: str, tmp_path: Path
) -> None:
    inquiry = unit_inquiry(history_case)
    actions.issue_letter(None, inquiry, None, lang, created=dt.datetime(2024, 6, 10, 9, tzinfo=dt.UTC))
    assert inquiry.reply_due == dt.date(2024, 7, 17)  # received 14 June + 3 days to register + 30 days
    step = next_step(Inquiry.objects.get(pk=inquiry.pk), TODAY)
    assert step is not None and (step.letter_kind, step.addressee_kind) == ("reminder", "military_unit")
    document = actions.issue_letter(None, inquiry, "military_unit", lang, letter_kind="reminder", created=ON)
    pdf = bytes(document.pdf)
    text = flat(pdf_text(pdf, tmp_path))
    expected = {
        "ru": (
            "ПОВТОРНОЕ ОБРАЩЕНИЕ",
            "10 июня 2024 г.",
            "№ 21",
            "14 июня 2024 г.",
            "17 июля 2024 г.",
            "65",
            "статьи 12",
        ),
        "uk": (
            "ПОВТОРНЕ ЗВЕРНЕННЯ",
            "10 червня 2024 р.",
            "№ 21",
            "14 червня 2024 р.",
            "17 липня 2024 р.",
            "65",
            "статті 12",
        ),
        "en": ("REPEATED APPEAL", "10 June 2024", "ref. 21", "14 June 2024", "17 July 2024", "65", "art. 12"),
    }[lang]
    for fragment in expected:
        assert fragment in text, fragment
    # the earlier letter is annexed: its pages follow the reminder
    earlier = Inquiry.objects.get(pk=inquiry.pk).letter
    assert earlier is not None and earlier.number in text
    assert page_count(pdf) >= page_count(bytes(earlier.pdf)) + 1
    assert verify_pdf(pdf).genuine


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
def test_a_complaint_to_the_prosecutor_lists_and_attaches_the_earlier_letters(
    history_case: Case, lang: str, tmp_path: Path
) -> None:
    inquiry = unit_inquiry(history_case)
    first = actions.issue_letter(
        None, inquiry, None, lang, created=dt.datetime(2024, 6, 10, 9, tzinfo=dt.UTC)
    )
    reminder = actions.record_inquiry(
        None,
        history_case,
        kind="reminder",
        follows=inquiry,
        addressee_kind="military_unit",
        addressee="Командиру войсковой части 12345",
        question="Повторно",
        asked_on=dt.date(2024, 7, 25),
        reference="исх. 34",
    )
    second = actions.issue_letter(
        None, reminder, None, lang, created=dt.datetime(2024, 7, 25, 9, tzinfo=dt.UTC)
    )
    assert reminder.reply_due is not None and reminder.reply_due < TODAY
    step = next_step(Inquiry.objects.get(pk=reminder.pk), TODAY)
    assert step is not None and (step.letter_kind, step.addressee_kind) == ("complaint", "prosecutor")
    assert next_step(Inquiry.objects.get(pk=inquiry.pk), TODAY) is not None
    document = actions.issue_letter(None, reminder, "prosecutor", lang, created=ON)
    pdf = bytes(document.pdf)
    text = flat(pdf_text(pdf, tmp_path))
    expected = {
        "ru": (
            "ЖАЛОБА",
            "Военному прокурору",
            "2202-1",
            "5.59",
            "10 июня 2024 г.",
            "25 июля 2024 г.",
            "№ 34",
        ),
        "uk": (
            "СКАРГА",
            "Військовому прокурору",
            "2202-1",
            "5.59",
            "10 червня 2024 р.",
            "25 липня 2024 р.",
            "№ 34",
        ),
        "en": (
            "COMPLAINT",
            "To the military prosecutor",
            "2202-1",
            "5.59",
            "10 June 2024",
            "25 July 2024",
            "ref. 34",
        ),
    }[lang]
    for fragment in expected:
        assert fragment in text, fragment
    assert first.number in text and second.number in text
    assert page_count(pdf) >= page_count(bytes(first.pdf)) + page_count(bytes(second.pdf)) + 1


@pytest.mark.django_db
def test_next_step_goes_from_reminder_to_prosecutor_to_ombudsman_and_stops(history_case: Case) -> None:
    inquiry = unit_inquiry(history_case)
    assert next_step(inquiry, dt.date(2024, 7, 17)) is None  # due that day: not yet overdue
    assert next_step(inquiry, dt.date(2024, 7, 18)).letter_kind == "reminder"  # type: ignore[union-attr]
    complaint = actions.record_inquiry(
        None,
        history_case,
        kind="complaint",
        follows=inquiry,
        addressee_kind="prosecutor",
        addressee="Военному прокурору",
        question="Жалоба",
        asked_on=dt.date(2024, 8, 1),
    )
    assert next_step(Inquiry.objects.get(pk=inquiry.pk), dt.date(2024, 8, 10)) is None  # the complaint runs
    late = dt.date(2024, 10, 1)
    step = next_step(Inquiry.objects.get(pk=complaint.pk), late)
    assert step is not None and (step.letter_kind, step.addressee_kind) == ("complaint", "ombudsman")
    to_ombudsman = actions.record_inquiry(
        None,
        history_case,
        kind="complaint",
        follows=complaint,
        addressee_kind="ombudsman",
        addressee="Уполномоченному по правам человека",
        question="Жалоба",
        asked_on=dt.date(2024, 10, 2),
    )
    assert next_step(Inquiry.objects.get(pk=to_ombudsman.pk), dt.date(2025, 1, 1)) is None
    actions.record_inquiry_answer(None, inquiry, answered_on=dt.date(2024, 10, 5), answer="Сведений нет")
    assert next_step(Inquiry.objects.get(pk=inquiry.pk), dt.date(2025, 1, 1)) is None


@pytest.mark.django_db
def test_follow_ups_that_make_no_sense_are_refused(history_case: Case) -> None:
    inquiry = unit_inquiry(history_case)
    with pytest.raises(DocumentError, match="not overdue"):
        actions.issue_letter(
            None, inquiry, "prosecutor", "ru", created=dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
        )
    with pytest.raises(DocumentError, match="prosecutor or the ombudsman"):
        actions.issue_letter(None, inquiry, "commissariat", "ru", letter_kind="complaint", created=ON)
    with pytest.raises(DocumentError, match="no unanswered inquiry"):
        actions.issue_letter(None, history_case, "commissariat", "ru", letter_kind="reminder", created=ON)
    with pytest.raises(DocumentError, match="unknown addressee"):
        actions.issue_letter(None, history_case, "pope", "ru", created=ON)
    with pytest.raises(DocumentError, match="unknown language"):
        actions.issue_letter(None, history_case, "military_unit", "de", created=ON)
    actions.record_inquiry_answer(None, inquiry, answered_on=dt.date(2024, 9, 1), answer="Сведений нет")
    with pytest.raises(DocumentError, match="was answered"):
        actions.issue_letter(None, inquiry, "military_unit", "ru", letter_kind="reminder", created=ON)
    assert not history_case.issued_documents.exists()  # nothing half-written


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
def test_the_application_to_recognise_as_missing_builds_its_evidence_from_the_trail(
    history_case: Case, lang: str, tmp_path: Path
) -> None:
    inquiry = unit_inquiry(history_case)
    document = actions.issue_court_application(None, history_case, None, lang, created=ON)
    assert document.kind == DocumentKind.COURT_APPLICATION and document.number.startswith("KL-A-2024-")
    text = flat(pdf_text(bytes(document.pdf), tmp_path))
    expected = {
        "ru": (
            "ПРОЕКТ",
            "не является юридической консультацией",
            "о признании гражданина безвестно отсутствующим",
            "районный",
            "статья 276",
            "статья 57",
            "Признать безвестно отсутствующим: Кузнецов Алексей Петрович",
            "Числится пропавшим без вести",  # the ministry's answer
            "ответа нет по состоянию на 20 сентября 2024 г., 65",  # the unit's silence
            "№ 77/15",  # the unit's notice, a source
            "Иванова",  # the witness
            "120-ФЗ",
        ),
        "uk": (
            "ПРОЄКТ",
            "не є юридичною консультацією",
            "про визнання громадянина безвісно відсутнім",
            "районного",
            "стаття 57",
            "Визнати безвісно відсутнім: Кузнецов Алексей Петрович",
            "Числится пропавшим без вести",
            "20 вересня 2024 р., 65",
            "№ 77/15",
        ),
        "en": (
            "DRAFT",
            "not legal advice",
            "to recognise a citizen as missing",
            "district",
            "art. 276",
            "art. 57",
            "To recognise as missing: Кузнецов Алексей Петрович",
            "Числится пропавшим без вести",
            "no answer as of 20 September 2024, 65 days after the deadline",
            "ref. 77/15",
        ),
    }[lang]
    for fragment in expected:
        assert fragment in text, fragment
    assert inquiry.addressee in text
    assert verify_pdf(bytes(document.pdf)).genuine


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
def test_the_application_to_declare_dead_cites_the_recognition(
    history_case: Case, lang: str, tmp_path: Path
) -> None:
    registry_actions.change_legal_status(None, history_case, "recognised_missing", dt.date(2024, 8, 1))
    history_case.refresh_from_db()
    document = actions.issue_court_application(None, history_case, None, lang, created=ON)
    text = flat(pdf_text(bytes(document.pdf), tmp_path))
    expected = {
        "ru": (
            "об объявлении гражданина умершим",
            "Объявить умершим",
            "1 августа 2024 г.",
            "1 ноября 2024 г.",
        ),
        "uk": (
            "про оголошення громадянина померлим",
            "Оголосити померлим",
            "1 серпня 2024 р.",
            "1 листопада 2024 р.",
        ),
        "en": ("to declare a citizen dead", "To declare dead", "1 August 2024", "1 November 2024"),
    }[lang]
    for fragment in expected:
        assert fragment in text, fragment


@pytest.mark.django_db
def test_no_application_for_a_ukrainian_case_or_an_unknown_kind(history_case: Case) -> None:
    with pytest.raises(DocumentError, match="unknown application"):
        actions.issue_court_application(None, history_case, "divorce", "ru")
    history_case.jurisdiction = "UA"
    history_case.save(update_fields=["jurisdiction"])
    with pytest.raises(DocumentError, match="Russian courts only"):
        actions.issue_court_application(None, history_case, "recognise-missing", "ru")


def test_the_unit_number_is_read_from_the_unit_name() -> None:
    assert unit_number("в/ч 12345") == "12345"
    assert unit_number("войсковая часть 01234, г. Курск") == "01234"
    assert unit_number("123-й полк") == ""
