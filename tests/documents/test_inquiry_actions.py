"""The inquiry trail's actions: reply deadlines per legal basis, receipt and the one extension, answers
recorded as sources with claims, family-logged entries and their review, and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from kinlink.documents import actions as document_actions
from kinlink.documents.actions import StatedFate
from kinlink.documents.models import Inquiry
from kinlink.registry import actions
from kinlink.registry.models import (
    Attachment,
    AuditEntry,
    Case,
    Claim,
    Organisation,
    Person,
    Source,
    SourceKind,
    TracingRequest,
)
from kinlink.registry.services.family_intake import FamilyRequest

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63382127f71f0004ba02043e571fc70000000049454e44ae426082"
)


@pytest.fixture
def caseworker(db: Any) -> Any:
    return get_user_model().objects.create(username="natalia")


@pytest.fixture
def case(db: Any) -> Case:
    org = Organisation.objects.create(name="Поиск", slug="poisk")
    request, _code = actions.submit_tracing_request(
        FamilyRequest(
            surname="Шевчук",
            given_name="Александр",
            sex="M",
            birth_date="1998-07-14",
            relationship="mother",
            enquirer_name="Шевчук Наталья",
            contact="+7 900 000-00-00",
            consent_organisations=[org],
        )
    )
    return actions.open_case(None, request.person, org, request=request)


def _inquiry(case: Case, actor: Any = None, **kwargs: Any) -> Inquiry:
    values: dict[str, Any] = {
        "addressee_kind": "military_unit",
        "addressee": "Командир в/ч 12345",
        "question": "Где мой сын?",
        "asked_on": dt.date(2022, 4, 2),
    }
    values.update(kwargs)
    return document_actions.record_inquiry(actor, case, **values)


def _audit(action: str, inquiry: Inquiry) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, object_type="inquiry", object_id=str(inquiry.pk)))


# --- reply deadlines ---


def test_a_written_inquiry_to_a_state_body_falls_under_59_fz(case: Case) -> None:
    inquiry = _inquiry(case, channel="post")
    assert inquiry.legal_basis == "59-FZ"
    # 3 days to register it, then 30 days to answer (counted from sending while receipt is unknown)
    assert inquiry.reply_due == dt.date(2022, 5, 5)
    assert inquiry.is_overdue(dt.date(2022, 5, 6))
    assert not inquiry.is_overdue(dt.date(2022, 5, 5))


def test_a_decree_1421_certificate_is_due_30_days_after_sending(case: Case) -> None:
    inquiry = _inquiry(case, legal_basis="decree-1421")
    assert inquiry.reply_due == dt.date(2022, 5, 2)


@pytest.mark.parametrize(
    ("addressee_kind", "channel"),
    [("red_cross", "post"), ("pow_body", "email"), ("other", "post"), ("ministry", "hotline")],
)
def test_no_statutory_deadline_where_the_law_sets_none(case: Case, addressee_kind: str, channel: str) -> None:
    inquiry = _inquiry(case, addressee_kind=addressee_kind, channel=channel)
    assert inquiry.legal_basis == "none"
    assert inquiry.reply_due is None
    assert not inquiry.is_overdue(dt.date(2030, 1, 1))


def test_an_unknown_legal_basis_is_refused_and_nothing_is_written(case: Case) -> None:
    with pytest.raises(ValidationError) as caught:
        _inquiry(case, legal_basis="decree-9999")
    assert "legal_basis" in caught.value.message_dict
    assert not Inquiry.objects.exists()


def test_the_due_date_counts_from_receipt_when_it_is_known(case: Case, caseworker: Any) -> None:
    inquiry = _inquiry(case, caseworker, received_on=dt.date(2022, 4, 9))
    assert inquiry.reply_due == dt.date(2022, 5, 12)
    entry = _audit("record_inquiry", inquiry)
    assert len(entry) == 1 and entry[0].actor == caseworker
    assert entry[0].detail["addressee_kind"] == "military_unit" and entry[0].detail["logged_by"] == "staff"


def test_received_before_it_was_sent_is_refused(case: Case) -> None:
    with pytest.raises(ValidationError) as caught:
        _inquiry(case, received_on=dt.date(2022, 4, 1))
    assert "received_on" in caught.value.message_dict
    assert not Inquiry.objects.exists()


def test_dates_in_the_future_are_refused(case: Case) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    with pytest.raises(ValidationError) as caught:
        _inquiry(case, asked_on=tomorrow)
    assert "asked_on" in caught.value.message_dict
    inquiry = _inquiry(case)
    with pytest.raises(ValidationError):
        document_actions.update_inquiry_dates(None, inquiry, received_on=tomorrow)
    inquiry.refresh_from_db()
    assert inquiry.received_on is None


# --- receipt and extension ---


def test_receipt_then_one_extension_move_the_deadline(case: Case, caseworker: Any) -> None:
    inquiry = _inquiry(case)
    inquiry = document_actions.update_inquiry_dates(caseworker, inquiry, received_on=dt.date(2022, 4, 9))
    assert inquiry.reply_due == dt.date(2022, 5, 12)
    inquiry = document_actions.update_inquiry_dates(caseworker, inquiry, extended_on=dt.date(2022, 5, 10))
    assert inquiry.reply_due == dt.date(2022, 6, 11)
    stored = Inquiry.objects.get(pk=inquiry.pk)
    assert (stored.received_on, stored.extended_on, stored.reply_due) == (
        dt.date(2022, 4, 9),
        dt.date(2022, 5, 10),
        dt.date(2022, 6, 11),
    )
    entries = _audit("update_inquiry", inquiry)
    assert len(entries) == 2 and {e.detail["extended_on"] for e in entries} == {"", "2022-05-10"}

    with pytest.raises(ValidationError) as caught:
        document_actions.update_inquiry_dates(caseworker, inquiry, extended_on=dt.date(2022, 6, 1))
    assert "extended_on" in caught.value.message_dict
    assert Inquiry.objects.get(pk=inquiry.pk).extended_on == dt.date(2022, 5, 10)
    assert len(_audit("update_inquiry", inquiry)) == 2


def test_an_extension_before_sending_or_under_a_rule_without_one_is_refused(case: Case) -> None:
    inquiry = _inquiry(case)
    with pytest.raises(ValidationError):
        document_actions.update_inquiry_dates(None, inquiry, extended_on=dt.date(2022, 3, 1))
    certificate = _inquiry(case, legal_basis="decree-1421")
    with pytest.raises(ValidationError) as caught:
        document_actions.update_inquiry_dates(None, certificate, extended_on=dt.date(2022, 4, 20))
    assert "extended_on" in caught.value.message_dict
    assert Inquiry.objects.get(pk=certificate.pk).reply_due == dt.date(2022, 5, 2)


def test_receipt_before_sending_is_refused_on_update(case: Case) -> None:
    inquiry = _inquiry(case)
    with pytest.raises(ValidationError) as caught:
        document_actions.update_inquiry_dates(None, inquiry, received_on=dt.date(2022, 3, 30))
    assert "received_on" in caught.value.message_dict
    assert not _audit("update_inquiry", inquiry)


def test_an_update_with_nothing_to_record_is_refused(case: Case) -> None:
    inquiry = _inquiry(case)
    with pytest.raises(ValidationError):
        document_actions.update_inquiry_dates(None, inquiry)
    assert not _audit("update_inquiry", inquiry)


# --- follow-ups ---


def test_a_complaint_follows_an_inquiry_of_the_same_case(case: Case) -> None:
    inquiry = _inquiry(case)
    complaint = _inquiry(
        case,
        kind="complaint",
        follows=inquiry,
        addressee_kind="prosecutor",
        addressee="Военная прокуратура",
        asked_on=dt.date(2022, 5, 20),
    )
    assert complaint.follows == inquiry and list(inquiry.follow_ups.all()) == [complaint]
    assert complaint.legal_basis == "59-FZ"
    other_case = actions.open_case(
        None,
        actions.add_person(None, names=[{"surname": "Другой", "is_primary": True}], reason="test"),
        case.organisation,
    )
    with pytest.raises(ValidationError):
        _inquiry(other_case, kind="reminder", follows=inquiry)
    with pytest.raises(ValidationError):
        _inquiry(case, kind="reminder")  # a reminder of what?
    assert Inquiry.objects.count() == 2


# --- answers ---


def test_an_answer_becomes_a_source_with_claims_and_the_fate_is_recomputed(
    case: Case, caseworker: Any, settings: Any, tmp_path: Any
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    person = case.person
    inquiry = _inquiry(case, addressee_kind="ministry", addressee="Минобороны России", channel="email")
    document_actions.record_inquiry_answer(
        caseworker,
        inquiry,
        answered_on=dt.date(2022, 5, 10),
        answer="Числится пропавшим без вести с 30.03.2022.",
        answer_reference="№ 173/4/12345",
        statements=[StatedFate("missing", "2022-03-30", "Гостомель")],
        scan=("answer.png", PNG_1PX),
    )
    inquiry.refresh_from_db()
    assert inquiry.answered_on == dt.date(2022, 5, 10)
    assert inquiry.answer_reference == "№ 173/4/12345"
    source = inquiry.answer_source
    assert source is not None
    assert source.kind == SourceKind.MINISTRY_LETTER
    assert (source.origin, source.reference, source.date) == (
        "Минобороны России",
        "№ 173/4/12345",
        "2022-05-10",
    )
    assert source.organisation == case.organisation
    claim = Claim.objects.get(source=source)
    assert (claim.person, claim.fate, claim.date, claim.place) == (
        person,
        "missing",
        "2022-03-30",
        "Гостомель",
    )
    assert claim.created_by == caseworker
    assert Attachment.objects.filter(source=source, filename="answer.png").count() == 1
    assert Person.objects.get(pk=person.pk).fate == "missing"
    entry = _audit("record_inquiry_answer", inquiry)
    assert len(entry) == 1 and entry[0].detail["claims"] == 1 and entry[0].detail["source"] == str(source.pk)

    # a second answer to the same inquiry is refused: the trail keeps one answer per inquiry
    with pytest.raises(ValidationError):
        document_actions.record_inquiry_answer(
            caseworker, inquiry, answered_on=dt.date(2022, 5, 11), answer="again"
        )
    assert Source.objects.filter(answered_inquiries__isnull=False).count() == 1


def test_a_unit_answer_stating_death_is_a_unit_notice_and_moves_the_fate(case: Case) -> None:
    inquiry = _inquiry(case)
    document_actions.record_inquiry_answer(
        None,
        inquiry,
        answered_on=dt.date(2022, 4, 20),
        answer="Погиб при выполнении задач.",
        statements=[StatedFate("dead", "2022-03-30")],
    )
    inquiry.refresh_from_db()
    assert inquiry.answer_source is not None and inquiry.answer_source.kind == SourceKind.UNIT_NOTICE
    assert Person.objects.get(pk=case.person_id).fate == "dead"
    assert not inquiry.shared_with_family  # news of a death never reaches the family by itself


def test_an_answer_without_text_or_scan_or_before_sending_is_refused(case: Case) -> None:
    inquiry = _inquiry(case)
    with pytest.raises(ValidationError) as caught:
        document_actions.record_inquiry_answer(None, inquiry, answered_on=dt.date(2022, 5, 1), answer="  ")
    assert "answer" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        document_actions.record_inquiry_answer(None, inquiry, answered_on=dt.date(2022, 4, 1), answer="Нет")
    assert "answered_on" in caught.value.message_dict
    assert not Source.objects.filter(name__contains="12345").exists()
    assert Inquiry.objects.get(pk=inquiry.pk).answered_on is None


def test_a_bad_statement_writes_nothing(case: Case) -> None:
    inquiry = _inquiry(case)
    sources, claims = Source.objects.count(), Claim.objects.count()
    with pytest.raises(ValidationError):
        document_actions.record_inquiry_answer(
            None,
            inquiry,
            answered_on=dt.date(2022, 5, 1),
            answer="Сведений нет",
            statements=[StatedFate("missing", "2022-03-30"), StatedFate("vanished", "2022-03-30")],
        )
    assert Source.objects.count() == sources
    assert Claim.objects.count() == claims
    assert Inquiry.objects.get(pk=inquiry.pk).answered_on is None


# --- the family's own entries ---


def test_a_family_entry_waits_for_review_then_counts_as_evidence(case: Case, caseworker: Any) -> None:
    tracing_request = TracingRequest.objects.get(person=case.person)
    call = _inquiry(
        case,
        addressee_kind="ministry",
        addressee="Горячая линия Минобороны",
        channel="hotline",
        operator_name="Елена",
        logged_by="family",
        tracing_request=tracing_request,
        answered_on=dt.date(2022, 4, 2),
        answer="Сказали: сведений нет, ждите.",
        label="family (access code)",
    )
    assert call.evidence == Inquiry.Evidence.PENDING
    assert call.tracing_request == tracing_request
    assert call.family_may_read_answer()
    assert _audit("record_inquiry", call)[0].actor_label.startswith("family")

    document_actions.review_family_inquiry(caseworker, call, accept=True)
    assert Inquiry.objects.get(pk=call.pk).evidence == Inquiry.Evidence.ACCEPTED
    document_actions.review_family_inquiry(caseworker, call, accept=False)
    assert Inquiry.objects.get(pk=call.pk).evidence == Inquiry.Evidence.DECLINED
    entries = _audit("review_inquiry", call)
    assert [e.detail["evidence"] for e in sorted(entries, key=lambda e: e.pk)] == ["accepted", "declined"]

    staff_entry = _inquiry(case)
    assert staff_entry.evidence == Inquiry.Evidence.ACCEPTED
    with pytest.raises(ValidationError):
        document_actions.review_family_inquiry(caseworker, staff_entry, accept=False)


def test_a_family_entry_must_come_from_a_request_for_the_same_person(case: Case) -> None:
    other = actions.add_person(None, names=[{"surname": "Другой", "is_primary": True}], reason="test")
    # direct write: a request for another person, without the intake's side effects
    foreign = TracingRequest.objects.create(number="TR-OTHER", person=other, organisation=case.organisation)
    with pytest.raises(ValidationError):
        _inquiry(case, logged_by="family", tracing_request=foreign)
    assert not Inquiry.objects.exists()


def test_sharing_an_answer_with_the_family_is_a_recorded_decision(case: Case, caseworker: Any) -> None:
    inquiry = _inquiry(case)
    assert not inquiry.family_may_read_answer()
    with pytest.raises(ValidationError):  # nothing to share yet
        document_actions.share_inquiry_answer(caseworker, inquiry, shared=True)
    document_actions.record_inquiry_answer(
        caseworker, inquiry, answered_on=dt.date(2022, 5, 1), answer="Сведений нет"
    )
    document_actions.share_inquiry_answer(caseworker, inquiry, shared=True)
    stored = Inquiry.objects.get(pk=inquiry.pk)
    assert stored.shared_with_family and stored.family_may_read_answer()
    entry = _audit("share_inquiry", inquiry)
    assert len(entry) == 1 and entry[0].detail["shared"] is True and entry[0].actor == caseworker


def test_default_legal_basis() -> None:
    assert document_actions.default_legal_basis("commissariat", "post") == "59-FZ"
    assert document_actions.default_legal_basis("prosecutor", "online") == "59-FZ"
    assert document_actions.default_legal_basis("commissariat", "in_person") == "none"
    assert document_actions.default_legal_basis("red_cross", "email") == "none"
