"""Inquiries in the portal: the case page's table and forms, the overdue queue on the staff home page, and the
family's view and own entries on the follow page; object-level access on every new address."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from kinlink.documents import actions as document_actions
from kinlink.documents.actions import StatedFate
from kinlink.documents.models import Inquiry
from kinlink.registry.models import AuditEntry, Claim, SourceKind
from tests.portal.portal_world import Side, World, family_client, verified_client

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63382127f71f0004ba02043e571fc70000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Addresses and texts in English, whatever language an earlier test of the worker left active."""
    with translation.override("en"):
        yield


def _staff(side: Side, role: str = "caseworker") -> Client:
    return verified_client(side.users[role], side.devices[role])


def _case_url(side: Side) -> str:
    return reverse("portal:case", kwargs={"pk": side.case.pk})


def _url(name: str, side: Side, inquiry: Inquiry | None = None) -> str:
    kwargs: dict[str, Any] = {"pk": side.case.pk}
    if inquiry is not None:
        kwargs["inquiry_pk"] = inquiry.pk
    return reverse(f"portal:{name}", kwargs=kwargs)


def _record(side: Side, **kwargs: Any) -> Inquiry:
    values: dict[str, Any] = {
        "addressee_kind": "military_unit",
        "addressee": f"Commander of unit 12{side.org.slug}",
        "question": "Where is my son?",
        "asked_on": dt.date(2022, 4, 2),
    }
    values.update(kwargs)
    return document_actions.record_inquiry(None, side.case, **values)


def _short(day: dt.date) -> str:
    """A date as the English pages write it (SHORT_DATE_FORMAT)."""
    with translation.override("en"):
        return date_format(day, "SHORT_DATE_FORMAT")


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the case page ---


def test_the_case_page_shows_every_inquiry_with_its_status(world: World) -> None:
    a = world.a
    today = timezone.localdate()
    overdue = _record(a)  # 59-FZ: due 5 May 2022
    answered = _record(
        a, addressee_kind="ministry", addressee="Ministry of Defence", asked_on=dt.date(2022, 4, 12)
    )
    document_actions.record_inquiry_answer(
        None, answered, answered_on=dt.date(2022, 5, 10), answer="Listed as missing in action."
    )
    waiting = _record(a, addressee_kind="commissariat", addressee="Commissariat of Pskov", asked_on=today)
    _record(
        a, addressee_kind="red_cross", addressee="ICRC Central Tracing Agency", asked_on=dt.date(2022, 6, 15)
    )
    family = _record(
        a,
        addressee="Ministry hotline",
        addressee_kind="ministry",
        channel="hotline",
        logged_by="family",
        tracing_request=a.request,
    )
    response = _staff(a).get(_case_url(a))
    assert response.status_code == 200
    page = _text(response)
    section = page[page.index('id="inquiries"') :]
    assert "Commander of unit 12org-a" in section and "Commissariat of Pskov" in section
    assert "ICRC Central Tracing Agency" in section
    # overdue since the day after the reply date; waiting until the reply date; no deadline for the ICRC
    assert f'overdue</span> <span class="nowrap">since {_short(dt.date(2022, 5, 6))}' in section
    assert f"waiting until {_short(waiting.reply_due)}" in section
    assert "no statutory deadline" in section
    assert f"answered on {_short(dt.date(2022, 5, 10))}" in section
    assert "logged by the family: to review" in section
    assert f'id="inquiry-{overdue.pk}"' in section and f'id="inquiry-{family.pk}"' in section
    assert "Record a reminder or a complaint" in section  # offered for the overdue one
    assert "Overdue: 1." in section and "Logged by the family, to review: 1." in section
    assert "Federal Law 59-FZ, art. 12" in section


