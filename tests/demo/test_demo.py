"""The demo, built once per session through the product's own paths: what it leaves, and how it got there."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db.models import Q

from kinlink.cli import main
from kinlink.demo import DemoSummary, build_demo, seed_case
from kinlink.demo.field import DEMO_BATCH, DEMO_BATCH_ROWS, SEED_EVENT_COMRADES, SEED_REMAINS
from kinlink.demo.seed_case import SEED_SITE
from kinlink.field.models import CustodyEvent, ExhumationStep, PhysicalProfile
from kinlink.field.services import candidates
from kinlink.identification.models import CandidateIdentification, IdentificationDecision, ScreeningRun
from kinlink.identification.prior import IN_EVENT, parse_context
from kinlink.matching.models import CandidateLink, PendingLinkage, PersonMerge
from kinlink.registry.models import (
    AuditEntry,
    Case,
    CaseTask,
    Claim,
    Event,
    ListImport,
    ListRecord,
    Person,
    Remains,
    RepatriationBatch,
    Sample,
    Site,
    Source,
    SourceKind,
    TracingRequest,
)

pytestmark = pytest.mark.django_db


def audited(action: str, model: str) -> set[str]:
    """The ids of the objects of ``model`` that an audit entry ``action`` names."""
    return set(
        AuditEntry.objects.filter(action=action, object_type=model).values_list("object_id", flat=True)
    )


def test_the_seed_case_is_identified_by_dna_and_the_family_is_to_be_told(demo: DemoSummary) -> None:
    case = Case.objects.get(number=demo.seed_case_number)
    assert seed_case() == case
    person = Person.objects.get(pk=case.person_id)
    assert person.fate == "identified"
    dna = Claim.objects.get(person=person, source__kind=SourceKind.DNA_IDENTIFICATION)
    assert dna.fate == "identified" and not dna.is_retracted
    candidate = CandidateIdentification.objects.get(tracing_request__person=person)
    assert candidate.status == CandidateIdentification.Status.IDENTIFIED
    assert str(candidate.pk) in dna.source.reference
    staff = IdentificationDecision.objects.filter(candidate=candidate, decision="confirm").values("staff")
    assert staff.distinct().count() == 2
    tasks = CaseTask.objects.filter(case=case)
    assert tasks.count() == 1
    assert AuditEntry.objects.filter(
        action="add_task", object_id=str(tasks.get().pk), detail__candidate=str(candidate.pk)
    ).exists()
    # the family is not told: the mother's sample is only "profiled"
    mother = Sample.objects.get(tracing_request__number=demo.seed_request_number)
    assert mother.status == Sample.Status.PROFILED


def test_the_seed_case_has_its_field_record(demo: DemoSummary) -> None:
    """Issue 14: the grave from the comrade's testimony, its exhumation step by step, the remains recovered
    from it with their custody chain down to the lab, the examiner's and the mother's data, ranked."""
    person = Case.objects.get(number=demo.seed_case_number).person
    site = Site.objects.get(name=SEED_SITE)
    assert site.reported_by is not None and site.reported_by.kind == SourceKind.TESTIMONY
    assert (site.buried_count, site.buried_by, site.precision_m) == (6, "местные жители", 2000)
    steps = list(site.exhumation_steps.values_list("status", flat=True))
    assert steps == ["located", "requested", "permitted", "exhumed"] and site.exhumation_status == "exhumed"
    assert all(site.exhumation_steps.values_list("by", flat=True))
    remains = Remains.objects.get(code=SEED_REMAINS)
    assert remains.site == site and remains.identified_person == person
    assert site.remains.count() == 3
    sample = remains.samples.get()
    chain = [
        (e.step, "sample" if e.sample_id else "remains")
        for e in CustodyEvent.objects.filter(Q(remains=remains) | Q(sample=sample)).order_by("on", "pk")
    ]
    assert chain == [
        ("recovery", "remains"),
        ("transfer", "remains"),
        ("sampling", "remains"),
        ("sampling", "sample"),
        ("lab", "sample"),
    ]
    # the non-DNA comparison: he comes first, on the tattoo and the call sign; the older man is excluded
    ranked, excluded = candidates(remains)
    assert ranked[0].person == person and ranked[0].comparison.strong == 2
    assert {c.person.pk for c in ranked[1:]} | {c.person.pk for c in excluded} == set(
        Event.objects.get(sites=site).persons.exclude(pk=person.pk).values_list("pk", flat=True)
    )
    assert len(ranked) + len(excluded) == len(SEED_EVENT_COMRADES) + 1
    [older] = excluded
    assert older.person.primary_name().startswith("Лебедев")
    assert [f.code for f in older.comparison.fields if f.outcome == "exclusion"] == ["age_outside"]


def test_the_seed_candidate_states_the_event_prior(demo: DemoSummary) -> None:
    """The screening ran after the field record: the prior is the battle's, not 1 / N screened."""
    candidate = CandidateIdentification.objects.get(remains_sample__remains__code=SEED_REMAINS)
    stated = parse_context(candidate.prior_basis)
    assert stated is not None, candidate.prior_basis
    assert (stated.place, stated.via, stated.via_name) == (IN_EVENT, "site", SEED_SITE)
    assert (stated.members, stated.excluded) == (len(SEED_EVENT_COMRADES) + 1, 1)
    assert candidate.prior == pytest.approx(0.99 / 5)


