"""Caseworker screens for DNA candidate identifications: queue, detail, two-person confirmation,
"not this family" remembered, access by role and organisation, audit, and no automatic news to the family."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.test import Client, override_settings

from kinlink.identification.actions import register_sample
from kinlink.identification.models import CandidateIdentification, IdentificationDecision
from kinlink.registry import actions as registry_actions
from kinlink.registry.models import (
    AuditEntry,
    Case,
    CaseTask,
    FamilyUpdate,
    Remains,
    Sample,
)
from kinlink.registry.services.family_intake import FamilyRequest
from kinlink.scenario.dna import generate_dna
from tests.identification.uploads import Capture, rescreen, upload
from tests.portal.portal_world import Side, World, family_client, verified_client

MARKERS = [
    {"marker": "D8S1179", "log10_lr": 1.9312},
    {"marker": "FGA", "log10_lr": 1.5},
    {"marker": "TH01", "log10_lr": 0.75},
]


def make_candidate(side: Side, tag: str = "1", posterior: float = 0.9999993) -> CandidateIdentification:
    """A screened pair on the side's family: remains sample (barcode only) against its tracing request."""
    remains = registry_actions.register_remains(None, code=f"GR-{side.org.slug}-{tag}", condition="skeletal")
    # direct writes: typed samples and a screened pair with set figures, with no screening run behind them
    sample = Sample.objects.create(
        code=f"RS-{side.org.slug}-{tag}",
        kind="remains",
        remains=remains,
        lab=side.lab,
        profile=json.dumps({"D8S1179": ["13", "14"]}),
    )
    Sample.objects.get_or_create(
        code=f"REF-{side.org.slug}-{tag}",
        defaults={
            "kind": "reference",
            "tracing_request": side.request,
            "relationship": "mother",
            "profile": json.dumps({"D8S1179": ["13", "15"]}),
        },
    )
    return CandidateIdentification.objects.create(
        remains_sample=sample,
        tracing_request=side.request,
        lr=1.4e8,
        log10_lr=8.146,
        prior=0.01,
        prior_basis="1 / 100 missing persons screened",
        posterior=posterior,
        driving_markers=MARKERS,
        fingerprint="a" * 64,
    )


def _family_page(side: Side) -> str:
    page = family_client(side).get("/en/request/follow").content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def _staff(side: Side, role: str = "caseworker") -> Client:
    return verified_client(side.users[role], side.devices[role])


def test_queue_and_detail_show_the_evidence_to_staff(world: World) -> None:
    cand = make_candidate(world.a)
    weaker = make_candidate(world.a, "2", posterior=0.97)
    client = _staff(world.a)
    queue = client.get("/en/staff/dna/").content.decode()
    assert f"/en/staff/dna/{cand.pk}/" in queue and "RS-org-a-1" in queue and "Иванов" in queue
    assert "99.9999%" in queue and "97.0000%" in queue and world.a.request.number in queue
    assert queue.index(f"/en/staff/dna/{cand.pk}/") < queue.index(
        f"/en/staff/dna/{weaker.pk}/"
    )  # by posterior
    assert AuditEntry.objects.filter(action="view_dna_queue", actor=world.a.users["caseworker"]).exists()
    home = client.get("/en/staff/").content.decode()
    assert f"/en/staff/dna/{cand.pk}/" in home and 'href="/en/staff/dna/"' in home
    page = client.get(f"/en/staff/dna/{cand.pk}/").content.decode()
    for text in (
        "RS-org-a-1",
        "GR-org-a-1",
        "Иванов",
        world.a.request.number,
        world.a.case.number,
        "1.40 × 10⁸",  # the LR as a reader writes it (lib.formats)
        "8.146",
        "one in 100",
        "99.9999%",
        "D8S1179",
        "1.931",
        "a" * 64,
        "REF-org-a-1",
        "at least 99.9500%",
    ):
        assert text in page, text
    assert 'name="csrfmiddlewaretoken"' in page
    assert f"/en/staff/dna/{cand.pk}/confirm" in page and f"/en/staff/dna/{cand.pk}/reject" in page
    entry = AuditEntry.objects.get(action="view_dna_candidate", object_id=str(cand.pk))
    assert entry.actor == world.a.users["caseworker"] and entry.detail["remains"] == "RS-org-a-1"
    low = client.get(f"/en/staff/dna/{weaker.pk}/").content.decode()
    assert "below 99.9500%" in low
    russian = client.get(f"/ru/staff/dna/{cand.pk}/").content.decode()
    assert "Маркеры" in russian and "Не эта семья" in russian
    assert "99,9999%" in russian and ">предложен<" in russian  # the reader's decimal comma
    assert "1,40·10⁸" in russian and "1.4e+08" not in russian
    case_page = client.get(f"/en/staff/cases/{world.a.case.pk}/").content.decode()
    assert f"/en/staff/dna/{cand.pk}/" in case_page and f"/en/staff/dna/{weaker.pk}/" in case_page


