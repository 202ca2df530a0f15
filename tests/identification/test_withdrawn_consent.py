"""Screening leaves out a family that withdrew its DNA consent, even a profile a lab uploads afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from kinlink.genetics.markers import read_frequency_csv
from kinlink.identification.actions import register_reference_samples, register_sample
from kinlink.identification.models import CandidateIdentification
from kinlink.registry import actions
from kinlink.scenario.dna import generate_dna
from tests.identification.test_end_to_end import FREQUENCIES, LAB_WORDS, MUTATION
from tests.identification.uploads import rescreen, upload
from tests.portal.portal_world import build_world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("withdrawn", [False, True])
def test_screening_leaves_out_a_family_that_withdrew_its_dna_consent(
    withdrawn: bool, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.KINLINK_DNA_FREQUENCIES = str(FREQUENCIES)
    settings.KINLINK_DNA_MUTATION = MUTATION
    world = build_world()
    sc = generate_dna(
        1,
        1,
        seed=11,
        database=read_frequency_csv(FREQUENCIES),
        share_related=1.0,
        shares={"both_parents": 1.0},
        conditions={"complete": 1.0},
    )
    (family,) = sc.families
    rows = [f"{code},{LAB_WORDS[pid]},{world.a.request.number}" for pid, code in family.samples.items()]
    csv = ("sample,relationship,request\n" + "\n".join(rows) + "\n").encode()
    register_reference_samples(None, world.a.lab, "refs.csv", csv)
    for code in sc.remains:
        register_sample(None, world.a.lab, code, "remains")
    # the lab uploads the profiles it typed
    upload(django_capture_on_commit_callbacks, world.a.lab, {**sc.references, **sc.remains})
    if withdrawn:
        # the withdrawal erases the family's profiles and screening leaves the family out (a lab's upload
        # after it is refused: tests/identification/test_dna_access.py)
        actions.withdraw_dna_consent(world.a.request)
    run = rescreen(django_capture_on_commit_callbacks)
    assert run.status == "done", run.notes
    found = CandidateIdentification.objects.filter(tracing_request=world.a.request).exists()
    assert found is not withdrawn
