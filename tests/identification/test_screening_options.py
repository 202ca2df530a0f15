"""Registry screening with theta and allele dropout (field graves): recorded on the run, exact LRs."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from kinlink.genetics.kinship import KinshipCase, missing_person_lr
from kinlink.genetics.markers import read_frequency_table
from kinlink.genetics.mutation import parse_mutation_spec
from kinlink.identification.actions import register_sample, run_queued_screenings
from kinlink.identification.models import CandidateIdentification, ScreeningRun
from kinlink.identification.services import remains_dropout
from kinlink.registry import actions
from kinlink.registry.models import Organisation, Sample, Site
from kinlink.registry.services.family_intake import FamilyRequest
from kinlink.scenario.dna import generate_dna
from tests.identification.uploads import Capture, upload

pytestmark = pytest.mark.django_db

MUTATION = "stepwise:rate=0.002,rate2=1e-6,range=0.1"
RELATIONSHIP = {"MO": "mother", "FA": "father"}


def test_theta_and_field_grave_dropout_reach_the_candidates(
    tmp_path: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    sc = generate_dna(6, 6, seed=4, shares={"mother": 1.0, "both_parents": 1.0}, conditions={"complete": 1.0})
    freq = sc.write_csv(tmp_path)["frequencies"]
    lab = Organisation.objects.create(name="Lab", slug="lab", is_lab=True)
    grave = actions.add_site(None, name="Field grave 3", kind=Site.Kind.FIELD_GRAVE)
    family_of: dict[str, tuple[str, dict[str, str]]] = {}
    for n, fam in enumerate(sc.families):
        request, _code = actions.submit_tracing_request(
            FamilyRequest(surname=f"Family{n}", given_name="", relationship="mother", consent_dna=True)
        )
        for pid, code in fam.samples.items():
            sample = register_sample(None, lab, code, Sample.Kind.REFERENCE, relationship=RELATIONSHIP[pid])
            actions.attach_sample(None, sample, tracing_request=request)
        family_of[str(request.pk)] = (fam.id, fam.samples)
    for k, code in enumerate(sc.remains):
        site = grave if k % 2 == 0 else None
        remains = actions.register_remains(None, code=f"R-{code}", site=site)
        actions.attach_sample(None, register_sample(None, lab, code, Sample.Kind.REMAINS), remains=remains)
    settings = {
        "KINLINK_DNA_FREQUENCIES": str(freq),
        "KINLINK_DNA_MUTATION": MUTATION,
        "KINLINK_SCREENING_THRESHOLD": 100.0,
        "KINLINK_SCREENING_THETA": 0.02,
        "KINLINK_SCREENING_REMAINS_DROPOUT": 0.05,
        "KINLINK_SCREENING_FIELD_GRAVE_DROPOUT": 0.3,
    }
    with override_settings(**settings):
        upload(django_capture_on_commit_callbacks, lab, sc.references)
        run = upload(django_capture_on_commit_callbacks, lab, sc.remains)
        assert run is not None
        done = run_queued_screenings()[-1] if run.status == ScreeningRun.Status.QUEUED else run
    done.refresh_from_db()
    assert done.status == ScreeningRun.Status.DONE, done.notes
    assert (done.theta, done.remains_dropout, done.field_grave_dropout) == (0.02, 0.05, 0.3)
    assert "theta = 0.02" in done.notes
    by_code = {s.code: s for s in Sample.objects.filter(kind=Sample.Kind.REMAINS)}
    in_grave = [c for c, s in by_code.items() if s.remains is not None and s.remains.site_id == grave.pk]
    assert in_grave and all(remains_dropout(done, by_code[c]) == 0.3 for c in in_grave)
    assert all(remains_dropout(done, s) == 0.05 for c, s in by_code.items() if c not in in_grave)
    assert remains_dropout(None, by_code[in_grave[0]]) == 0.0

    cands = list(CandidateIdentification.objects.filter(run=done).select_related("remains_sample"))
    assert cands, "the true pairs of the mother / both parents families reach LR 100"
    db = read_frequency_table(str(freq))
    mutation = parse_mutation_spec(MUTATION)
    fams = {f.id: f for f in sc.families}
    for cand in cands:
        fam = fams[family_of[str(cand.tracing_request_id)][0]]
        code = cand.remains_sample.code
        loci = [db[m].with_mutation(mutation) for m in db.names()]
        case = KinshipCase(
            "c",
            fam.pedigree,
            "MP",
            loci,
            {pid: dict(p) for pid, p in fam.references.items()},
            dict(sc.remains[code]),
            poi_dropout=0.3 if code in in_grave else 0.05,
            theta=0.02,
        )
        assert cand.log10_lr == pytest.approx(missing_person_lr(case).log10_lr, abs=1e-6)


def test_queue_screening_takes_the_options_and_checks_them(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    from kinlink.identification.actions import queue_screening
    from kinlink.identification.services import IdentificationError

    with override_settings(KINLINK_SCREENING_THETA=0.01, KINLINK_SCREENING_IMMEDIATE=False):
        with django_capture_on_commit_callbacks(execute=False):
            plain = queue_screening("settings")
            again = queue_screening("settings again")
            own = queue_screening("field work", theta=0.0, field_grave_dropout=0.25)
        assert plain.pk == again.pk and plain.theta == 0.01
        assert own.pk != plain.pk and (own.theta, own.field_grave_dropout, own.remains_dropout) == (
            0.0,
            0.25,
            0.0,
        )
        with pytest.raises(IdentificationError, match="theta"):
            queue_screening("bad", theta=1.0)
        with pytest.raises(IdentificationError, match="remains_dropout"):
            queue_screening("bad", remains_dropout=-0.1)
