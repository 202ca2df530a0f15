"""The seed case, built by the demo, is explained in the registry and in the admin."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from kinlink.demo.accounts import create_demo_accounts, organisations
from kinlink.demo.seed_case import build_seed_case
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Case, Claim, ClaimRetraction, Person, TracingRequest
from kinlink.registry.services.fate import assess_person, explanation_lines, legal_view

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_case() -> Case:
    orgs = organisations()
    create_demo_accounts(orgs)
    return build_seed_case(orgs).case


def test_seed_case_fate_is_a_conflict_with_three_sources_and_a_burial_lead(seed_case: Case) -> None:
    assessment = assess_person(seed_case.person)
    assert (assessment.fate, assessment.confidence) == ("dead", "disputed")
    # the three sources, and the mother's own request (the family's report: "missing")
    cited = {c.source_kind for c in assessment.cited}
    assert cited == {"family_report", "unit_notice", "ministry_letter", "testimony"}
    with translation.override("en"):
        lines = explanation_lines(assessment)
    assert any(
        "Извещение войсковой части 12345: dead 30 March 2022 (stated 9 April 2022)" in line for line in lines
    )
    assert any(
        "Письмо Министерства обороны Российской Федерации: missing (stated 10 May 2022)" in line
        for line in lines
    )
    assert any(
        line.startswith("Burial-site lead from Показания сослуживца") and "похоронили местные жители" in line
        for line in lines
    )
    # in Russian, the dates as Russian writes them
    with translation.override("ru"):
        lines = explanation_lines(assessment, "M")
    assert any("Извещение войсковой части 12345: погиб 30\u00a0марта 2022\u00a0г." in line for line in lines)
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}", line) for line in lines), lines


def test_seed_case_paper_trail(seed_case: Case) -> None:
    """Issue 13: the unit's notice answers the mother's letter, the ministry's "missing" answer is a claim
    of its letter, the Decree 1421 request to the commissariat and its reminder go unanswered past their
    deadlines, and the family's own hotline calls wait for (or passed) a caseworker's review."""
    import datetime as dt

    from kinlink.documents.models import Inquiry

    trail = Inquiry.objects.filter(case=seed_case)
    unit = trail.get(addressee_kind="military_unit")
    assert unit.answer_source is not None and unit.answer_source.kind == "unit_notice"
    assert unit.answered_on == dt.date(2022, 4, 9) and unit.reply_due is not None
    ministry = trail.get(addressee_kind="ministry", logged_by="staff")
    assert ministry.answer_source is not None and ministry.answer_source.kind == "ministry_letter"
    claim = Claim.objects.get(source=ministry.answer_source)
    assert claim.fate == "missing" and claim.person_id == seed_case.person_id
    commissariat = trail.get(addressee_kind="commissariat", kind="inquiry")
    assert commissariat.legal_basis == "decree-1421" and commissariat.answered_on is None
    assert commissariat.reply_due == dt.date(2023, 11, 8)  # received 9 October 2023, 30 days
    assert commissariat.is_overdue(dt.date(2024, 1, 1))
    reminder = trail.get(kind="reminder")
    assert reminder.follows == commissariat and reminder.answered_on is None
    assert reminder.is_overdue(dt.date(2024, 6, 1))
    calls = trail.filter(logged_by="family")
    assert calls.count() == 2 and set(calls.values_list("channel", flat=True)) == {"hotline"}
    assert all(c.operator_name for c in calls)
    assert sorted(calls.values_list("evidence", flat=True)) == ["accepted", "pending"]
    assert AuditEntry.objects.filter(
        action="review_inquiry", object_id=str(calls.get(evidence="accepted").pk)
    )


def test_retracting_the_ministry_letter_resolves_the_conflict(seed_case: Case) -> None:
    person = Person.objects.get(pk=seed_case.person.pk)
    assert (person.fate, person.fate_confidence) == ("dead", "disputed") and person.fate_conflicts > 0
    letter = Claim.objects.get(person=person, source__kind="ministry_letter")
    actions.retract_claim(None, letter, "answered in error")
    assessment = assess_person(person)
    assert not assessment.conflicts
    assert (assessment.fate, assessment.confidence) == ("dead", "confirmed")
    person.refresh_from_db()
    assert (person.fate, person.fate_confidence, person.fate_conflicts) == ("dead", "confirmed", 0)
    assert ClaimRetraction.objects.get(claim=letter).reason == "answered in error"


def test_claims_cannot_be_deleted(seed_case: Case) -> None:
    claim = Claim.objects.filter(person=seed_case.person).first()
    assert claim is not None
    with pytest.raises(PermissionError):
        claim.delete()


def test_legal_plan_for_the_seed_case(seed_case: Case) -> None:
    import datetime as dt

    view = legal_view(seed_case, today=dt.date(2022, 8, 1))
    # The last news is the last credible sign of life: the mother's last contact (28 March), not the
    # unit's notice of death (30 March), which is no news of him alive.
    assert view.last_news == dt.date(2022, 3, 28)
    assert seed_case.jurisdiction == "RU-participant"
    recognise = next(d for d in view.steps if d.action == "recognise_missing")
    # 6 months from 29 March 2022 end on 28 September 2022, but 120-FZ took effect only on 15 May 2023
    assert recognise.date == dt.date(2023, 5, 15) and recognise.held_until_in_force == dt.date(2022, 9, 29)
    assert not recognise.reached
    # the unit's notice of death opens the command's certificate (Government Decree 1421 of 1 September 2023)
    certificate = next(d for d in view.steps if d.action == "death_certificate_from_command")
    assert certificate.date == dt.date(2023, 9, 1)
    register = next(d for d in view.steps if d.action == "register_death")
    assert register.rule == "ru-participant-register-after-command"
    # news of a death: the family sees no steps until a caseworker has talked to them
    assert view.death_news and view.family_steps is None


def test_contact_details_are_encrypted_at_rest(seed_case: Case) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT contact, enquirer_name FROM registry_tracingrequest")
        contact, name = cursor.fetchone()
    assert contact.startswith("kl1:") and "+7 900" not in contact
    assert "Шевчук" not in name
    assert TracingRequest.objects.get().contact == "+7 900 000-00-00"


def test_admin_person_page_shows_the_explanation(seed_case: Case, client: Client) -> None:
    admin = get_user_model().objects.create_superuser("root-test", "root@example.org", "a-long-password-1")
    client.force_login(admin)
    person = Person.objects.get(pk=seed_case.person.pk)
    response = client.get(f"/en/admin/registry/person/{person.pk}/change/", follow=True)
    if response.redirect_chain and "otp" in response.redirect_chain[-1][0]:
        pytest.fail("admin requires a second factor; log in with TOTP in this test")
    text = response.content.decode()
    assert "Fate (computed from claims)" in text
    assert "dead (disputed)" in text
    assert "тела похоронили местные жители" in text


def test_admin_view_of_a_tracing_request_is_audited(seed_case: Case, client: Client) -> None:
    admin = get_user_model().objects.create_superuser("root-test2", "root2@example.org", "a-long-password-1")
    client.force_login(admin)
    request = TracingRequest.objects.get()
    client.get(f"/en/admin/registry/tracingrequest/{request.pk}/change/")
    assert AuditEntry.objects.filter(action="view_contact", object_id=str(request.pk)).exists()