def test_access_denied_to_family_lab_anonymous_and_other_organisations(world: World) -> None:
    cand = make_candidate(world.a)
    urls = [f"/en/staff/dna/{cand.pk}/", "/en/staff/dna/"]
    posts = [f"/en/staff/dna/{cand.pk}/confirm", f"/en/staff/dna/{cand.pk}/reject"]
    for client in (Client(), family_client(world.a)):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/en/staff/login"), url
        for url in posts:
            assert client.post(url, {"reject-reason": "x"}).status_code == 302
    lab = _staff(world.a, "lab_analyst")
    for url in urls:
        assert lab.get(url).status_code == 403
    for url in posts:
        assert lab.post(url, {"reject-reason": "x"}).status_code == 403
    other = _staff(world.b)
    assert other.get(f"/en/staff/dna/{cand.pk}/").status_code == 404
    assert other.post(f"/en/staff/dna/{cand.pk}/confirm", {}).status_code == 404
    assert other.post(f"/en/staff/dna/{cand.pk}/reject", {"reject-reason": "x"}).status_code == 404
    assert "RS-org-a-1" not in other.get("/en/staff/dna/").content.decode()
    assert "RS-org-a-1" not in other.get(f"/en/staff/cases/{world.b.case.pk}/").content.decode()
    cand.refresh_from_db()
    assert cand.status == CandidateIdentification.Status.PROPOSED and not cand.decisions.exists()
    # the lab sees the remains sample by barcode only, never the name it was matched to
    page = lab.get(f"/en/lab/samples/{cand.remains_sample_id}/").content.decode()
    assert "RS-org-a-1" in page and "Иванов" not in page and world.a.request.number not in page


def test_two_different_staff_confirm_and_the_family_is_not_told(world: World) -> None:
    cand = make_candidate(world.a)
    family_before = _family_page(world.a)
    first = _staff(world.a)
    response = first.post(f"/en/staff/dna/{cand.pk}/confirm", {"confirm-reason": "dental records agree"})
    assert response.status_code == 302 and response["Location"] == f"/en/staff/dna/{cand.pk}/"
    cand.refresh_from_db()
    assert cand.status == CandidateIdentification.Status.CONFIRMED_ONCE
    again = first.post(f"/en/staff/dna/{cand.pk}/confirm", {"confirm-reason": "sure"})
    assert again.status_code == 400 and "A different staff member" in again.content.decode()
    assert cand.decisions.count() == 1
    assert "You have already decided" in first.get(f"/en/staff/dna/{cand.pk}/").content.decode()
    second = _staff(world.a, "supervisor")
    assert second.post(f"/en/staff/dna/{cand.pk}/confirm", {"confirm-reason": ""}).status_code == 302
    cand.refresh_from_db()
    assert cand.status == CandidateIdentification.Status.IDENTIFIED
    assert set(cand.decisions.values_list("staff__username", "decision")) == {
        ("caseworker-a", "confirm"),
        ("supervisor-a", "confirm"),
    }
    remains = Remains.objects.get(code="GR-org-a-1")
    assert remains.identified_person_id == world.a.person.pk and remains.status == "identified"
    # the caseworker gets the task; nothing is released to the family
    task = CaseTask.objects.get(case=world.a.case)
    assert "Tell the family" in task.title and world.a.request.number in task.title
    assert not FamilyUpdate.objects.filter(tracing_request=world.a.request).exists()
    family_page = _family_page(world.a)
    assert family_page == family_before  # not a word of it reaches the family's page
    for text in ("RS-org-a-1", "GR-org-a-1", "matched"):
        assert text not in family_page, text
    page = second.get(f"/en/staff/dna/{cand.pk}/").content.decode()
    assert "dental records agree" in page and "caseworker-a" in page and "supervisor-a" in page
    assert "/confirm" not in page  # decided: no more actions
    case_page = second.get(f"/en/staff/cases/{world.a.case.pk}/").content.decode()
    assert "The family has not been told" in case_page and "Tell the family" in case_page
    actions = list(
        AuditEntry.objects.filter(object_id=str(cand.pk), action="confirm_identification").values_list(
            "actor__username", flat=True
        )
    )
    assert sorted(actions) == ["caseworker-a", "supervisor-a"]
    assert AuditEntry.objects.filter(action="add_task", detail__candidate=str(cand.pk)).exists()
    late = _staff(world.a, "administrator").post(f"/en/staff/dna/{cand.pk}/reject", {"reject-reason": "x"})
    assert late.status_code == 400 and "already decided" in late.content.decode()


