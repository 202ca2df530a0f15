"""Batched peeling (any pedigree without loops) equals the exact engine: named shapes and random pedigrees."""

from __future__ import annotations

import numpy as np
import pytest

from kinlink.genetics import screening
from kinlink.genetics.kinship import KinshipCase, missing_person_lr
from kinlink.genetics.likelihood import genotype_index
from kinlink.genetics.mutation import MarkerMutation
from kinlink.genetics.nuclear import nuclear_shape
from kinlink.genetics.pedigree import Pedigree, Person
from kinlink.genetics.peeling import MAX_TERMS, tree_plan
from kinlink.genetics.screening import Family, ScreeningIndex, ScreeningPanel, Target, family_tables
from tests.genetics.test_nuclear import SHAPES, STEPWISE, _families, _loci

GF, GM = Person("GF", "male"), Person("GM", "female")
F, M = Person("F", "male", "GF", "GM"), Person("M", "female")
MP = Person("MP", "male", "F", "M")
UNCLE = Person("U", "male", "GF", "GM")
AUNT_IN_LAW = Person("UW", "female")
COUSIN = Person("C", "female", "U", "UW")
M2 = Person("M2", "female")
HALF = Person("H", "male", "F", "M2")

#: (name, members, typed references, missing person): the common shapes that are not nuclear.
TREE_SHAPES: list[tuple[str, list[Person], list[str], str]] = [
    ("grandmother", [GF, GM, F, M, MP], ["GM"], "MP"),
    ("grandparents", [GF, GM, F, M, MP], ["GF", "GM"], "MP"),
    ("grandmother_mother", [GF, GM, F, M, MP], ["GM", "M"], "MP"),
    ("paternal_half_sibling", [GF, GM, F, M, M2, MP, HALF], ["H"], "MP"),
    ("half_sibling_and_its_mother", [GF, GM, F, M, M2, MP, HALF], ["H", "M2", "M"], "MP"),
    ("uncle", [GF, GM, F, M, MP, UNCLE], ["U"], "MP"),
    ("uncle_grandmother_mother", [GF, GM, F, M, MP, UNCLE], ["U", "GM", "M"], "MP"),
    ("first_cousin", [GF, GM, F, M, MP, UNCLE, AUNT_IN_LAW, COUSIN], ["C"], "MP"),
    ("cousin_and_uncle", [GF, GM, F, M, MP, UNCLE, AUNT_IN_LAW, COUSIN], ["C", "U", "UW"], "MP"),
    (
        "two_wives",
        [
            Person("MP", "male"),
            Person("W1", "female"),
            Person("W2", "female"),
            Person("C1", "male", "MP", "W1"),
            Person("C2", "female", "MP", "W2"),
            Person("C3", "male", "MP", "W2"),
        ],
        ["C1", "W2", "C2", "C3"],
        "MP",
    ),
    (
        "grandchild",
        [
            Person("MP", "male"),
            Person("W", "female"),
            Person("S", "male", "MP", "W"),
            Person("SW", "female"),
            Person("G", "female", "S", "SW"),
        ],
        ["G", "SW"],
        "MP",
    ),
    (
        "missing_mother_with_grandchild",
        [
            Person("HU", "male"),
            Person("MP", "female", "PF", "PM"),
            Person("PF", "male"),
            Person("PM", "female"),
            Person("SIS", "female", "PF", "PM"),
            Person("D", "female", "HU", "MP"),
            Person("DH", "male"),
            Person("GS", "male", "DH", "D"),
        ],
        ["SIS", "GS", "HU"],
        "MP",
    ),
]


def _compare(panel: ScreeningPanel, families: list[Family]) -> tuple[np.ndarray, np.ndarray]:
    targets, fast, notes = family_tables(panel, families, np.float64, fast=True)
    targets_exact, exact, notes_exact = family_tables(panel, families, np.float64, fast=False)
    assert targets == targets_exact and notes == notes_exact
    return fast, exact


