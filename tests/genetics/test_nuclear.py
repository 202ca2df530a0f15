"""Batched nuclear-family tables equal the exact engine, for every reference configuration and oddity."""

from __future__ import annotations

import numpy as np
import pytest

from kinlink.genetics.likelihood import PedigreeLikelihood, hardy_weinberg
from kinlink.genetics.markers import Locus, synthetic_database
from kinlink.genetics.mutation import MarkerMutation
from kinlink.genetics.nuclear import ALONE, CHILD, FATHER, MOTHER, nuclear_shape
from kinlink.genetics.pedigree import Pedigree, Person
from kinlink.genetics.report import simulate_profiles
from kinlink.genetics.screening import Family, ScreeningPanel, family_tables

# Sex-specific stepwise mutation, large enough that mutations occur in small samples.
STEPWISE = MarkerMutation.from_json(
    {"model": "stepwise", "rate": {"female": 0.01, "male": 0.03}, "rate2": 1e-4, "range": 0.2}
)
FA, MO = Person("F", "male"), Person("M", "female")


def _child(pid: str, sex: str = "male") -> Person:
    return Person(pid, sex, "F", "M")


#: (name, pedigree members, typed references, missing person)
SHAPES: list[tuple[str, list[Person], list[str], str]] = [
    ("mother", [FA, MO, _child("MP")], ["M"], "MP"),
    ("father", [FA, MO, _child("MP")], ["F"], "MP"),
    ("both_parents", [FA, MO, _child("MP")], ["F", "M"], "MP"),
    ("mother_sibling", [FA, MO, _child("MP"), _child("S1", "female")], ["M", "S1"], "MP"),
    ("siblings", [FA, MO, _child("MP"), _child("S1", "female"), _child("S2")], ["S1", "S2"], "MP"),
    (
        "mother_three_siblings",
        [FA, MO, _child("MP"), _child("S1"), _child("S2", "female"), _child("S3")],
        ["M", "S1", "S2", "S3"],
        "MP",
    ),
    ("both_parents_sibling", [FA, MO, _child("MP"), _child("S1")], ["F", "M", "S1"], "MP"),
    ("one_sibling", [FA, MO, _child("MP"), _child("S1")], ["S1"], "MP"),
    (
        "child_mother",
        [Person("MP", "male"), Person("WI", "female"), Person("CH", "male", "MP", "WI")],
        ["CH", "WI"],
        "MP",
    ),
    (
        "child_only",
        [Person("MP", "male"), Person("WI", "female"), Person("CH", "female", "MP", "WI")],
        ["CH"],
        "MP",
    ),
    (
        "wife_two_children",
        [
            Person("MP", "male"),
            Person("WI", "female"),
            Person("C1", "male", "MP", "WI"),
            Person("C2", "female", "MP", "WI"),
        ],
        ["WI", "C1", "C2"],
        "MP",
    ),
    (
        "missing_mother",
        [Person("HU", "male"), Person("MP", "female"), Person("C1", "female", "HU", "MP")],
        ["HU", "C1"],
        "MP",
    ),
    (
        "unrelated_typed_founder",
        [FA, MO, _child("MP"), Person("X", "male")],
        ["M", "X"],
        "MP",
    ),
]

#: Shapes where a swapped allele can break Mendel's laws (a typed parent and child, or three siblings).
CAN_BE_IMPOSSIBLE = {
    "mother_sibling",
    "mother_three_siblings",
    "both_parents_sibling",
    "child_mother",
    "wife_two_children",
    "missing_mother",
}


def _loci(mutation: MarkerMutation | None, seed: int) -> list[Locus]:
    db = synthetic_database(6, seed=seed, alleles=(3, 9))
    return [db[m] if mutation is None else db[m].with_mutation(mutation) for m in db.names()]


def _families(
    name: str, persons: list[Person], typed: list[str], loci: list[Locus], n: int, seed: int
) -> list[Family]:
    """Simulated families of one shape, degraded: untyped markers, one-allele calls ``a,-``, single-label
    homozygote calls, and swapped alleles (Mendelian errors: impossible without mutation)."""
    rng = np.random.default_rng(seed)
    ped = Pedigree(persons)
    out = []
    for i in range(n):
        prof = simulate_profiles(ped, loci, rng)
        refs: dict[str, dict[str, list[str]]] = {}
        for pid in typed:
            calls = {}
            for locus in loci:
                a, b = prof[pid][locus.name]
                u = rng.random()
                if u < 0.1:
                    continue  # untyped marker
                if u < 0.2:
                    calls[locus.name] = [a, "-"] if rng.random() < 0.5 else ["-", b]
                elif u < 0.25:
                    calls[locus.name] = [locus.alleles[int(rng.integers(locus.n_alleles))], b]
                elif u < 0.3 and a == b:
                    calls[locus.name] = [a]
                else:
                    calls[locus.name] = [a, b]
            refs[pid] = calls
        out.append(Family(f"{name}{i}", ped, ["MP"], refs))
    return out