def test_the_repatriation_batch_came_in_through_its_list(demo: DemoSummary) -> None:
    batch = RepatriationBatch.objects.get(code=DEMO_BATCH)
    assert batch.remains.count() == len(DEMO_BATCH_ROWS) and batch.event is not None
    tagged = Remains.objects.get(code="R-2024-RP06-001")
    assert tagged.postmortem.tag_number == "АК-771204"
    assert CustodyEvent.objects.filter(batch=batch, step="transfer").count() == len(DEMO_BATCH_ROWS)


def test_the_lab_upload_was_screened_by_the_worker(demo: DemoSummary) -> None:
    from django_tasks_db.models import DBTaskResult

    run = ScreeningRun.objects.get()
    assert run.status == ScreeningRun.Status.DONE and run.candidates_created >= 1
    assert run.frequencies.endswith("synthetic_frequencies.csv")
    screened = DBTaskResult.objects.filter(task_path="kinlink.identification.tasks.screen_after_upload")
    assert list(screened.values_list("status", flat=True)) == ["SUCCESSFUL"]
    # every new person (the lists' and the tracing requests') waited for linkage and the worker linked
    # them: the first task took them all, the others found nobody waiting
    linked = DBTaskResult.objects.filter(task_path="kinlink.matching.tasks.link_new_persons")
    assert linked.count() >= ListImport.objects.count() >= 5
    assert set(linked.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert not PendingLinkage.objects.exists()


def test_real_candidate_links_wait_in_the_queue(demo: DemoSummary) -> None:
    proposed = CandidateLink.objects.filter(status=CandidateLink.Status.PROPOSED)
    assert proposed.count() > 0
    # the sister's request, in Latin letters, and the mother's request are the same man
    person = Case.objects.get(number=demo.seed_case_number).person
    sister = TracingRequest.objects.get(relationship="sister", person__names__surname="Shevchuk")
    assert proposed.filter(
        Q(person_a=person, person_b=sister.person) | Q(person_a=sister.person, person_b=person)
    ).exists()
    # a foreign media report in Latin letters and the units' list name the same serviceman
    media = ListRecord.objects.filter(source__kind=SourceKind.MEDIA).values("person")
    roster = ListRecord.objects.filter(source__kind=SourceKind.UNIT_NOTICE).values("person")
    assert proposed.filter(
        Q(person_a__in=media, person_b__in=roster) | Q(person_a__in=roster, person_b__in=media)
    ).exists()


def test_the_demo_wrote_nothing_outside_the_actions(demo: DemoSummary) -> None:
    """Every object the demo made is accounted for by the audit entry of the action that made it (or by
    the list import that brought it in)."""
    requests = {r.number: str(r.pk) for r in TracingRequest.objects.all()}
    assert set(requests.values()) == audited("submit_request", "tracingrequest")
    listed = set(ListImport.objects.values_list("source_id", flat=True))
    reports = {s.pk for s in Source.objects.filter(kind=SourceKind.FAMILY_REPORT, reference__in=requests)}
    added_sources = audited("add_source", "source")
    for source in Source.objects.all():
        assert str(source.pk) in added_sources or source.pk in listed | reports, source
    added_claims = audited("add_claim", "claim")
    for claim in Claim.objects.all():
        assert str(claim.pk) in added_claims or claim.source_id in listed | reports, claim
    from_lists = set(ListRecord.objects.values_list("person_id", flat=True))
    from_requests = set(TracingRequest.objects.values_list("person_id", flat=True))
    # a person merged by the supervisor's review has given its list records to the person it joined
    merged = set(PersonMerge.objects.values_list("merged_id", flat=True))
    assert merged and set(Person.objects.values_list("pk", flat=True)) == from_lists | from_requests | merged
    merge_entries = AuditEntry.objects.filter(action="merge_person").values_list("detail", flat=True)
    assert {str(pk) for pk in PersonMerge.objects.values_list("pk", flat=True)} == {
        d["merge"] for d in merge_entries
    }
    for model, action in (
        (Case, "open_case"),
        (Sample, "register_sample"),
        (Event, "add_event"),
        (Site, "add_site"),
        (Remains, "register_remains"),
        (CaseTask, "add_task"),
        (ExhumationStep, "record_exhumation"),
        (CustodyEvent, "record_custody"),
        (RepatriationBatch, "record_batch"),
        (PhysicalProfile, "save_physical_profile"),
    ):
        made = {str(pk) for pk in model.objects.values_list("pk", flat=True)}
        assert made and made == audited(action, model._meta.model_name or ""), model
    for candidate in CandidateIdentification.objects.filter(decisions__isnull=False).distinct():
        entries = AuditEntry.objects.filter(
            object_type="candidateidentification",
            object_id=str(candidate.pk),
            action__in=("confirm_identification", "reject_identification"),
        )
        assert entries.count() == candidate.decisions.count()


def test_building_the_demo_twice_changes_nothing(demo: DemoSummary) -> None:
    again = build_demo("small")
    assert not again.created and demo.created
    assert again.counts == demo.counts
    assert again.seed_case_number == demo.seed_case_number
    assert again.family_code == "" and demo.family_code


def test_export_shows_the_seed_person_dead_with_a_dna_identification_claim(
    demo: DemoSummary, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12, done when: ``kinlink export --format json`` shows, for the demo's seed case person,
    ``fate`` = dead and a claim from a ``dna_identification`` source."""
    assert main(["export", "--format", "json"]) == 0
    exported: dict[str, Any] = json.loads(capsys.readouterr().out)
    uid = str(Case.objects.get(number=demo.seed_case_number).person.uid)
    dna_sources = {s["id"] for s in exported["sources"] if s["kind"] == "dna_identification"}
    assert any(c["person"] == uid and c["source"] in dna_sources for c in exported["claims"])
    person = next(p for p in exported["persons"] if p["id"] == uid)
    assert person["fate"] == "dead"
    assert person.get("fate_detail") == "identified"


def test_totp_prints_the_current_code_of_a_demo_account(
    demo: DemoSummary, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert main(["totp", "caseworker"]) == 1
    assert "KINLINK_DEBUG=1" in capsys.readouterr().err
    settings.DEBUG = True
    assert main(["totp", "caseworker"]) == 0
    code = capsys.readouterr().out.strip()
    device = TOTPDevice.objects.get(user__username="caseworker")
    expected = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    assert len(code) == 6 and int(code) in {expected.token(), *_neighbours(expected)}
    assert main(["totp", "root"]) == 1
    assert "not a demo account" in capsys.readouterr().err


def _neighbours(totp: Any) -> set[int]:
    """The codes of the previous and the next step (the test may straddle a step boundary)."""
    codes = set()
    for drift in (-1, 1):
        totp.drift = drift
        codes.add(totp.token())
    return codes


def test_the_demo_stores_its_public_figures(demo: DemoSummary) -> None:
    """The demo ends by computing the figures, so its figures page is served from storage at once."""
    from kinlink.registry.models import FiguresChange
    from kinlink.registry.services.figures import current_figures, figures_due, latest_snapshot

    ref = latest_snapshot()
    assert ref is not None
    assert current_figures()[1]["people"] == Person.objects.filter(merged_into__isnull=True).count()
    # taken after the demo's last change (the supervisor's review): no change waits for the worker
    assert not FiguresChange.objects.exists() and figures_due() == ""
