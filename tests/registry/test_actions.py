"""The registry's actions: every claim write recomputes the stored fate, retraction is a new row, a
person's claims are read across its merge group, one rule for last news, and the case records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from kinlink.cli import main
from kinlink.registry import actions
from kinlink.registry.models import (
    AuditEntry,
    Case,
    Claim,
    ClaimRetraction,
    FamilyMessage,
    Organisation,
    Person,
    Remains,
    Sample,
    Site,
    TracingRequest,
)
from kinlink.registry.services.export import export_csv, export_json
from kinlink.registry.services.fate import assess_person, last_news_date, person_claims, store_fates
from kinlink.registry.services.imports import import_list
from tests.factories import WriteList

pytestmark = pytest.mark.django_db


def request_for(surname: str = "Иванов", last_contact: str = "2022-03-28") -> TracingRequest:
    form = actions.FamilyRequest(
        surname=surname, given_name="Сергей", relationship="mother", last_contact=last_contact
    )
    request, _ = actions.submit_tracing_request(form)
    return request


def unit_notice(name: str = "Unit notice") -> Any:
    return actions.add_source(None, kind="unit_notice", name=name, date="2022-04-05", reliability="B")


def test_a_tracing_request_stores_missing_and_a_dead_claim_changes_the_stored_fate() -> None:
    person = request_for().person
    person.refresh_from_db()
    assert person.fate == "missing"
    actions.add_claim(None, person, unit_notice(), fate="dead", date="2022-03-30")
    person.refresh_from_db()
    assert person.fate == "dead" and person.fate == assess_person(person).fate
    assert AuditEntry.objects.filter(action="submit_request", actor_label="family (web form)").exists()


def test_a_new_request_is_handed_to_the_person_added_hooks_on_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    seen: list[tuple[list[int], str]] = []

    def hook(person_ids: list[int], reason: str) -> None:
        seen.append((person_ids, reason))

    actions.on_person_added(hook)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            request = request_for()
    finally:
        actions._PERSON_ADDED.remove(hook)
    assert seen == [([request.person_id], f"tracing request {request.number}")]


def test_retraction_is_a_new_row_and_recomputes_the_stored_fate() -> None:
    person = request_for().person
    claim = actions.add_claim(None, person, unit_notice(), fate="dead", date="2022-03-30")
    actions.retract_claim(None, claim, "  another soldier of the same name ")
    retraction = ClaimRetraction.objects.get(claim=claim)
    assert retraction.reason == "another soldier of the same name"
    assert Claim.objects.get(pk=claim.pk).is_retracted
    person.refresh_from_db()
    assert person.fate == "missing"
    assert AuditEntry.objects.filter(action="retract_claim", object_id=str(claim.pk)).count() == 1
    with pytest.raises(actions.ClaimError):
        actions.retract_claim(None, claim, "again")
    with pytest.raises(actions.ClaimError):
        actions.retract_claim(None, Claim.objects.exclude(pk=claim.pk).get(), "  ")
    assert ClaimRetraction.objects.count() == 1


def test_person_claims_read_across_the_merge_group_and_the_fate_is_stored_on_the_survivor() -> None:
    keep = request_for("Иванов").person
    other = request_for("Иванов").person
    third = request_for("Ivanov").person
    # merged by hand (matching's merge sets merged_into the same way); claims are not moved
    Person.objects.filter(pk=other.pk).update(merged_into=keep)
    Person.objects.filter(pk=third.pk).update(merged_into=other)
    actions.add_claim(None, Person.objects.get(pk=third.pk), unit_notice(), fate="dead", date="2022-03-30")
    keep.refresh_from_db()
    assert set(person_claims(keep).values_list("person_id", flat=True)) == {keep.pk, other.pk, third.pk}
    assert person_claims(keep).count() == 4
    assert set(person_claims(third).values_list("person_id", flat=True)) == {third.pk}
    assert keep.fate == "dead"  # the claim about the merged record counts for the survivor
    Person.objects.filter(pk=keep.pk).update(fate="unknown")
    assert store_fates([third.pk]) == 1
    keep.refresh_from_db()
    assert keep.fate == "dead"


def test_last_news_is_the_latest_sign_of_life_never_a_death() -> None:
    request = request_for(last_contact="2022-03-28")
    person = request.person
    source = unit_notice()
    actions.add_claim(None, person, source, fate="dead", date="2022-04-30")
    assert last_news_date(person) == dt.date(2022, 3, 28)  # the family's last contact, not the death
    wounded = actions.add_claim(None, person, source, fate="wounded", date="2022-04-10")
    assert last_news_date(person) == dt.date(2022, 4, 10)
    actions.retract_claim(None, wounded, "misread")
    assert last_news_date(person) == dt.date(2022, 3, 28)
    other = request_for(last_contact="2022-05").person
    Person.objects.filter(pk=other.pk).update(merged_into=person)
    assert last_news_date(person) == dt.date(2022, 5, 31)


def test_export_gives_each_person_its_stored_fate(capsys: pytest.CaptureFixture[str]) -> None:
    person = request_for().person
    actions.add_claim(None, person, unit_notice(), fate="dead", date="2022-03-30")
    exported = {p["id"]: p for p in export_json()["persons"]}
    assert exported[str(person.uid)]["fate"] == "dead"
    assert exported[str(person.uid)]["fate_confidence"] == Person.objects.get(pk=person.pk).fate_confidence
    rows = list(csv.DictReader(io.StringIO(export_csv("persons"))))
    assert rows[0]["fate"] == "dead"
    assert main(["export", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["persons"][0]["fate"] == "dead"
    assert {c["retraction_reason"] for c in out["claims"]} == {""}


def test_list_import_stores_the_fates_of_the_persons_it_touched(write_list: WriteList) -> None:
    rows = [
        {"record_id": str(i), "surname": f"Петров{i}", "given_name": "Иван", "event_date": "2022-06-01"}
        for i in range(3)
    ]
    result = import_list(write_list(rows, name="a.csv"), "obituary", "Obituaries")
    assert sorted(result.person_ids) == sorted(Person.objects.values_list("pk", flat=True))
    assert set(Person.objects.values_list("fate", flat=True)) == {"dead"}
    changed = [{**rows[0], "event_date": "2022-07-01"}, *rows[1:]]
    again = import_list(write_list(changed, name="b.csv"), "obituary", "Obituaries")
    assert again.changed == 1 and len(again.person_ids) == 1
    assert ClaimRetraction.objects.get().reason.startswith("superseded by a new version of record 0")


def test_case_records_are_written_by_actions_with_their_audit_entries() -> None:
    request = request_for()
    org = Organisation.objects.create(name="Search", slug="search")
    case = actions.open_case(None, request.person, org, request=request)
    assert actions.open_case(None, request.person, org) == case
    request.refresh_from_db()
    assert request.status == TracingRequest.Status.IN_PROGRESS
    task = actions.add_case_task(None, case, "Ask the unit again", dt.date(2030, 1, 1))
    actions.finish_case_task(None, task)
    actions.finish_case_task(None, task)
    assert task.done_at is not None
    assert AuditEntry.objects.filter(action="finish_task", object_id=str(task.pk)).count() == 1
    note = actions.add_case_note(None, case, "Mother called")
    assert case.notes.get() == note
    update = actions.release_update(None, request, "We wrote to the unit.")
    assert request.updates.get() == update
    message = actions.send_message(None, request, "Any news?", from_family=True)
    assert message.from_family and message.author is None
    entry = AuditEntry.objects.get(action="send_message", object_id=str(message.pk))
    assert entry.actor_label == "family (access code)" and entry.detail["from_family"] is True
    assert FamilyMessage.objects.filter(tracing_request=request).count() == 1
    assert Case.objects.get().tasks.get().title == "Ask the unit again"


def test_events_sites_remains_and_samples_are_added_by_actions_validated_and_audited() -> None:
    event = actions.add_event(None, name="Battle near Hostomel", date="2022-03", region="Київська область")
    site = actions.add_site(None, name="Field grave", kind="field_grave", latitude=50.58, event=event)
    remains = actions.register_remains(None, code="RM-1", site=site, event=event, recovered_on="2022-10")
    lab = Organisation.objects.create(name="Lab", slug="lab", is_lab=True)
    sample = Sample.objects.create(code="BC-1", kind="remains", lab=lab)
    actions.attach_sample(None, sample, remains=remains)
    assert Sample.objects.get(code="BC-1").remains == remains
    assert list(
        AuditEntry.objects.order_by("pk").values_list("action", flat=True).filter(action__in=list(AUDITED))
    ) == list(AUDITED)
    with pytest.raises(ValidationError):
        actions.register_remains(None, code="RM-1")  # the code is taken
    with pytest.raises(ValidationError):
        actions.add_site(None, name="Nowhere", kind="volcano")
    with pytest.raises(ValueError):
        actions.attach_sample(None, sample)
    assert Remains.objects.count() == 1 and Site.objects.count() == 1


AUDITED = ("add_event", "add_site", "register_remains", "attach_sample")


def test_open_case_takes_the_jurisdiction_of_the_legal_rules() -> None:
    from kinlink.registry.legal import LegalStatusError

    organisation = Organisation.objects.create(name="Ukrainian group", slug="ua-group")
    person = actions.add_person(None, names=[{"surname": "Шевчук"}], reason="test", label="test")
    case = actions.open_case(None, person, organisation, jurisdiction="UA")
    assert case.jurisdiction == "UA"
    other = Organisation.objects.create(name="Other group", slug="other-group")
    with pytest.raises(LegalStatusError):
        actions.open_case(None, person, other, jurisdiction="Atlantis")
    assert not Case.objects.filter(organisation=other).exists()