def test_nuclear_shapes_are_recognised() -> None:
    roles = {name: nuclear_shape(Pedigree(persons), mp) for name, persons, _, mp in SHAPES}
    assert all(shape is not None for shape in roles.values())
    assert roles["mother"] is not None and roles["mother"].role == CHILD
    assert roles["child_mother"] is not None and roles["child_mother"].role == FATHER
    assert roles["missing_mother"] is not None and roles["missing_mother"].role == MOTHER
    alone = nuclear_shape(Pedigree([Person("MP", "male"), Person("X", "female")]), "MP")
    assert alone is not None and alone.role == ALONE
    grandmother = Pedigree(
        [
            Person("GF", "male"),
            Person("GM", "female"),
            Person("F", "male", "GF", "GM"),
            Person("M", "female"),
            Person("MP", "male", "F", "M"),
        ]
    )
    assert nuclear_shape(grandmother, "MP") is None
    half_sibling = Pedigree([FA, MO, Person("M2", "female"), _child("MP"), Person("H", "male", "F", "M2")])
    assert nuclear_shape(half_sibling, "MP") is None


@pytest.mark.parametrize("mutation", [STEPWISE, None], ids=["mutation", "no_mutation"])
@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
def test_batched_tables_equal_the_exact_engine(
    shape: tuple[str, list[Person], list[str], str], mutation: MarkerMutation | None
) -> None:
    name, persons, typed, _mp = shape
    loci = _loci(mutation, seed=len(name))
    families = _families(name, persons, typed, loci, 40, seed=len(name) + (mutation is None))
    panel = ScreeningPanel(tuple(loci))
    targets, fast, notes = family_tables(panel, families, np.float64, fast=True)
    targets_exact, exact, notes_exact = family_tables(panel, families, np.float64, fast=False)
    assert targets == targets_exact and notes == notes_exact
    if mutation is not None:
        assert not notes
    elif name in CAN_BE_IMPOSSIBLE:
        assert notes, "swapped alleles make some families impossible without a mutation model"
    finite = np.isfinite(exact)
    assert np.array_equal(finite, np.isfinite(fast))
    assert np.array_equal(fast[~finite], exact[~finite])
    assert np.abs(fast[finite] - exact[finite]).max() < 1e-11

    # and directly against the engine's predictive genotype distribution, first family
    model = PedigreeLikelihood(families[0].pedigree)
    ok = np.isfinite(fast[0]).all()
    for m, locus in enumerate(loci):
        off, g = int(panel.offsets[m]), locus.n_alleles * (locus.n_alleles + 1) // 2
        refs = {pid: p[locus.name] for pid, p in families[0].references.items() if locus.name in p}
        dist = model.genotype_distribution(locus, refs, "MP")
        if ok:
            with np.errstate(divide="ignore"):
                expected = np.log10(dist.probs) - np.log10(hardy_weinberg(locus))
            np.testing.assert_allclose(fast[0, off : off + g], expected, atol=1e-11)


def test_mixed_shapes_keep_row_order_and_fall_back_for_grandparents() -> None:
    loci = _loci(STEPWISE, seed=3)
    grand = [
        Person("GF", "male"),
        Person("GM", "female"),
        Person("F", "male", "GF", "GM"),
        Person("M", "female"),
        Person("MP", "male", "F", "M"),
    ]
    families = []
    for k, (name, persons, typed, _mp) in enumerate([*SHAPES[:3], ("grand", grand, ["GM", "M"], "MP")]):
        families.extend(_families(name, persons, typed, loci, 5, seed=k))
    order = np.random.default_rng(0).permutation(len(families))
    families = [families[i] for i in order]
    panel = ScreeningPanel(tuple(loci))
    targets, fast, _ = family_tables(panel, families, np.float64)
    targets_exact, exact, _ = family_tables(panel, families, np.float64, fast=False)
    assert sorted(t.family for t in targets) == sorted(f.id for f in families)
    by_target = {t: row for t, row in zip(targets_exact, exact, strict=True)}
    for t, row in zip(targets, fast, strict=True):
        np.testing.assert_allclose(row, by_target[t], atol=1e-11)


def test_custom_matrix_rows_not_summing_to_one() -> None:
    """A custom matrix whose rows sum to 1 only within the accepted tolerance: still the engine's numbers."""
    db = synthetic_database(3, seed=7, alleles=(5, 5))
    rng = np.random.default_rng(7)
    loci, simulated = [], []
    for name in db.names():
        m = rng.random((5, 5)) * 0.01 + np.eye(5) * 0.95
        m = m / m.sum(axis=1, keepdims=True)
        for matrix, out in ((m * 0.9995, loci), (m, simulated)):
            spec = {"model": "custom", "matrix": matrix.tolist()}
            out.append(db[name].with_mutation(MarkerMutation.from_json(spec)))
    assert abs(loci[0].mutation_matrices()[1].sum(axis=1) - 0.9995).max() < 1e-12  # type: ignore[union-attr]
    panel = ScreeningPanel(tuple(loci))
    families = []
    for name, persons, typed, _mp in SHAPES:
        families.extend(_families(name, persons, typed, simulated, 4, seed=len(name)))
    _, fast, _ = family_tables(panel, families, np.float64)
    _, exact, _ = family_tables(panel, families, np.float64, fast=False)
    finite = np.isfinite(exact)
    assert np.array_equal(finite, np.isfinite(fast))
    assert np.abs(fast[finite] - exact[finite]).max() < 1e-11
