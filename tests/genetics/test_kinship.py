"""Kinship LR: the 60 reference cases, and closed forms that can be checked by hand."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pytest

from kinlink.genetics.formats import read_case_json
from kinlink.genetics.kinship import KinshipCase, KinshipError, missing_person_lr, missing_person_lrs
from kinlink.genetics.markers import Locus, make_locus
from kinlink.genetics.mutation import MarkerMutation, MutationModel
from kinlink.genetics.pedigree import Pedigree, Person
from tests.data import DATA

CASES = DATA / "genetics" / "cases"


def _close(value: float, expected: float, rel: float = 1e-6) -> bool:
    if expected == 0.0:
        return value == 0.0
    return abs(value - expected) <= rel * abs(expected) or abs(value - expected) <= 1e-300


@pytest.fixture(scope="module")
def reference_cases() -> list[KinshipCase]:
    cases = [read_case_json(p) for p in sorted(CASES.glob("kin-*.json"))]
    assert len(cases) == 60, f"expected the 60 forrel reference cases in {CASES}"
    return cases


def test_all_reference_cases_agree_with_forrel(reference_cases: list[KinshipCase]) -> None:
    assert len(reference_cases) == 60
    failures = []
    for case in reference_cases:
        assert case.expected is not None
        result = missing_person_lr(case)
        if not _close(result.lr, case.expected["lr"]):
            failures.append((case.id, "total", result.lr, case.expected["lr"]))
        for marker, expected in case.expected["lr_per_marker"].items():
            value = result.lr_per_marker[marker]
            if not _close(value, expected):
                failures.append((case.id, marker, value, expected))
    assert failures == []


def test_cases_computed_together_equal_each_alone(reference_cases: list[KinshipCase]) -> None:
    # The 60 cases fall into 7 groups of one family shape; a theta case and a case with POI dropout ride
    # along. Batching stacks markers of cases of one shape, and every number must stay what the case alone
    # gives.
    with_theta = _case(trio(), {"M": ["a", "b"]}, ["a", "c"], FREQS, theta=0.02)
    with_dropout = dataclasses.replace(reference_cases[1], id="dropout", poi_dropout=0.1)
    cases = [*reference_cases, with_theta, with_dropout, *reference_cases[:5]]
    together = missing_person_lrs(cases)
    assert [r.case_id for r in together] == [c.id for c in cases]
    for case, got in zip(cases, together, strict=True):
        alone = missing_person_lr(case)
        assert got.lr_per_marker == alone.lr_per_marker  # bitwise: each marker is summed on its own
        assert [m.references_typed for m in got.markers] == [m.references_typed for m in alone.markers]
        assert got.notes == alone.notes
        assert got.lr == alone.lr
    assert missing_person_lrs([]) == []


def test_cases_computed_together_raise_the_first_failing_cases_error(
    reference_cases: list[KinshipCase],
) -> None:
    family = Pedigree([*trio(), Person("S", "female", "F", "M")])
    impossible = _case(family, {"M": ["a", "a"], "F": ["a", "a"], "S": ["b", "b"]}, ["a", "a"], FREQS)
    impossible.id = "impossible"
    bad_missing = dataclasses.replace(reference_cases[2], id="bad", missing="nobody")
    with pytest.raises(KinshipError, match="case impossible, marker L: the reference profiles are imposs"):
        missing_person_lrs([reference_cases[0], impossible, bad_missing])
    with pytest.raises(KinshipError, match="case bad: missing person 'nobody'"):
        missing_person_lrs([reference_cases[0], bad_missing, impossible])


def test_person_order_does_not_change_reference_lrs(reference_cases: list[KinshipCase]) -> None:
    for case in reference_cases[:12]:
        shuffled = KinshipCase(
            case.id,
            case.pedigree.relabelled(case.pedigree.ids[::-1]),
            case.missing,
            case.loci,
            case.references,
            case.poi,
        )
        assert missing_person_lr(shuffled).lr == pytest.approx(
            missing_person_lr(case).lr, rel=1e-10, abs=1e-300
        )


def test_expected_zero_is_exactly_zero(reference_cases: list[KinshipCase]) -> None:
    zeros = [c for c in reference_cases if c.expected is not None and c.expected["lr"] == 0]
    assert zeros, "the fixtures contain at least one exclusion"
    for case in zeros:
        result = missing_person_lr(case)
        assert result.lr == 0.0
        assert result.log10_lr == -math.inf


def trio() -> Pedigree:
    """Father F, mother M, and their son MP, the missing person."""
    return Pedigree([Person("F", "male"), Person("M", "female"), Person("MP", "male", "F", "M")])


def _case(
    pedigree: Pedigree, refs: dict[str, list[str]], poi: list[str], freqs: dict[str, float], **kw: object
) -> KinshipCase:
    mutation = kw.pop("mutation", None)
    locus = make_locus("L", freqs, mutation)  # type: ignore[arg-type]
    return KinshipCase(
        "t",
        pedigree,
        "MP",
        [locus],
        {pid: {"L": g} for pid, g in refs.items()},
        {"L": poi},
        **kw,  # type: ignore[arg-type]
    )


TWO = {"1": 0.3, "2": 0.7}


@pytest.mark.parametrize(
    ("father", "child", "expected"),
    [
        (["1", "1"], ["1", "1"], 1 / 0.3),
        (["1", "1"], ["1", "2"], 1 / (2 * 0.3)),
        (["1", "2"], ["1", "2"], 1 / (4 * 0.3 * 0.7)),
        (["1", "2"], ["2", "2"], 1 / (2 * 0.7)),
        (["2", "2"], ["1", "1"], 0.0),
    ],
)
def test_paternity_with_two_alleles(father: list[str], child: list[str], expected: float) -> None:
    case = _case(trio(), {"F": father}, child, TWO)
    assert _close(missing_person_lr(case).lr, expected, 1e-12)


FREQS = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4}


def sibs() -> Pedigree:
    return Pedigree(
        [
            Person("F", "male"),
            Person("M", "female"),
            Person("S", "male", "F", "M"),
            Person("MP", "male", "F", "M"),
        ]
    )


def test_full_siblings_identical_heterozygotes() -> None:
    pa, pb = FREQS["a"], FREQS["b"]
    expected = (1 + pa + pb + 2 * pa * pb) / (8 * pa * pb)
    assert _close(missing_person_lr(_case(sibs(), {"S": ["a", "b"]}, ["a", "b"], FREQS)).lr, expected, 1e-12)


def test_full_siblings_share_nothing() -> None:
    # k0 = 1/4 is the only way to share no allele.
    assert _close(missing_person_lr(_case(sibs(), {"S": ["a", "b"]}, ["c", "d"], FREQS)).lr, 0.25, 1e-12)


def half_sibs() -> Pedigree:
    return Pedigree(
        [
            Person("F", "male"),
            Person("M1", "female"),
            Person("M2", "female"),
            Person("S", "male", "F", "M1"),
            Person("MP", "male", "F", "M2"),
        ]
    )


def test_half_siblings() -> None:
    pa, pb = FREQS["a"], FREQS["b"]
    het = 0.5 + (pa + pb) / (8 * pa * pb)
    assert _close(missing_person_lr(_case(half_sibs(), {"S": ["a", "b"]}, ["a", "b"], FREQS)).lr, het, 1e-12)
    hom = 0.5 + 1 / (2 * pa)
    assert _close(missing_person_lr(_case(half_sibs(), {"S": ["a", "a"]}, ["a", "a"], FREQS)).lr, hom, 1e-12)


STEP_FREQS = {"9": 0.1, "10": 0.25, "11": 0.4, "12": 0.15, "12.2": 0.1}
STEPWISE = MarkerMutation(
    female=MutationModel("stepwise", 0.01, 0.001, 0.3), male=MutationModel("stepwise", 0.03, 0.002, 0.2)
)


def test_untyped_parents_pass_alleles_through_a_stepwise_model() -> None:
    # MP's parents are untyped founders: his paternal allele is a with probability (p M_male)[a].
    locus = make_locus("L", STEP_FREQS, STEPWISE)
    female, male = locus.mutation_matrices()
    assert female is not None and male is not None
    p = locus.freqs
    pat, mat = p @ male, p @ female
    a, b = locus.index("10"), locus.index("12.2")
    expected = (pat[a] * mat[b] + pat[b] * mat[a]) / (2 * p[a] * p[b])
    case = _case(trio(), {}, ["10", "12.2"], STEP_FREQS, mutation=STEPWISE)
    lr = missing_person_lr(case).lr
    assert _close(lr, expected, 1e-12)
    assert abs(lr - 1.0) > 1e-4  # the model is not stationary, so an untyped family still moves the LR


def test_untyped_father_between_grandfather_and_missing_person_stepwise() -> None:
    ped = Pedigree(
        [
            Person("GF", "male"),
            Person("GM", "female"),
            Person("F", "male", "GF", "GM"),
            Person("M", "female"),
            Person("MP", "male", "F", "M"),
        ]
    )
    locus = make_locus("L", STEP_FREQS, STEPWISE)
    female, male = locus.mutation_matrices()
    assert female is not None and male is not None
    p = locus.freqs
    g1, g2 = locus.index("11"), locus.index("12")
    from_gf = 0.5 * (male[g1] + male[g2])  # F's paternal allele
    from_gm = p @ female  # F's maternal allele
    pat = 0.5 * (from_gf @ male) + 0.5 * (from_gm @ male)  # allele F passes to MP
    mat = p @ female
    a, b = locus.index("10"), locus.index("11")
    expected = (pat[a] * mat[b] + pat[b] * mat[a]) / (2 * p[a] * p[b])
    case = _case(ped, {"GF": ["11", "12"]}, ["10", "11"], STEP_FREQS, mutation=STEPWISE)
    assert _close(missing_person_lr(case).lr, expected, 1e-12)


@pytest.mark.parametrize("theta", [0.0, 0.01, 0.03, 0.1])
def test_theta_single_parent_child_pair(theta: float) -> None:
    # Mother a/b, POI (child) a/c: LR = (1 + 2 theta) / (4 (theta + (1 - theta) p_a)).
    pa = FREQS["a"]
    expected = (1 + 2 * theta) / (4 * (theta + (1 - theta) * pa))
    case = _case(trio(), {"M": ["a", "b"]}, ["a", "c"], FREQS, theta=theta)
    assert _close(missing_person_lr(case).lr, expected, 1e-10)


@pytest.mark.parametrize("d", [0.0, 0.05, 0.2, 0.5])
def test_dropout_homozygous_looking_remains(d: float) -> None:
    # Mother a/b; the remains show only a, which may be a/a or a/x with x dropped out.
    pa = FREQS["a"]
    h1 = 0.5 * pa * (1 - d * d) + 0.5 * d * (1 - d)
    h2 = pa * pa * (1 - d * d) + 2 * pa * (1 - pa) * d * (1 - d)
    case = _case(trio(), {"M": ["a", "b"]}, ["a", "a"], FREQS, poi_dropout=d)
    assert _close(missing_person_lr(case).lr, h1 / h2, 1e-12)


def test_dropout_rescues_an_apparent_exclusion() -> None:
    # Mother c/c, remains show a only: impossible without dropout, possible with it.
    assert missing_person_lr(_case(trio(), {"M": ["c", "c"]}, ["a", "a"], FREQS)).lr == 0.0
    lr = missing_person_lr(_case(trio(), {"M": ["c", "c"]}, ["a", "a"], FREQS, poi_dropout=0.1)).lr
    assert 0.0 < lr < 1.0


def test_allele_missing_from_database_gets_a_floor_and_a_note() -> None:
    case = _case(trio(), {"M": ["a", "z"]}, ["z", "b"], FREQS)
    result = missing_person_lr(case)
    assert any("allele z" in n and "renormalised" in n for n in result.notes)
    floor = 0.001 / 1.001
    pb = FREQS["b"] / 1.001
    assert _close(result.lr, 0.5 * pb / (2 * floor * pb), 1e-12)


def test_missing_father_as_founder_with_typed_child() -> None:
    ped = Pedigree([Person("MP", "male"), Person("W", "female"), Person("C", "female", "MP", "W")])
    case = _case(ped, {"C": ["a", "b"]}, ["a", "a"], FREQS)
    assert _close(missing_person_lr(case).lr, 1 / (2 * FREQS["a"]), 1e-12)
    case = _case(ped, {"C": ["a", "b"], "W": ["b", "c"]}, ["a", "d"], FREQS)
    assert _close(missing_person_lr(case).lr, 1 / (2 * FREQS["a"]), 1e-12)


def test_configurable_floor() -> None:
    case = _case(trio(), {"M": ["a", "z"]}, ["z", "z"], FREQS, floor=0.01)
    result = missing_person_lr(case)
    assert "given frequency 0.01" in result.notes[0]
    pz = 0.01 / 1.01
    assert _close(result.lr, 0.5 * pz / (pz * pz), 1e-12)


def test_missing_person_with_own_profile_is_rejected() -> None:
    case = _case(trio(), {"MP": ["a", "b"]}, ["a", "b"], FREQS)
    with pytest.raises(KinshipError, match="missing person"):
        missing_person_lr(case)


def test_untyped_poi_marker_contributes_one() -> None:
    case = _case(trio(), {"M": ["a", "b"]}, ["-", "-"], FREQS)
    case.poi = {}
    result = missing_person_lr(case)
    assert result.lr_per_marker == {"L": 1.0}
    assert not result.markers[0].poi_typed


def test_marker_order_does_not_change_the_lr() -> None:
    loci = [make_locus(f"L{i}", FREQS) for i in range(3)]
    refs = {"M": {"L0": ["a", "b"], "L1": ["c", "c"], "L2": ["b", "d"]}}
    poi = {"L0": ["a", "c"], "L1": ["c", "d"], "L2": ["d", "d"]}
    one = missing_person_lr(KinshipCase("x", trio(), "MP", loci, refs, poi))
    two = missing_person_lr(KinshipCase("x", trio(), "MP", loci[::-1], refs, poi))
    assert math.isclose(one.lr, two.lr, rel_tol=1e-12)
    assert one.lr_per_marker == pytest.approx(two.lr_per_marker, rel=1e-12)
    assert np.isclose(one.log10_lr, math.log10(one.lr))


DVI = DATA / "genetics" / "dvi"


def _dvi_loci(dataset: dict[str, Any]) -> list[Locus]:
    loci = []
    for spec in dataset["loci"]:
        freqs = dict(zip(spec["alleles"], spec["afreq"], strict=True))
        mutation = None
        if spec["mutmod"]:
            female = spec["mutmod"]["female"]["matrix"]
            male = spec["mutmod"]["female" if spec["mutmod"]["sexEqual"] else "male"]["matrix"]
            mutation = MarkerMutation(
                female=MutationModel("custom", matrix=tuple(map(tuple, female))),
                male=MutationModel("custom", matrix=tuple(map(tuple, male))),
            )
        loci.append(make_locus(spec["name"], freqs, mutation))
    return loci


@pytest.mark.parametrize("name", ["example1", "example2", "fire"])
def test_dvir_pairwise_lrs(name: str) -> None:
    """Victim x missing-person LRs of dvir 3.4.2 (same engine question, dvir's exact mutation matrices)."""
    dataset = json.loads((DVI / f"{name}.json").read_text())
    expected = json.loads((DVI / f"{name}.expected.json").read_text())["pairwise_lr"]
    loci = _dvi_loci(dataset)
    sex = {0: "unknown", 1: "male", 2: "female"}
    for row, victim in zip(expected["values"], expected["rows"], strict=True):
        pm = next(v for v in dataset["pm"] if v["id"] == victim)
        for missing, value in row.items():
            if value is None:  # dvir leaves sex-incompatible pairs undefined
                continue
            family = next(f for f in dataset["am"] if any(p["id"] == missing for p in f["pedigree"]))
            pedigree = Pedigree(
                Person(p["id"], sex[p["sex"]], p["fid"], p["mid"]) for p in family["pedigree"]
            )
            case = KinshipCase(
                f"{victim}-{missing}", pedigree, missing, loci, family["genotypes"], pm["genotypes"]
            )
            assert _close(missing_person_lr(case).lr, value, 1e-6), (victim, missing)
