"""The field's actions: exhumation steps, custody chains, repatriation batches, ante-mortem and
post-mortem profiles and remembered exclusions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kinlink.field import actions, services
from kinlink.field.models import CustodyEvent, ExhumationStep, PhysicalProfile
from kinlink.identification.actions import register_sample
from kinlink.registry import actions as registry_actions
from kinlink.registry.models import AppendOnlyError, AuditEntry, Organisation, Person, Remains, Site
from kinlink.registry.services.bulk import ImportRefused

pytestmark = pytest.mark.django_db
D = dt.date


def _site() -> Site:
    source = registry_actions.add_source(None, kind="testimony", name="Показания сослуживца", date="2022-04")
    return actions.record_site(
        None,
        name="Полевое захоронение у ручья",
        kind=Site.Kind.FIELD_GRAVE,
        reported_by=source,
        latitude=48.1,
        longitude=37.7,
        precision_m=300,
        buried_count=4,
        buried_on="2022-03",
        buried_by="местные жители",
    )


def test_site_from_testimony_and_exhumation_steps_in_order() -> None:
    site = _site()
    assert (site.buried_count, site.buried_by, site.reported_by.kind) == (4, "местные жители", "testimony")
    actions.record_exhumation_step(None, site, status="requested", on=D(2023, 5, 1), by="семья")
    with pytest.raises(ValidationError, match="status"):
        actions.record_exhumation_step(None, site, status="exhumed", on=D(2023, 6, 1))
    actions.record_exhumation_step(None, site, status="permitted", on=D(2023, 6, 1), by="прокуратура")
    with pytest.raises(ValidationError, match="previous step"):
        actions.record_exhumation_step(None, site, status="exhumed", on=D(2023, 5, 20))
    actions.record_exhumation_step(None, site, status="exhumed", on=D(2023, 7, 1), by="поисковый отряд")
    site.refresh_from_db()
    assert site.exhumation_status == "exhumed"
    assert [s.status for s in ExhumationStep.objects.filter(site=site)] == [
        "requested",
        "permitted",
        "exhumed",
    ]
    step = ExhumationStep.objects.first()
    assert step is not None
    with pytest.raises(AppendOnlyError):
        step.save()
    assert AuditEntry.objects.filter(action="record_exhumation").count() == 3


def test_remains_custody_chain_and_the_lab_sample() -> None:
    site = _site()
    remains = actions.recover_remains(None, code="R-1", site=site, recovered_on=D(2023, 7, 1), by="отряд")
    lab = Organisation.objects.create(name="Lab", slug="lab", is_lab=True)
    sample = register_sample(None, lab, "BC-0001", "remains")
    actions.tie_sample(None, sample, remains, on=D(2023, 7, 3), by="эксперт")
    actions.record_custody(
        None, step="lab", on=D(2023, 7, 10), sample=sample, from_party="морг", to_party="лаборатория"
    )
    with pytest.raises(ValidationError, match="first link"):
        actions.record_custody(None, step="transfer", on=D(2023, 6, 1), remains=remains)
    chain = services.custody_chain(remains)
    assert [(e.step, e.on) for e in chain] == [
        ("recovery", D(2023, 7, 1)),
        ("sampling", D(2023, 7, 3)),
        ("sampling", D(2023, 7, 3)),
        ("lab", D(2023, 7, 10)),
    ]
    sample.refresh_from_db()
    assert sample.remains == remains
    other = actions.recover_remains(None, code="R-2", site=site, recovered_on=D(2023, 7, 1))
    with pytest.raises(ValidationError, match="already tied"):
        actions.tie_sample(None, sample, other, on=D(2023, 7, 4))
    with pytest.raises(AppendOnlyError):
        CustodyEvent.objects.filter(remains=remains).delete()


BATCH = "code,sex,age,tag_number,documents,effects\nB-1,M,25-35,АА-123,военный билет,часы\nB-2,,,,,\n"


def test_batch_import_is_atomic_idempotent_and_reports_row_and_column() -> None:
    bad = BATCH + "B-3,X,,,,\n,M,,,,\n"
    with pytest.raises(ImportRefused) as refused:
        actions.import_batch(None, code="REP-7", received_on=D(2023, 8, 1), csv_text=bad, filename="rep7.csv")
    assert {(e.row, e.column) for e in refused.value.errors} == {(4, "sex"), (5, "code")}
    assert not Remains.objects.exists()
    first = actions.import_batch(None, code="REP-7", received_on=D(2023, 8, 1), csv_text=BATCH)
    again = actions.import_batch(None, code="REP-7", received_on=D(2023, 8, 1), csv_text=BATCH)
    assert (first.created, again.created, again.unchanged) == (2, 0, 2)
    body = Remains.objects.get(code="B-1")
    assert body.batch is not None and body.batch.code == "REP-7" and body.sex_estimate == "M"
    assert body.postmortem.tag_number == "АА-123" and body.postmortem.sources["tag_number"] == "REP-7"
    assert [e.step for e in services.custody_chain(body)] == ["transfer"]
    with pytest.raises(ImportRefused, match="already registered elsewhere"):
        actions.import_batch(None, code="REP-8", received_on=D(2023, 9, 1), csv_text=BATCH)


def _person(surname: str, sex: str = "M", birth: str = "1995-02-10") -> Person:
    return registry_actions.add_person(
        None,
        names=[{"surname": surname, "given_name": "Иван", "script": "cyrl"}],
        reason="test",
        sex=sex,
        birth_date=birth,
        fate="missing",
    )


def test_profiles_rank_candidates_and_remember_exclusions() -> None:
    remains = actions.recover_remains(None, code="R-9", site=None, recovered_on=D(2023, 7, 1))
    actions.save_profile(
        None,
        remains=remains,
        values={"sex": "M", "age_min": 20, "age_max": 35, "tag_number": "АА-777"},
        sources={"tag_number": "осмотр"},
    )
    sokolov, petrov, anna = _person("Соколов"), _person("Петров"), _person("Анна", sex="F")
    actions.save_profile(
        None,
        person=sokolov,
        values={"tag_number": "АА 777", "height_min_cm": 180, "height_max_cm": 180},
        sources={"tag_number": "мать"},
        marks=[actions.MarkInput("tattoo", "left_arm", "якорь", "мать")],
    )
    with pytest.raises(ValidationError):
        actions.save_profile(None, person=petrov, values={"age_min": 40, "age_max": 30})
    ranked, excluded = services.candidates(remains)
    assert [c.person for c in ranked][:1] == [sokolov]
    assert anna in [c.person for c in excluded]
    actions.decide_comparison(None, remains, petrov, decision="excluded", reason="зубы не совпадают")
    ranked, excluded = services.candidates(remains)
    assert petrov not in [c.person for c in ranked]
    assert [c.decision.reason for c in excluded if c.person == petrov] == ["зубы не совпадают"]
    profile = PhysicalProfile.objects.get(person=sokolov)
    assert profile.marks.count() == 1 and profile.side == "am"
    details = [e.detail for e in AuditEntry.objects.filter(action="save_physical_profile")]
    am_entry = next(d for d in details if d["side"] == "am")
    assert set(am_entry["fields"].split(",")) == {"height_min_cm", "height_max_cm", "tag_number", "marks"}
    assert not any("АА" in str(d) for d in details)  # values never go to the audit log