def test_recording_an_inquiry_through_the_form(world: World) -> None:
    a = world.a
    client = _staff(a)
    response = client.post(
        _url("case_add_inquiry", a),
        {
            "inquiry-addressee_kind": "commissariat",
            "inquiry-addressee": "Military commissariat of Pskov",
            "inquiry-channel": "post",
            "inquiry-tracking_number": "18000012345678",
            "inquiry-asked_on": "2022-06-01",
            "inquiry-reference": "No. 15",
            "inquiry-legal_basis": "",
            "inquiry-question": "Certificate under Decree 1421",
        },
    )
    assert response.status_code == 302
    inquiry = Inquiry.objects.get(case=a.case, addressee="Military commissariat of Pskov")
    assert response["Location"].endswith(f"#inquiry-{inquiry.pk}")
    assert (inquiry.legal_basis, inquiry.reply_due) == ("59-FZ", dt.date(2022, 7, 4))
    assert (inquiry.tracking_number, inquiry.reference, inquiry.logged_by) == (
        "18000012345678",
        "No. 15",
        "staff",
    )
    entry = AuditEntry.objects.get(action="record_inquiry", object_id=str(inquiry.pk))
    assert entry.actor == a.users["caseworker"]

    response = client.post(
        _url("case_add_inquiry", a),
        {
            "inquiry-addressee_kind": "commissariat",
            "inquiry-addressee": "Same commissariat",
            "inquiry-channel": "post",
            "inquiry-asked_on": "2022-06-01",
            "inquiry-legal_basis": "decree-1421",
            "inquiry-question": "Certificate",
        },
    )
    assert Inquiry.objects.get(addressee="Same commissariat").reply_due == dt.date(2022, 7, 1)