def test_identification_without_a_case_opens_one_for_the_task(world: World) -> None:
    request, _code = registry_actions.submit_tracing_request(
        FamilyRequest(
            surname="Bez",
            given_name="Dela",
            relationship="wife",
            consent_organisations=[world.a.org],
            consent_dna=True,
        )
    )
    person = request.person
    side = Side(**{**world.a.__dict__, "request": request, "person": person})
    cand = make_candidate(side, "9")
    _staff(world.a).post(f"/en/staff/dna/{cand.pk}/confirm", {})
    _staff(world.a, "supervisor").post(f"/en/staff/dna/{cand.pk}/confirm", {})
    case = Case.objects.get(person=person)
    assert case.organisation == world.a.org and case.tasks.filter(title__contains=request.number).exists()


def test_confirmation_refused_below_the_posterior_threshold(world: World) -> None:
    cand = make_candidate(world.a, posterior=0.9994)
    response = _staff(world.a).post(f"/en/staff/dna/{cand.pk}/confirm", {"confirm-reason": "looks right"})
    assert response.status_code == 400
    assert "The posterior is below 99.9500%" in response.content.decode()
    cand.refresh_from_db()
    assert cand.status == CandidateIdentification.Status.PROPOSED and not cand.decisions.exists()
    assert not AuditEntry.objects.filter(action="confirm_identification").exists()
    russian = _staff(world.a).post(f"/ru/staff/dna/{cand.pk}/confirm", {})
    assert russian.status_code == 400 and "Апостериорная вероятность ниже" in russian.content.decode()


def test_not_this_family_needs_a_reason_and_is_remembered_across_screening(
    world: World, tmp_path: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    """Real screening: the family's references and the remains go through a lab upload; a rejected pair
    is not proposed again by a new run on the same data."""
    sc = generate_dna(4, 3, seed=5, conditions={"complete": 1.0}, share_related=1.0)
    freq = sc.write_csv(tmp_path)["frequencies"]
    relationship = {
        "MO": "mother",
        "FA": "father",
        "S1": "sister",
        "S2": "brother",
        "CH": "son",
        "WI": "wife",
    }
    for n, fam in enumerate(sc.families):
        request, _code = registry_actions.submit_tracing_request(
            FamilyRequest(
                surname=f"Family{n}",
                given_name="",
                relationship="mother",
                consent_organisations=[world.a.org],
                consent_dna=True,
            )
        )
        for pid, code in fam.samples.items():
            sample = register_sample(None, world.a.lab, code, "reference", relationship=relationship[pid])
            registry_actions.attach_sample(None, sample, tracing_request=request)
    for code in sc.remains:
        remains = registry_actions.register_remains(None, code=f"G-{code}")
        registry_actions.attach_sample(
            None, register_sample(None, world.a.lab, code, "remains"), remains=remains
        )
    settings = {"KINLINK_DNA_FREQUENCIES": str(freq), "KINLINK_SCREENING_IMMEDIATE": True}
    with override_settings(**settings):
        upload(django_capture_on_commit_callbacks, world.a.lab, {**sc.references, **sc.remains})
    proposed = list(CandidateIdentification.objects.all())
    assert proposed, "screening proposed nothing"
    cand = proposed[0]
    client = _staff(world.a)
    queue = client.get("/en/staff/dna/").content.decode()
    assert all(f"/en/staff/dna/{c.pk}/" in queue for c in proposed)
    assert client.post(f"/en/staff/dna/{cand.pk}/reject", {"reject-reason": "  "}).status_code == 400
    response = client.post(
        f"/en/staff/dna/{cand.pk}/reject",
        {"reject-reason": "he was seen alive after the remains were buried"},
    )
    assert response.status_code == 302
    cand.refresh_from_db()
    assert cand.status == CandidateIdentification.Status.REJECTED
    decision = IdentificationDecision.objects.get(candidate=cand)
    assert decision.decision == "reject" and decision.staff == world.a.users["caseworker"]
    assert AuditEntry.objects.filter(action="reject_identification", object_id=str(cand.pk)).exists()
    before = CandidateIdentification.objects.count()
    with override_settings(**settings):
        rescreen(django_capture_on_commit_callbacks)  # a new run on the same data
    assert CandidateIdentification.objects.count() == before
    queue = client.get("/en/staff/dna/").content.decode()
    assert f"/en/staff/dna/{cand.pk}/" not in queue
    decided = client.get("/en/staff/dna/?show=decided").content.decode()
    assert f"/en/staff/dna/{cand.pk}/" in decided and "not this family" in decided
    page = client.get(f"/en/staff/dna/{cand.pk}/").content.decode()
    assert "he was seen alive" in page and "unchanged" in page
