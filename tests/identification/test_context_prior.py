"""The DNA prior takes the remains' context: the missing persons of their event (through the remains, their
site or their batch), less those the non-DNA comparison excluded, with a stated share for everyone else;
an excluded person keeps his prior and his candidate shows the conflict; without an event, 1 / N.

The DNA is built so that every likelihood ratio is known by hand: ten markers, allele "1" at frequency
0.05; the remains are 1/2 and the mother 1/3 at every marker, so a mother-only LR is (1 / (4 * 0.05))^10
= 5^10 = 9,765,625 (theta 0, no mutation model)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from django.test import override_settings

from kinlink.field.actions import decide_comparison, save_profile
from kinlink.field.models import ComparisonDecision
from kinlink.genetics.posterior import posterior_probability
from kinlink.identification.actions import (
    decide_identification,
    register_reference_samples,
    register_sample,
    required_posterior,
)
from kinlink.identification.models import CandidateIdentification
from kinlink.identification.prior import EXCLUDED, IN_EVENT, OUTSIDE, parse_context, screened_count
from kinlink.identification.services import IdentificationError
from kinlink.registry import actions
from kinlink.registry.models import Event, Organisation, Person, Remains, Sample, Site, TracingRequest
from kinlink.registry.services.family_intake import FamilyRequest
from tests.identification.uploads import Capture, upload

pytestmark = pytest.mark.django_db

MARKERS = [f"M{i:02d}" for i in range(1, 11)]
FREQUENCIES = {"1": 0.05, "2": 0.2, "3": 0.25, "4": 0.25, "5": 0.25}
REMAINS = {m: ["1", "2"] for m in MARKERS}
MOTHER = {m: ["1", "3"] for m in MARKERS}
STRANGER = {m: ["4", "5"] for m in MARKERS}  # a mother whose son the remains cannot be
MOTHER_LR = 5.0**10


@pytest.fixture
def frequencies(tmp_path: Path) -> Path:
    path = tmp_path / "frequencies.csv"
    rows = ["locus,allele,freq", *(f"{m},{a},{p}" for m in MARKERS for a, p in FREQUENCIES.items())]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def lab() -> Organisation:
    lab = Organisation.objects.create(name="Lab", slug="lab", is_lab=True)
    Organisation.objects.create(name="Poisk", slug="poisk").labs.add(lab)  # the lab works for Poisk
    return lab


def _consenting(surname: str, sex: str = "M") -> TracingRequest:
    """A family's request to Poisk (whose lab types it), with the family's consent to give DNA."""
    request, _code = actions.submit_tracing_request(
        FamilyRequest(
            surname=surname,
            given_name="",
            relationship="mother",
            sex=sex,
            consent_organisations=[Organisation.objects.get(slug="poisk")],
            consent_dna=True,
        )
    )
    return request


def _family(lab: Organisation, code: str, relationship: str = "мать", sex: str = "M") -> TracingRequest:
    request = _consenting(f"Family{code}", sex)
    register_reference_samples(
        None,
        lab,
        "refs.csv",
        f"sample,relationship,request\n{code},{relationship},{request.number}\n".encode(),
    )
    return request


def _event(name: str, members: list[Person], others: int) -> Event:
    event = actions.add_event(None, name=name)
    for person in members:
        actions.link_event(None, person, event)
    for n in range(others):
        person = actions.add_person(
            None, names=[{"surname": f"Soldier{n}", "given_name": ""}], reason="unit list", fate="missing"
        )
        actions.link_event(None, person, event)
    return event


def _remains(lab: Organisation, code: str, **fields: object) -> Remains:
    remains = actions.register_remains(None, code=f"R-{code}", **fields)
    actions.attach_sample(None, register_sample(None, lab, code, Sample.Kind.REMAINS), remains=remains)
    return remains


def _screen(
    capture: Capture, lab: Organisation, frequencies: Path, profiles: dict[str, dict[str, list[str]]]
) -> list[CandidateIdentification]:
    with override_settings(KINLINK_DNA_FREQUENCIES=str(frequencies), KINLINK_DNA_MUTATION=""):
        run = upload(capture, lab, profiles)
    assert run is not None and run.status == "done", run.notes if run else None
    return list(CandidateIdentification.objects.select_related("tracing_request").order_by("pk"))


def _staff(name: str) -> object:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(name, password="x")


def test_without_context_the_prior_is_one_over_the_families_screened(
    lab: Organisation, frequencies: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    _family(lab, "REF-A")
    _family(lab, "REF-B")
    _remains(lab, "RS-1")  # no event, no site, no batch
    cands = _screen(
        django_capture_on_commit_callbacks,
        lab,
        frequencies,
        {"REF-A": MOTHER, "REF-B": STRANGER, "RS-1": REMAINS},
    )
    assert len(cands) == 1
    cand = cands[0]
    assert cand.lr == pytest.approx(MOTHER_LR, rel=1e-6)
    assert cand.prior == 0.5 and screened_count(cand.prior_basis) == 2
    assert cand.method == CandidateIdentification.Method.KINSHIP and cand.non_dna_conflict == {}


def test_a_mother_only_reference_identifies_against_the_40_missing_of_one_battle(
    lab: Organisation, frequencies: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    """LR 5^10 = 9,765,625 from the mother alone. Against the 100,000 missing of a whole registry (prior
    1/100,000) the posterior is 98.99 %, short of 99.95 %; against the 40 missing of the battle the
    remains were found at (99 % of the prior over them: 0.99 / 40) it is 99.9996 %, and two staff may
    confirm."""
    request = _family(lab, "REF-A")
    _family(lab, "REF-B")
    event = _event("Battle for Hill 210", [request.person], others=39)
    site = actions.add_site(
        None, name="Field grave by the forest road", kind=Site.Kind.FIELD_GRAVE, event=event
    )
    _remains(lab, "RS-1", site=site)
    [cand] = _screen(
        django_capture_on_commit_callbacks,
        lab,
        frequencies,
        {"REF-A": MOTHER, "REF-B": STRANGER, "RS-1": REMAINS},
    )
    assert cand.tracing_request == request
    assert cand.lr == pytest.approx(MOTHER_LR, rel=1e-6)
    needed = required_posterior()
    # the same LR against a registry of 100,000 missing persons: not enough
    assert posterior_probability(cand.lr, 1 / 100_000) == pytest.approx(0.989864, abs=1e-6)
    assert posterior_probability(cand.lr, 1 / 100_000) < needed
    # against the 40 missing of the battle: enough
    assert cand.prior == pytest.approx(0.99 / 40)
    assert cand.posterior == pytest.approx(posterior_probability(MOTHER_LR, 0.99 / 40), rel=1e-9)
    assert cand.posterior == pytest.approx(0.9999960, abs=1e-7) and cand.posterior >= needed
    stated = parse_context(cand.prior_basis)
    assert stated is not None
    assert (stated.place, stated.members, stated.excluded, stated.share) == (IN_EVENT, 40, 0, 0.01)
    assert (stated.event_id, stated.event_name) == (event.pk, "Battle for Hill 210")
    assert (stated.via, stated.via_name) == ("site", "Field grave by the forest road")
    # the 1% goes to the missing persons outside the battle: family B's man
    assert stated.others == 1
    first, second = _staff("first"), _staff("second")
    decide_identification(first, cand, "confirm")
    assert decide_identification(second, cand, "confirm").status == CandidateIdentification.Status.IDENTIFIED


def test_a_person_outside_the_event_gets_the_stated_small_share(
    lab: Organisation, frequencies: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    request = _family(lab, "REF-A")  # his mother matches, but he is not of the battle
    other = _family(lab, "REF-B")
    event = _event("Battle for Hill 210", [other.person], others=39)
    batch_remains = _remains(lab, "RS-1", event=event)
    for n in range(100):  # missing elsewhere, of no event
        actions.add_person(None, names=[{"surname": f"Elsewhere{n}"}], reason="list", fate="missing")
    [cand] = _screen(
        django_capture_on_commit_callbacks,
        lab,
        frequencies,
        {"REF-A": MOTHER, "REF-B": STRANGER, "RS-1": REMAINS},
    )
    assert cand.tracing_request == request
    stated = parse_context(cand.prior_basis)
    assert stated is not None and stated.place == OUTSIDE
    assert (stated.via, stated.via_name) == ("remains", batch_remains.code)
    assert stated.others == 101  # family A's man and the 100 missing elsewhere
    assert cand.prior == pytest.approx(0.01 / 101)
    # remains of the battle: his mother alone is not enough (99.897 %), though 1 / N screened would be
    assert cand.posterior == pytest.approx(0.998967, abs=1e-6)
    assert cand.posterior < required_posterior()
    assert posterior_probability(cand.lr, 1 / 2) >= required_posterior()
    with pytest.raises(IdentificationError, match="posterior"):
        decide_identification(_staff("first"), cand, "confirm")


def test_a_non_dna_exclusion_narrows_the_prior_but_never_hides_a_dna_match(
    lab: Organisation, frequencies: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    """Two families of the battle whose mothers match the remains equally well. The examiner recorded the
    remains as female, so family A's son is excluded by sex; a caseworker excluded a third soldier. Family
    B's prior narrows to 0.99 / 38; family A's candidate is kept, with the prior it would have without the
    exclusion (0.99 / 39), and the conflict is marked."""
    a = _family(lab, "REF-A", sex="M")
    b = _family(lab, "REF-B", sex="U")
    event = _event("Battle for Hill 210", [a.person, b.person], others=38)
    batch = actions.add_event(None, name="unused")  # another event: not the remains'
    assert batch.pk != event.pk
    remains = _remains(lab, "RS-1", event=event)
    save_profile(None, remains=remains, values={"sex": "F"}, sources={"sex": "examiner"})
    soldier = Person.objects.filter(events=event).exclude(pk__in=[a.person.pk, b.person.pk]).first()
    assert soldier is not None
    decide_comparison(
        None, remains, soldier, decision=ComparisonDecision.Decision.EXCLUDED, reason="tag of another unit"
    )
    cands = {
        c.tracing_request.pk: c
        for c in _screen(
            django_capture_on_commit_callbacks,
            lab,
            frequencies,
            {"REF-A": MOTHER, "REF-B": MOTHER, "RS-1": REMAINS},
        )
    }
    ca, cb = cands[a.pk], cands[b.pk]
    assert ca.lr == pytest.approx(MOTHER_LR, rel=1e-6) and cb.lr == pytest.approx(MOTHER_LR, rel=1e-6)
    sa, sb = parse_context(ca.prior_basis), parse_context(cb.prior_basis)
    assert sa is not None and sb is not None
    assert (sb.place, sb.members, sb.excluded) == (IN_EVENT, 40, 2)
    assert cb.prior == pytest.approx(0.99 / 38) and cb.non_dna_conflict == {}
    assert (sa.place, sa.members, sa.excluded) == (EXCLUDED, 40, 2)
    assert ca.prior == pytest.approx(0.99 / 39)
    assert ca.non_dna_conflict == {"fields": ["sex"]}
    assert ca.posterior == pytest.approx(posterior_probability(ca.lr, 0.99 / 39))


def test_prior_forms_round_trip_and_refuse_nonsense() -> None:
    from kinlink.identification.prior import ContextPrior, context_basis

    stated = ContextPrior(EXCLUDED, 7, "Battle «Hill» 210", "batch", "B-2024-03", 40, 3, 0.01, 960)
    text = context_basis(stated)
    back = parse_context(text)
    assert back is not None and back.event_name == 'Battle "Hill" 210' and back.pool == 38
    assert back.prior == pytest.approx(0.99 / 38)
    assert ContextPrior(OUTSIDE, 7, "x", "site", "y", 40, 0, 0.01, 960).prior == pytest.approx(0.01 / 960)
    assert parse_context("1 / 12 missing persons screened") is None
    assert screened_count(text) is None
    with pytest.raises(ValueError):
        ContextPrior(IN_EVENT, 7, "x", "site", "y", 3, 3, 0.01, 10)  # nobody left in the event
    with pytest.raises(ValueError):
        ContextPrior(IN_EVENT, 7, "x", "site", "y", 3, 0, 0.0, 10)  # no share for everyone else
    assert math.isclose(
        sum(ContextPrior(IN_EVENT, 1, "", "site", "", 40, 2, 0.01, 10).prior for _ in range(38))
        + 10 * ContextPrior(OUTSIDE, 1, "", "site", "", 40, 2, 0.01, 10).prior,
        1.0,
    )


# ------------------------------------------------------------------------------------------------ direct


def test_a_personal_item_is_matched_directly_next_to_the_kinship_candidate(
    lab: Organisation, frequencies: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    """The family gave the mother's sample and his toothbrush («личная вещь»). Screening proposes the
    kinship candidate (the mother, LR 5^10) and the direct one (the toothbrush: 1 / (2 * 0.05 * 0.2) = 50
    per marker, 50^10 in all), each stating its method, each with its own fingerprint."""
    request = _family(lab, "REF-A")
    register_reference_samples(
        None, lab, "own.csv", f"sample,relationship,request\nOWN-A,личная вещь,{request.number}\n".encode()
    )
    assert Sample.objects.get(code="OWN-A").relationship == "self"
    _family(lab, "REF-B")
    _remains(lab, "RS-1")
    cands = _screen(
        django_capture_on_commit_callbacks,
        lab,
        frequencies,
        {"REF-A": MOTHER, "OWN-A": REMAINS, "REF-B": STRANGER, "RS-1": REMAINS},
    )
    by_method = {c.method: c for c in cands}
    assert set(by_method) == {"kinship", "direct"} and len(cands) == 2
    kinship, direct = by_method["kinship"], by_method["direct"]
    assert kinship.lr == pytest.approx(MOTHER_LR, rel=1e-6)  # the toothbrush is not a relative
    assert direct.tracing_request == request and direct.lr == pytest.approx(50.0**10, rel=1e-9)
    assert direct.driving_markers[0]["log10_lr"] == pytest.approx(math.log10(50), abs=1e-4)
    assert direct.fingerprint != kinship.fingerprint
    assert direct.prior == 0.5 and screened_count(direct.prior_basis) == 2  # two families screened
    from kinlink.identification.services import current_fingerprint

    assert current_fingerprint(direct) == direct.fingerprint


def test_direct_match_with_dropout_and_a_family_with_only_the_personal_item(
    lab: Organisation, frequencies: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    """Only a stored sample of the man (no relative typed); the remains lost allele 2 at M01. Without
    dropout that would exclude; with dropout 0.1 the marker gives d(1-d) / (p1^2 (1-d^2) + 2 p1 (1-p1)
    d(1-d)) = 0.09 / (0.0025 * 0.99 + 0.095 * 0.09) = 0.09 / 0.011025, and the other nine 50 each."""
    request = _consenting("Own")
    register_reference_samples(
        None, lab, "own.csv", f"sample,relationship,request\nOWN-A,self,{request.number}\n".encode()
    )
    _remains(lab, "RS-1")
    degraded = {**REMAINS, "M01": ["1", "-"]}
    with override_settings(KINLINK_DIRECT_MATCH_DROPOUT=0.1):
        [cand] = _screen(
            django_capture_on_commit_callbacks, lab, frequencies, {"OWN-A": REMAINS, "RS-1": degraded}
        )
    assert cand.method == "direct" and cand.run is not None and cand.run.direct_dropout == 0.1
    assert cand.lr == pytest.approx(0.09 / 0.011025 * 50.0**9, rel=1e-9)
    assert cand.prior == 1.0 and screened_count(cand.prior_basis) == 1


# ------------------------------------------------------------------------------------------------ words


def test_the_candidate_page_states_the_event_prior_the_method_and_the_conflict() -> None:
    from kinlink.identification.prior import ContextPrior, context_basis
    from tests.portal.portal_world import build_world, verified_client
    from tests.portal.test_dna_candidates import make_candidate

    world = build_world()
    cand = make_candidate(world.a)
    stated = ContextPrior(EXCLUDED, 3, "Battle for Hill 210", "site", "Field grave 7", 40, 2, 0.01, 960)
    cand.prior, cand.prior_basis = stated.prior, context_basis(stated)
    cand.posterior = posterior_probability(cand.lr, cand.prior)
    cand.non_dna_conflict = {"fields": ["sex"], "caseworker": "another unit's tag"}
    cand.method = CandidateIdentification.Method.DIRECT
    cand.save()
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    english = client.get(f"/en/staff/dna/{cand.pk}/").content.decode()
    assert "1/39 of 99%" in english and "«Battle for Hill 210»" in english
    assert "site «Field grave 7»" in english and "excluded by the physical comparison: 1" in english
    assert "1% by those outside the event (960)" in english
    assert "Conflict with the physical comparison." in english and "another unit&#x27;s tag" in english
    assert "direct match" in english
    russian = client.get(f"/ru/staff/dna/{cand.pk}/").content.decode()
    assert "«Battle for Hill 210»" in russian and "1/39" in russian and "99 %" in russian
    assert "Противоречие со сравнением по физическим данным." in russian
    from kinlink.documents.dna import prior_basis_words

    ukrainian = prior_basis_words(cand.prior_basis, "uk")
    assert "«Battle for Hill 210»" in ukrainian and ukrainian != prior_basis_words(cand.prior_basis, "en")