def _assert_equal(fast: np.ndarray, exact: np.ndarray) -> None:
    finite = np.isfinite(exact)
    assert np.array_equal(finite, np.isfinite(fast))
    assert np.array_equal(fast[~finite], exact[~finite])
    assert np.abs(fast[finite] - exact[finite]).max() < 1e-9


def test_tree_shapes_are_not_nuclear_and_have_a_plan() -> None:
    for _name, persons, _typed, mp in TREE_SHAPES:
        ped = Pedigree(persons)
        assert nuclear_shape(ped, mp) is None
        assert tree_plan(ped, mp) is not None
    # a loop: two brothers married to two sisters, a child of each couple
    loop = Pedigree(
        [
            Person("A", "male"),
            Person("B", "female"),
            Person("C", "male"),
            Person("D", "female"),
            Person("B1", "male", "A", "B"),
            Person("B2", "male", "A", "B"),
            Person("S1", "female", "C", "D"),
            Person("S2", "female", "C", "D"),
            Person("MP", "male", "B1", "S1"),
            Person("X", "female", "B2", "S2"),
        ]
    )
    assert tree_plan(loop, "MP") is None


@pytest.mark.parametrize("mutation", [STEPWISE, None], ids=["mutation", "no_mutation"])
@pytest.mark.parametrize("shape", TREE_SHAPES, ids=[s[0] for s in TREE_SHAPES])
def test_tree_shapes_equal_the_exact_engine(
    shape: tuple[str, list[Person], list[str], str], mutation: MarkerMutation | None
) -> None:
    name, persons, typed, _mp = shape
    loci = _loci(mutation, seed=len(name))
    families = _families(name, persons, typed, loci, 30, seed=len(name) + (mutation is None))
    fast, exact = _compare(ScreeningPanel(tuple(loci)), families)
    _assert_equal(fast, exact)


def test_nuclear_shapes_by_peeling_equal_the_closed_form() -> None:
    """The peeling path also computes the nuclear shapes (forced here): the same rows as the closed form."""
    loci = _loci(STEPWISE, seed=11)
    panel = ScreeningPanel(tuple(loci))
    for name, persons, typed, mp in SHAPES:
        families = _families(name, persons, typed, loci, 10, seed=len(name))
        plan = tree_plan(Pedigree(persons), mp)
        assert plan is not None
        members = [(f, mp) for f in families]
        block = np.empty((len(families), panel.width))
        ok = screening._tree_rows(panel, plan, members, block)
        assert ok is not None
        _, closed, _ = family_tables(panel, families, np.float64)
        assert np.array_equal(ok, ~np.isneginf(closed).all(axis=1))  # impossible families: all -inf
        _assert_equal(block[ok], closed[ok])


def _random_tree(rng: np.random.Generator, size: int) -> tuple[list[Person], str]:
    """A random pedigree without loops around MP: add parents to founders, children with new spouses, and
    more children to existing couples."""
    persons = {"MP": Person("MP", str(rng.choice(["male", "female"])))}
    couples: list[tuple[str, str]] = []
    k = 0
    while len(persons) < size:
        k += 1
        move = rng.integers(3)
        pid = str(rng.choice(sorted(persons)))
        p = persons[pid]
        if move == 0 and p.father is None:
            fa, mo = f"f{k}", f"m{k}"
            persons[fa], persons[mo] = Person(fa, "male"), Person(mo, "female")
            persons[pid] = Person(pid, p.sex, fa, mo)
            couples.append((fa, mo))
        elif move == 1:
            spouse = f"s{k}"
            persons[spouse] = Person(spouse, "female" if p.sex == "male" else "male")
            pair = (pid, spouse) if p.sex == "male" else (spouse, pid)
            couples.append(pair)
            persons[f"c{k}"] = Person(f"c{k}", str(rng.choice(["male", "female"])), *pair)
        elif couples:
            pair = couples[int(rng.integers(len(couples)))]
            persons[f"c{k}"] = Person(f"c{k}", str(rng.choice(["male", "female"])), *pair)
    return list(persons.values()), "MP"


