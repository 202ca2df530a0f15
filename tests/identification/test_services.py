"""Lab upload -> background screening -> candidate queue -> two-person confirmation; decisions remembered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from kinlink.exchange.errors import ImportRefused
from kinlink.identification.actions import decide_identification, register_sample, run_queued_screenings
from kinlink.identification.models import CandidateIdentification, ProfileRevision, ScreeningRun
from kinlink.identification.services import IdentificationError, queue
from kinlink.registry import actions
from kinlink.registry.models import Organisation, Sample
from kinlink.registry.services.family_intake import FamilyRequest
from kinlink.scenario.dna import DnaScenario, generate_dna
from tests.identification.uploads import Capture, rescreen, upload

pytestmark = pytest.mark.django_db

RELATIONSHIP = {"MO": "mother", "FA": "father", "S1": "sister", "S2": "brother", "CH": "son", "WI": "wife"}


def _registry(sc: DnaScenario) -> Organisation:
    lab = Organisation.objects.create(name="Lab", slug="lab", is_lab=True)
    for n, fam in enumerate(sc.families):
        request, _code = actions.submit_tracing_request(
            FamilyRequest(surname=f"Family{n}", given_name="", relationship="mother", consent_dna=True)
        )
        for pid, code in fam.samples.items():
            sample = register_sample(None, lab, code, Sample.Kind.REFERENCE, relationship=RELATIONSHIP[pid])
            actions.attach_sample(None, sample, tracing_request=request)
    for code in sc.remains:
        remains = actions.register_remains(None, code=f"R-{code}")
        actions.attach_sample(None, register_sample(None, lab, code, Sample.Kind.REMAINS), remains=remains)
    return lab


@pytest.fixture
def scenario(tmp_path: Path) -> tuple[DnaScenario, Path, Organisation]:
    sc = generate_dna(12, 8, seed=21, conditions={"complete": 1.0})
    paths = sc.write_csv(tmp_path)
    lab = _registry(sc)
    return sc, paths["frequencies"], lab


Scenario = tuple[DnaScenario, Path, Organisation]


def test_upload_screens_and_queues_candidates(
    scenario: Scenario, django_capture_on_commit_callbacks: Capture
) -> None:
    sc, freq, lab = scenario
    mutation = "stepwise:rate=0.002,rate2=1e-6,range=0.1"
    with override_settings(KINLINK_DNA_FREQUENCIES=str(freq), KINLINK_DNA_MUTATION=mutation):
        run = upload(django_capture_on_commit_callbacks, lab, sc.references)
        assert run is not None
        # a background task: queued for the tasks worker (or already run by the immediate backend)
        done = run_queued_screenings()[0] if run.status == ScreeningRun.Status.QUEUED else run
        assert done.status == ScreeningRun.Status.DONE and done.candidates_created == 0  # no remains yet
        run = upload(django_capture_on_commit_callbacks, lab, sc.remains)
        assert run is not None
        done = run_queued_screenings()[0] if run.status == ScreeningRun.Status.QUEUED else run
    assert done.status == ScreeningRun.Status.DONE, done.notes
    assert done.pairs_screened == len(sc.families) * len(sc.remains)
    cands = queue()
    assert cands and done.candidates_created == len(cands)
    for c in cands:
        assert c.lr >= 1e4
        assert sc.truth[c.remains_sample.code] is not None
        assert c.prior == pytest.approx(1 / len(sc.families))
        assert c.posterior == pytest.approx(c.lr * c.prior / (c.lr * c.prior + 1 - c.prior))
        assert (
            len(c.driving_markers) == 5
            and c.driving_markers[0]["log10_lr"] >= c.driving_markers[-1]["log10_lr"]
        )
    related = [r for r, f in sc.truth.items() if f is not None]
    assert len({c.remains_sample.code for c in cands}) >= len(related) - 1


def test_screening_skips_the_references_of_families_without_dna_consent(
    scenario: Scenario, django_capture_on_commit_callbacks: Capture
) -> None:
    """Issue 17: ``consent_dna`` was read by nothing. The worker's pass screens only the families that
    agreed to give DNA; when consent is given back the next run screens that family again."""
    from kinlink.exchange.genotypes import genotype_csv
    from kinlink.identification.actions import queue_screening, store_lab_profiles
    from kinlink.registry.models import TracingRequest

    sc, freq, lab = scenario
    mutation = "stepwise:rate=0.002,rate2=1e-6,range=0.1"
    with override_settings(KINLINK_DNA_FREQUENCIES=str(freq), KINLINK_DNA_MUTATION=mutation):
        with django_capture_on_commit_callbacks(execute=False):  # queued; the worker's next pass runs it
            stored = store_lab_profiles(None, lab, "all.csv", genotype_csv({**sc.references, **sc.remains}))
        assert stored.run is not None
        # direct write: before the worker runs, every family withdraws its DNA consent (withdrawal is
        # another helper's action)
        TracingRequest.objects.update(consent_dna=False)
        [run] = run_queued_screenings()  # what each pass of `kinlink worker` runs
        assert run.status == ScreeningRun.Status.DONE, run.notes
        assert run.pairs_screened == 0 and not CandidateIdentification.objects.exists()
        assert f"{len(sc.references)} reference sample(s) of requests without DNA consent" in run.notes
        # one family consents again: only its references are screened
        consenting = Sample.objects.get(code=next(iter(sc.references))).tracing_request
        assert consenting is not None
        TracingRequest.objects.filter(pk=consenting.pk).update(consent_dna=True)
        with django_capture_on_commit_callbacks(execute=False):
            queue_screening("consent given back")
        [again] = run_queued_screenings()
    assert again.status == ScreeningRun.Status.DONE and again.pairs_screened == len(sc.remains)
    assert set(CandidateIdentification.objects.values_list("tracing_request", flat=True)) <= {consenting.pk}


def test_two_person_confirmation_and_remembered_rejection(
    scenario: Scenario, django_capture_on_commit_callbacks: Capture
) -> None:
    sc, freq, lab = scenario
    capture = django_capture_on_commit_callbacks
    users = [get_user_model().objects.create_user(f"u{i}") for i in range(3)]
    with override_settings(
        KINLINK_DNA_FREQUENCIES=str(freq),
        KINLINK_DNA_MUTATION="stepwise:rate=0.002,rate2=1e-6,range=0.1",
        KINLINK_SCREENING_IMMEDIATE=True,
    ):
        upload(capture, lab, {**sc.references, **sc.remains})
        strong = [c for c in queue() if c.posterior >= 0.9995]
        assert len(strong) >= 2
        first, second = strong[0], strong[1]
        first = decide_identification(users[0], first, "confirm")
        assert first.status == CandidateIdentification.Status.CONFIRMED_ONCE
        with pytest.raises(IdentificationError, match="different staff member"):
            decide_identification(users[0], first, "confirm")
        first = decide_identification(users[1], first, "confirm")
        assert first.status == CandidateIdentification.Status.IDENTIFIED
        assert Sample.objects.get(pk=first.remains_sample_id).status == Sample.Status.MATCHED
        second = decide_identification(users[2], second, "reject", "not this family: dental records differ")
        assert second.status == CandidateIdentification.Status.REJECTED
        before = CandidateIdentification.objects.count()
        rescreen(capture)  # a new run on the same data proposes nothing again
        assert CandidateIdentification.objects.count() == before
        # new data for the rejected pair (a re-analysis: screening results rest on the old profile): it is
        # proposed again, and the earlier profile is kept
        code = second.remains_sample.code
        profile = dict(sc.remains[code])
        marker = next(iter(profile))
        profile.pop(marker)
        with pytest.raises(ImportRefused, match="re-analysis"):
            upload(capture, lab, {code: profile})
        upload(capture, lab, {code: profile}, reanalysis=True)
        assert ProfileRevision.objects.get(sample=second.remains_sample).profile == json.dumps(
            dict(sc.remains[code]), sort_keys=True
        )
        again = CandidateIdentification.objects.filter(
            remains_sample=second.remains_sample, tracing_request=second.tracing_request
        )
        assert again.count() == 2 and again.filter(status="proposed").count() == 1


def test_low_posterior_cannot_be_confirmed(
    scenario: Scenario, django_capture_on_commit_callbacks: Capture
) -> None:
    sc, freq, lab = scenario
    user = get_user_model().objects.create_user("solo")
    with override_settings(KINLINK_DNA_FREQUENCIES=str(freq), KINLINK_SCREENING_IMMEDIATE=True):
        upload(django_capture_on_commit_callbacks, lab, {**sc.references, **sc.remains})
    cand = queue()[0]
    # direct write: a candidate below the threshold, which no screening of this scenario yields
    CandidateIdentification.objects.filter(pk=cand.pk).update(posterior=0.99)
    cand.refresh_from_db()
    with pytest.raises(IdentificationError, match=r"below 99\.95%"):
        decide_identification(user, cand, "confirm")
    with pytest.raises(ImportRefused, match="'NOPE' is not a sample held by your lab"):
        upload(django_capture_on_commit_callbacks, lab, {"NOPE": {"TH01": ["6", "7"]}})


def test_missing_frequency_setting_fails_the_run(
    scenario: Scenario, django_capture_on_commit_callbacks: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    sc, _, lab = scenario
    with override_settings(KINLINK_DNA_FREQUENCIES="", KINLINK_SCREENING_IMMEDIATE=True):
        run = upload(django_capture_on_commit_callbacks, lab, sc.remains)
    assert run is not None
    # the failure is logged with its traceback, not only written into the run's notes
    assert any(r.exc_info and "screening run" in r.getMessage() for r in caplog.records)
    assert run.status == ScreeningRun.Status.FAILED and "KINLINK_DNA_FREQUENCIES" in run.notes