def test_a_bad_inquiry_keeps_its_values_and_shows_the_errors(world: World) -> None:
    a = world.a
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = _staff(a).post(
        _url("case_add_inquiry", a),
        {
            "inquiry-addressee_kind": "prosecutor",
            "inquiry-addressee": "",
            "inquiry-channel": "email",
            "inquiry-asked_on": future,
            "inquiry-question": "Why no answer from the unit?",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_inquiry-addressee"' in page and 'href="#id_inquiry-asked_on"' in page
    assert "Why no answer from the unit?" in page and f'value="{future}"' in page
    assert '<details id="add-inquiry" open>' in page
    assert not Inquiry.objects.filter(case=a.case).exists()


def test_receipt_and_extension_move_the_deadline_and_refusals_show(world: World) -> None:
    a = world.a
    inquiry = _record(a)
    client = _staff(a)
    prefix = f"inquiry{inquiry.pk}-dates"
    response = client.post(_url("case_inquiry_dates", a, inquiry), {f"{prefix}-received_on": "2022-03-30"})
    assert response.status_code == 400
    assert "It cannot have been received before it was sent." in response.content.decode()
    assert Inquiry.objects.get(pk=inquiry.pk).received_on is None

    response = client.post(_url("case_inquiry_dates", a, inquiry), {f"{prefix}-received_on": "2022-04-09"})
    assert response.status_code == 302
    assert Inquiry.objects.get(pk=inquiry.pk).reply_due == dt.date(2022, 5, 12)
    client.post(_url("case_inquiry_dates", a, inquiry), {f"{prefix}-extended_on": "2022-05-10"})
    assert Inquiry.objects.get(pk=inquiry.pk).reply_due == dt.date(2022, 6, 11)
    response = client.post(_url("case_inquiry_dates", a, inquiry), {f"{prefix}-extended_on": "2022-05-20"})
    assert response.status_code == 400
    assert "The reply period can be extended only once." in response.content.decode()
    response = client.post(_url("case_inquiry_dates", a, inquiry), {})
    assert response.status_code == 400


def test_an_answer_with_statements_and_a_scan_becomes_a_source_with_claims(
    world: World, settings: Any, tmp_path: Any
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    a = world.a
    inquiry = _record(a, addressee_kind="ministry", addressee="Ministry of Defence", channel="email")
    client = _staff(a)
    prefix = f"inquiry{inquiry.pk}-answer"
    scan = _upload("answer.png", PNG_1PX)
    response = client.post(
        _url("case_inquiry_answer", a, inquiry),
        {
            f"{prefix}-answered_on": "2022-05-10",
            f"{prefix}-answer_reference": "No. 173/4",
            f"{prefix}-answer": "Listed as missing since 30.03.2022 near Hostomel.",
            f"{prefix}-reliability": "B",
            f"{prefix}-fate_1": "missing",
            f"{prefix}-date_1": "30.03.2022",
            f"{prefix}-place_1": "Hostomel",
            f"{prefix}-fate_2": "",
            f"{prefix}-scan": scan,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    inquiry.refresh_from_db()
    source = inquiry.answer_source
    assert source is not None and source.kind == SourceKind.MINISTRY_LETTER and source.reliability == "B"
    claim = Claim.objects.get(source=source)
    assert (claim.fate, claim.date, claim.place, claim.person_id) == (
        "missing",
        "2022-03-30",
        "Hostomel",
        a.person.pk,
    )
    attachment = source.attachments.get()
    assert client.get(reverse("portal:attachment", kwargs={"pk": attachment.pk})).status_code == 200
    page = _text(client.get(_case_url(a)))
    assert (
        f"answered on {_short(dt.date(2022, 5, 10))}" in page and "No. 173/4" in page and "answer.png" in page
    )


def test_an_answer_form_with_a_statement_missing_its_fate_is_refused(world: World) -> None:
    a = world.a
    inquiry = _record(a)
    prefix = f"inquiry{inquiry.pk}-answer"
    response = _staff(a).post(
        _url("case_inquiry_answer", a, inquiry),
        {
            f"{prefix}-answered_on": "2022-05-10",
            f"{prefix}-answer": "",
            f"{prefix}-reliability": "C",
            f"{prefix}-date_1": "03.2022",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the text of the answer or attach its scan." in page
    assert "Choose the fate the answer states" in page
    assert f'id="inquiry-{inquiry.pk}"' in page and "<details open><summary>Record the answer" in page
    assert Inquiry.objects.get(pk=inquiry.pk).answered_on is None


def test_a_complaint_follows_an_overdue_inquiry(world: World) -> None:
    a = world.a
    inquiry = _record(a)
    prefix = f"inquiry{inquiry.pk}-follow_up"
    response = _staff(a).post(
        _url("case_inquiry_follow_up", a, inquiry),
        {
            f"{prefix}-kind": "complaint",
            f"{prefix}-addressee_kind": "prosecutor",
            f"{prefix}-addressee": "Military prosecutor of the district",
            f"{prefix}-channel": "online",
            f"{prefix}-asked_on": "2022-05-20",
            f"{prefix}-question": "The unit has not answered my inquiry of 2 April 2022.",
        },
    )
    assert response.status_code == 302
    complaint = Inquiry.objects.get(kind="complaint")
    assert complaint.follows == inquiry and complaint.case == a.case and complaint.legal_basis == "59-FZ"
    page = _text(_staff(a).get(_case_url(a)))
    assert "Military prosecutor of the district" in page


def test_the_caseworker_reviews_a_family_entry_and_shares_an_answer(world: World) -> None:
    a = world.a
    client = _staff(a)
    entry = _record(a, channel="hotline", logged_by="family", tracing_request=a.request)
    response = client.post(_url("case_inquiry_review", a, entry), {"decision": "accept"})
    assert response.status_code == 302
    assert Inquiry.objects.get(pk=entry.pk).evidence == "accepted"
    client.post(_url("case_inquiry_review", a, entry), {"decision": "decline"})
    assert Inquiry.objects.get(pk=entry.pk).evidence == "declined"
    client.post(_url("case_inquiry_review", a, entry), {"decision": "maybe"})
    assert Inquiry.objects.get(pk=entry.pk).evidence == "declined"

    answered = _record(a, addressee_kind="ministry", addressee="Ministry")
    document_actions.record_inquiry_answer(None, answered, answered_on=dt.date(2022, 5, 1), answer="Missing.")
    assert client.post(_url("case_inquiry_share", a, answered), {"shared": "1"}).status_code == 302
    assert Inquiry.objects.get(pk=answered.pk).shared_with_family
    client.post(_url("case_inquiry_share", a, answered), {"shared": "0"})
    assert not Inquiry.objects.get(pk=answered.pk).shared_with_family
    assert AuditEntry.objects.filter(action="share_inquiry", object_id=str(answered.pk)).count() == 2


NEW_ENDPOINTS = (
    "case_add_inquiry",
    "case_inquiry_dates",
    "case_inquiry_answer",
    "case_inquiry_follow_up",
    "case_inquiry_review",
    "case_inquiry_share",
)


@pytest.mark.parametrize("name", NEW_ENDPOINTS)
def test_another_organisations_caseworker_gets_404(world: World, name: str) -> None:
    a, b = world.a, world.b
    inquiry = _record(a, logged_by="family", tracing_request=a.request)
    before = Inquiry.objects.count()
    intruder = _staff(b)
    target = _url(name, a, None if name == "case_add_inquiry" else inquiry)
    data = {"decision": "accept", "shared": "1", "inquiry-addressee": "x"}
    assert intruder.post(target, data).status_code == 404
    if name != "case_add_inquiry":
        # A's inquiry reached through B's own case is not found either
        own = reverse(f"portal:{name}", kwargs={"pk": b.case.pk, "inquiry_pk": inquiry.pk})
        assert intruder.post(own, data).status_code == 404
    assert intruder.get(_case_url(a)).status_code == 404
    assert Inquiry.objects.count() == before
    assert Inquiry.objects.get(pk=inquiry.pk).evidence == "pending"


# --- the overdue queue ---


def test_the_staff_home_lists_overdue_inquiries_of_visible_cases_oldest_first(world: World) -> None:
    a, b = world.a, world.b
    newer = _record(a, addressee="Newer unit", asked_on=dt.date(2023, 1, 10))
    older = _record(a, addressee="Older unit", asked_on=dt.date(2022, 4, 2))
    _record(a, addressee="Answered unit", answered_on=dt.date(2022, 4, 20), answer="dead")
    _record(a, addressee_kind="red_cross", addressee="ICRC without deadline")
    _record(b, addressee="Unit of B")
    page = _text(_staff(a).get(reverse("portal:staff_home")))
    section = page[page.index('id="q-inquiries"') :]
    section = section[: section.index("</section>")]
    assert "Overdue inquiries (2)" in section
    assert section.index("Older unit") < section.index("Newer unit")
    assert f'#inquiry-{older.pk}"' in section and f'#inquiry-{newer.pk}"' in section
    assert f"reply was due by {_short(dt.date(2022, 5, 5))}" in section
    for absent in ("Answered unit", "ICRC without deadline", "Unit of B", b.case.number):
        assert absent not in section


def test_the_overdue_queue_is_paged(world: World) -> None:
    a = world.a
    for n in range(23):
        _record(a, addressee=f"Unit {n:02d}", asked_on=dt.date(2022, 1, 1) + dt.timedelta(days=n))
    client = _staff(a)
    first = _text(client.get(reverse("portal:staff_home")))
    assert "Overdue inquiries (23)" in first and "Unit 00" in first and "Unit 22" not in first
    second = _text(client.get(reverse("portal:staff_home") + "?inquiry_page=2"))
    assert "Unit 22" in second and "Unit 00" not in second


# --- the family's follow page ---


def test_the_family_sees_inquiries_in_plain_words_but_not_unshared_answers(world: World) -> None:
    a, b = world.a, world.b
    overdue = _record(a)
    unit = _record(a, addressee="Unit answering", asked_on=dt.date(2022, 4, 3))
    document_actions.record_inquiry_answer(
        None,
        unit,
        answered_on=dt.date(2022, 4, 20),
        answer="Killed in action on 30 March 2022.",
        statements=[StatedFate("dead", "2022-03-30")],
    )
    # another family's own entry on the same case, and family B's case
    other = _record(a, addressee="Another family's call", logged_by="family")
    _record(b, addressee="Unit of family B")
    client = family_client(a)
    page = _text(client.get("/en/request/follow"))
    section = page[page.index('id="inquiries"') :]
    section = section[: section.index("</section>")]
    assert "Commander of unit 12org-a" in section
    assert "The caseworker asked on 2 April 2022 (post)." in section
    assert "No answer, although it was due by 5 May 2022." in section
    assert '<li class="overdue">' in section
    assert "Answered on 20 April 2022." in section
    assert "Killed in action" not in page  # news of a death: staff side only until a caseworker shares it
    assert "Your caseworker will tell you what the answer says." in section
    assert "Where is my son?" not in section  # the caseworker's own wording stays on the staff side
    assert "Another family's call" not in page and "Unit of family B" not in page
    assert other.pk and overdue.pk

    document_actions.share_inquiry_answer(None, unit, shared=True)
    assert "Killed in action on 30 March 2022." in _text(client.get("/en/request/follow"))


def test_the_family_logs_a_call_that_waits_for_the_caseworker(world: World) -> None:
    a = world.a
    client = family_client(a)
    response = client.post(
        "/en/request/follow/inquiries",
        {
            "family-inquiry-addressee_kind": "ministry",
            "family-inquiry-addressee": "Ministry of Defence hotline",
            "family-inquiry-channel": "hotline",
            "family-inquiry-asked_on": "2022-04-05",
            "family-inquiry-operator_name": "Elena",
            "family-inquiry-question": "Is my son on any list?",
            "family-inquiry-answer": "They said: no information, wait.",
            "family-inquiry-answered_on": "",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#inquiries")
    entry = Inquiry.objects.get(addressee="Ministry of Defence hotline")
    assert (entry.logged_by, entry.evidence, entry.tracing_request, entry.case) == (
        "family",
        "pending",
        a.request,
        a.case,
    )
    assert entry.answered_on == dt.date(2022, 4, 5) and entry.operator_name == "Elena"
    assert entry.created_by is None
    assert AuditEntry.objects.get(action="record_inquiry", object_id=str(entry.pk)).actor_label.startswith(
        "family"
    )
    page = _text(client.get("/en/request/follow"))
    assert "You asked on 5 April 2022 (hotline call)." in page
    assert "Is my son on any list?" in page and "They said: no information, wait." in page
    assert "waiting for the caseworker" in page
    # the caseworker sees it, to review
    staff_page = _text(_staff(a).get(_case_url(a)))
    assert "Ministry of Defence hotline" in staff_page and "logged by the family: to review" in staff_page


def test_a_bad_family_entry_keeps_its_values_and_writes_nothing(world: World) -> None:
    a = world.a
    response = family_client(a).post(
        "/en/request/follow/inquiries",
        {
            "family-inquiry-addressee_kind": "military_unit",
            "family-inquiry-addressee": "Unit 12345",
            "family-inquiry-channel": "post",
            "family-inquiry-asked_on": "2022-04-05",
            "family-inquiry-question": "",
            "family-inquiry-answered_on": "2022-04-01",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page and 'href="#id_family-inquiry-question"' in page
    assert "Write what you were told" in page and 'value="Unit 12345"' in page
    assert '<details id="log-inquiry" open>' in page
    assert not Inquiry.objects.filter(addressee="Unit 12345").exists()


def test_the_family_cannot_log_before_a_case_is_opened_and_must_be_signed_in(world: World) -> None:
    a = world.a
    assert Client().post("/en/request/follow/inquiries", {}).status_code == 302  # to the sign-in form
    # a request without a case: the family of B's person asks through A's organisation only
    from kinlink.registry import actions
    from kinlink.registry.services.family_intake import FamilyRequest

    request, code = actions.submit_tracing_request(
        FamilyRequest(surname="Nocase", given_name="N.", relationship="mother", consent_organisations=[a.org])
    )
    client = Client()
    client.post("/en/request/follow", {"number": request.number, "code": code})
    page = _text(client.get("/en/request/follow"))
    assert "Once a caseworker has opened a case on your request" in page
    response = client.post(
        "/en/request/follow/inquiries",
        {
            "family-inquiry-addressee_kind": "military_unit",
            "family-inquiry-addressee": "Unit",
            "family-inquiry-channel": "post",
            "family-inquiry-asked_on": "2022-04-05",
            "family-inquiry-question": "Where?",
        },
    )
    assert response.status_code == 400
    assert not Inquiry.objects.filter(addressee="Unit").exists()


def _upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/png")


def test_open_inquiries_share_their_forms_rendering_but_each_names_its_own_fields(world: World) -> None:
    """The dates and answer forms are rendered once for the case (``_SharedFields``): each inquiry's copy
    names its own fields, the same HTML as rendered on its own, and a failed one keeps its values."""
    from django.template.loader import render_to_string

    from kinlink.portal.forms import InquiryAnswerForm, InquiryDatesForm

    a = world.a
    first, second = _record(a), _record(a, addressee="Military commissariat")
    page = _staff(a).get(_case_url(a)).content.decode()
    for inquiry in (first, second):
        for name, form in (
            ("dates", InquiryDatesForm(prefix=f"inquiry{inquiry.pk}-dates")),
            ("answer", InquiryAnswerForm(prefix=f"inquiry{inquiry.pk}-answer", sex=a.case.person.sex)),
        ):
            alone = render_to_string("portal/form_fields.html", {"form": form})
            assert f'name="inquiry{inquiry.pk}-{name}-' in alone
            assert alone in page
    assert "__slot__" not in page
    prefix = f"inquiry{second.pk}-answer"
    response = _staff(a).post(
        _url("case_inquiry_answer", a, second),
        {f"{prefix}-answered_on": "2022-05-10", f"{prefix}-answer": "", f"{prefix}-reliability": "B"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    first_article = page.split(f'id="inquiry-{first.pk}"')[1].split(f'id="inquiry-{second.pk}"')[0]
    second_article = page.split(f'id="inquiry-{second.pk}"')[1]
    assert f'name="inquiry{first.pk}-answer-answered_on"' in first_article
    assert "Give the text of the answer or attach its scan." not in first_article
    assert "Give the text of the answer or attach its scan." in second_article
    assert re.search(f'name="{prefix}-answered_on"[^>]*value="2022-05-10"', second_article)
