"""A DNA case carried end to end through the product's own adapters, as people and machines use them.

(a) A lab analyst signs in (password + TOTP), registers remains and reference samples and uploads a
genotype CSV in the lab console; the upload commits, enqueues the screening task (django-tasks database
backend, as in production) and ``kinlink worker --once`` runs it; the candidate is in the caseworkers'
DNA queue; two different caseworkers confirm over HTTP. Then: a claim from a ``dna_identification``
source, the stored fate "identified", the case page explaining the superseded claims, the task to tell
the family in person (and nothing sent to the family), death registration in the legal plan, and the
dossier mentioning the identification.
(b) The same with the profiles uploaded through the partner API with a lab token.
(c) ``kinlink exchange genotypes-import`` queues a screening run that the worker runs.

The tests commit for real (``transaction=True``): on-commit work and the worker see what a server would.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kinlink.api.models import ApiToken
from kinlink.cli import main
from kinlink.exchange.genotypes import genotype_csv
from kinlink.genetics.markers import read_frequency_csv
from kinlink.identification.actions import register_sample
from kinlink.identification.models import CandidateIdentification, ScreeningRun
from kinlink.registry import actions
from kinlink.registry.models import (
    AuditEntry,
    CaseTask,
    Claim,
    FamilyUpdate,
    Sample,
    TracingRequest,
)
from kinlink.registry.services.family_intake import FamilyRequest
from kinlink.scenario.dna import DnaScenario, generate_dna
from tests.portal.portal_world import Side, World, build_world, signed_in_client

pytestmark = pytest.mark.django_db(transaction=True)

FREQUENCIES = (
    Path(__file__).resolve().parents[2] / "src/kinlink/identification/data/synthetic_frequencies.csv"
)
MUTATION = "stepwise:rate=0.002,rate2=1e-6,range=0.1"
#: How the lab writes the donors' relationships: in its own language (closed list, stored as codes).
LAB_WORDS = {"MO": "мать", "FA": "батько", "S1": "sister", "S2": "брат", "CH": "син", "WI": "жена"}
CODES = {"MO": "mother", "FA": "father", "S1": "sister", "S2": "brother", "CH": "son", "WI": "wife"}


@pytest.fixture
def production_tasks(settings: Any) -> None:
    """The database task backend (not the tests' immediate one): an upload only enqueues; the worker runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.KINLINK_DNA_FREQUENCIES = str(FREQUENCIES)
    settings.KINLINK_DNA_MUTATION = MUTATION
    settings.KINLINK_SCREENING_IMMEDIATE = False


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def scenario() -> DnaScenario:
    """Three families typed with both parents; one remains is the missing man of one of them."""
    return generate_dna(
        3,
        2,
        seed=11,
        database=read_frequency_csv(FREQUENCIES),
        share_related=0.5,
        shares={"both_parents": 1.0},
        conditions={"complete": 1.0},
    )


def _requests(world: World, sc: DnaScenario) -> dict[str, TracingRequest]:
    """The tracing request of each simulated family: side A's (the seed case) for the related one."""
    related = next(family for family in sc.truth.values() if family is not None)
    requests: dict[str, TracingRequest] = {}
    for n, family in enumerate(sc.families):
        if family.id == related:
            requests[family.id] = world.a.request
        else:
            requests[family.id], _code = actions.submit_tracing_request(
                FamilyRequest(
                    surname=f"Other{n}",
                    given_name="",
                    relationship="mother",
                    consent_organisations=[world.a.org],
                    consent_dna=True,
                )
            )
    return requests


def _reference_csv(sc: DnaScenario, requests: dict[str, TracingRequest]) -> bytes:
    lines = ["sample,relationship,request"]
    for family in sc.families:
        for pid, code in family.samples.items():
            lines.append(f"{code},{LAB_WORDS[pid]},{requests[family.id].number}")
    return ("\n".join(lines) + "\n").encode()


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _link_remains(sc: DnaScenario) -> None:
    """The recovery team's record of each set of remains, holding the lab's sample (registry side)."""
    for code in sc.remains:
        remains = actions.register_remains(None, code=f"GR-{code}", condition="skeletal")
        actions.attach_sample(None, Sample.objects.get(code=code), remains=remains)


def _screen_in_the_worker(run_reason: str) -> CandidateIdentification:
    from django_tasks_db.models import DBTaskResult

    run = ScreeningRun.objects.get(reason__startswith=run_reason)
    assert run.status == ScreeningRun.Status.QUEUED  # the web request did not screen
    assert DBTaskResult.objects.filter(task_path__endswith="screen_after_upload").exists()
    assert main(["worker", "--once"]) == 0  # the worker process's loop, one pass
    run.refresh_from_db()
    assert run.status == ScreeningRun.Status.DONE, run.notes
    assert run.candidates_created >= 1
    return CandidateIdentification.objects.get(
        status=CandidateIdentification.Status.PROPOSED, posterior__gte=0.9995
    )


def _confirm_twice_and_check(
    world: World, sc: DnaScenario, candidate: CandidateIdentification, tmp: Path
) -> None:
    side: Side = world.a
    assert candidate.tracing_request == side.request
    assert sc.truth[candidate.remains_sample.code] is not None
    first = signed_in_client(side.users["caseworker"], side.devices["caseworker"])
    queue = first.get("/en/staff/dna/").content.decode()
    assert f"/en/staff/dna/{candidate.pk}/" in queue and candidate.remains_sample.code in queue
    assert (
        first.post(
            f"/en/staff/dna/{candidate.pk}/confirm", {"confirm-reason": "LR and pedigree checked"}
        ).status_code
        == 302
    )
    again = first.post(f"/en/staff/dna/{candidate.pk}/confirm", {})
    assert again.status_code == 400  # the same person cannot give the second confirmation
    assert not Claim.objects.filter(person=side.person, source__kind="dna_identification").exists()
    second = signed_in_client(side.users["supervisor"], side.devices["supervisor"])
    response = second.post(f"/en/staff/dna/{candidate.pk}/confirm", {"confirm-reason": "agreed"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == CandidateIdentification.Status.IDENTIFIED

    # the claim, the stored fate, the sample and the remains
    claim = Claim.objects.get(person=side.person, source__kind="dna_identification")
    assert claim.fate == "identified" and str(candidate.pk) in claim.source.reference
    assert (
        f"{candidate.posterior:.10g}" in claim.circumstances
        and candidate.remains_sample.code in claim.circumstances
    )
    assert f"screening run {candidate.run_id}" in claim.source.origin
    side.person.refresh_from_db()
    assert side.person.fate == "identified"
    sample = Sample.objects.get(pk=candidate.remains_sample_id)
    assert sample.status == Sample.Status.MATCHED
    assert sample.remains is not None and sample.remains.identified_person == side.person
    for action in ("confirm_identification", "identify_remains", "add_task"):
        assert AuditEntry.objects.filter(action=action).exists(), action

    # the family is not told by the machine: a task for a caseworker to tell them in person
    task = CaseTask.objects.get(case=side.case)
    assert "Tell the family of request" in task.title and "in person" in task.title
    assert not FamilyUpdate.objects.filter(tracing_request=side.request).exists()

    # the case page: identified by DNA, the other statements superseded, death registration next
    page = first.get(f"/en/staff/cases/{side.case.pk}/").content.decode()
    assert "Identified by DNA" in page
    assert "Superseded by the DNA identification" in page and "Ministry answer" in page
    assert "Tell the family of request" in page
    assert "the death can be registered" in page
    assert "A court may recognise him as missing" not in page
    # the staff home page's legal deadlines say the same
    home = first.get("/en/staff/").content.decode()
    assert "the death can be registered" in home and "A court may recognise him as missing" not in home

    # the dossier, rendered as the product renders it
    out = tmp / "dossier.pdf"
    assert (
        main(
            ["documents", "render", "dossier", "--case", str(side.case.pk), "--lang", "en", "--out", str(out)]
        )
        == 0
    )
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(out), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    assert candidate.remains_sample.code in text
    assert "Identified by DNA" in text and "the death can be registered" in text


def test_lab_console_upload_to_identification(
    world: World, scenario: DnaScenario, production_tasks: None, tmp_path: Path
) -> None:
    sc = scenario
    requests = _requests(world, sc)
    lab = signed_in_client(world.a.users["lab_analyst"], world.a.devices["lab_analyst"])
    for code in sc.remains:
        response = lab.post("/en/lab/samples/register", {"code": code, "kind": "remains"})
        assert response.status_code == 302, response.content.decode()[-2000:]
    response = lab.post(
        "/en/lab/references/upload",
        {"references-csv_file": _upload("refs.csv", _reference_csv(sc, requests))},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    stored = dict(
        Sample.objects.filter(kind="reference", lab=world.a.lab).values_list("code", "relationship")
    )
    for family in sc.families:
        for pid, code in family.samples.items():
            assert stored[code] == CODES[pid]  # мать / батько / брат ... stored as the canonical codes
    _link_remains(sc)
    profiles = genotype_csv({**sc.references, **sc.remains})
    response = lab.post("/en/lab/profiles/upload", {"profiles-csv_file": _upload("lab-run-1.csv", profiles)})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="load_profile").count() == len(sc.references) + len(sc.remains)
    candidate = _screen_in_the_worker("lab upload lab-run-1.csv")
    _confirm_twice_and_check(world, sc, candidate, tmp_path)


def test_api_upload_to_identification(
    world: World, scenario: DnaScenario, production_tasks: None, tmp_path: Path
) -> None:
    sc = scenario
    requests = _requests(world, sc)
    lab = signed_in_client(world.a.users["lab_analyst"], world.a.devices["lab_analyst"])
    for code in sc.remains:
        assert lab.post("/en/lab/samples/register", {"code": code, "kind": "remains"}).status_code == 302
    response = lab.post(
        "/en/lab/references/upload",
        {"references-csv_file": _upload("refs.csv", _reference_csv(sc, requests))},
    )
    assert response.status_code == 302
    _link_remains(sc)
    _, token = ApiToken.issue(world.a.lab, "lab robot", ["lab:upload"])
    api = Client()
    for code, profile in {**sc.references, **sc.remains}.items():
        response = api.put(
            f"/api/v1/samples/{code}/profile",
            data=json.dumps({"markers": profile}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 200, response.content
    # another lab's token cannot reach these samples
    _, other = ApiToken.issue(world.b.lab, "other lab", ["lab:upload"])
    code, profile = next(iter(sc.remains.items()))
    refused = api.put(
        f"/api/v1/samples/{code}/profile",
        data=json.dumps({"markers": profile}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {other}",
    )
    assert refused.status_code == 404
    candidate = _screen_in_the_worker("lab upload api:")
    _confirm_twice_and_check(world, sc, candidate, tmp_path)

    # issue 17: the API does not overwrite the profiles an identification rests on, not even as a
    # re-analysis: 409, the profile and the status as they were
    family = next(f for f in sc.families if requests[f.id] == world.a.request)
    reference = next(iter(family.samples.values()))
    identified = candidate.remains_sample.code
    for code in (identified, reference):
        before = Sample.objects.get(code=code)
        changed = dict(json.loads(before.profile))
        changed.pop(next(iter(changed)))
        for query in ("", "?reanalysis=true"):
            refused = api.put(
                f"/api/v1/samples/{code}/profile{query}",
                data=json.dumps({"markers": changed}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            assert refused.status_code == 409, refused.content
            assert "DNA identification" in refused.json()["detail"]
        after = Sample.objects.get(code=code)
        assert after.profile == before.profile and after.status == before.status
    assert Sample.objects.get(code=identified).status == Sample.Status.MATCHED


def test_cli_genotypes_import_queues_a_run_for_the_worker(
    world: World,
    scenario: DnaScenario,
    production_tasks: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sc = scenario
    lab = world.a.lab
    for code in sc.remains:
        register_sample(None, lab, code, "remains")
    path = tmp_path / "remains.csv"
    path.write_bytes(genotype_csv(sc.remains))
    assert main(["exchange", "genotypes-import", str(path), "--lab", lab.slug]) == 0
    run = ScreeningRun.objects.get()
    assert f"screening run {run.pk} queued" in capsys.readouterr().out
    assert run.status == ScreeningRun.Status.QUEUED
    assert main(["worker", "--once"]) == 0
    run.refresh_from_db()
    assert run.status == ScreeningRun.Status.DONE  # no family has references yet: nothing to propose
    # the same file again changes nothing and queues nothing
    assert main(["exchange", "genotypes-import", str(path), "--lab", lab.slug]) == 0
    assert ScreeningRun.objects.count() == 1