@pytest.mark.parametrize("seed", range(12))
def test_random_pedigrees_equal_the_exact_engine(seed: int) -> None:
    rng = np.random.default_rng(seed)
    persons, mp = _random_tree(rng, int(rng.integers(4, 11)))
    others = [p.id for p in persons if p.id != mp]
    typed = sorted(rng.choice(others, size=int(rng.integers(1, min(4, len(others)) + 1)), replace=False))
    mutation = STEPWISE if seed % 3 else None
    loci = _loci(mutation, seed=seed)
    families = _families(f"r{seed}_", persons, [str(t) for t in typed], loci, 12, seed=seed)
    assert tree_plan(Pedigree(persons), mp) is not None
    fast, exact = _compare(ScreeningPanel(tuple(loci)), families)
    _assert_equal(fast, exact)


def test_screening_score_equals_the_exact_lr_for_a_cousin_family() -> None:
    """End to end: remains against a cousin-and-uncle family, screening score = exact log10 LR (1e-9)."""
    name, persons, typed, _mp = TREE_SHAPES[8]
    loci = _loci(STEPWISE, seed=5)
    families = _families(name, persons, typed, loci, 3, seed=5)
    panel = ScreeningPanel(tuple(loci))
    index = ScreeningIndex(panel, threshold=1.0, dtype=np.float64)
    index.add_families(families)
    rng = np.random.default_rng(5)
    remains = {}
    for r in range(6):
        prof = {}
        for locus in loci:
            a, b = (locus.alleles[int(i)] for i in rng.choice(locus.n_alleles, 2, p=locus.freqs))
            prof[locus.name] = [a, "-"] if r == 5 else [a, b]
        remains[f"R{r}"] = prof
    index.add_remains(remains, {"R3": 0.2, "R4": 0.05})
    for fam in families:
        for rem in remains:
            target = Target(fam.id, "MP")
            exact = index.exact_log10_lr(rem, target)
            assert index.screening_log10_lr(rem, target) == pytest.approx(exact, abs=1e-9)


def test_too_many_terms_fall_back_to_the_exact_engine() -> None:
    """An untyped father of many typed children, himself the child of an untyped couple: a message of
    more than MAX_TERMS terms; the group takes the exact engine and the rows are still exact."""
    kids = [Person(f"K{i}", "male", "F", "W") for i in range(9)]
    persons = [
        GF,
        GM,
        Person("F", "male", "GF", "GM"),
        Person("W", "female"),
        *kids,
        Person("MP", "male", "GF", "GM"),
    ]
    plan = tree_plan(Pedigree(persons), "MP")
    assert plan is not None
    pattern = tuple(2 if p.id.startswith("K") else 0 for p in persons)
    assert plan.schedule(pattern) is None and MAX_TERMS < 2**9
    loci = _loci(None, seed=2)[:2]
    families = _families("many", persons, [k.id for k in kids], loci, 2, seed=2)
    fast, exact = _compare(ScreeningPanel(tuple(loci)), families)
    _assert_equal(fast, exact)


def test_kinship_case_agrees_for_a_grandmother() -> None:
    """The table row of a grandmother family against the kinship engine's LR, marker by marker."""
    loci = _loci(STEPWISE, seed=9)
    fam = _families("g", [GF, GM, F, M, MP], ["GM"], loci, 1, seed=9)[0]
    panel = ScreeningPanel(tuple(loci))
    _, row, _ = family_tables(panel, [fam], np.float64)
    for m, locus in enumerate(loci):
        a = locus.alleles[0]
        b = locus.alleles[1]
        refs = {pid: {k: v for k, v in p.items() if k == locus.name} for pid, p in fam.references.items()}
        case = KinshipCase("c", fam.pedigree, "MP", [locus], refs, {locus.name: [a, b]})
        lr = missing_person_lr(case).log10_lr
        col = int(panel.offsets[m]) + genotype_index(locus.n_alleles, 0, 1)
        assert row[0, col] == pytest.approx(lr, abs=1e-9)
