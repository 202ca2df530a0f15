"""Screening on the fast paths against forrel's reference LRs, and screening with theta and dropout."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from kinlink.cli import main
from kinlink.genetics import screening
from kinlink.genetics.formats import read_case_json
from kinlink.genetics.kinship import KinshipCase, prepare_loci
from kinlink.genetics.nuclear import nuclear_shape
from kinlink.genetics.peeling import tree_plan
from kinlink.genetics.screening import Family, ScreeningError, ScreeningIndex, ScreeningPanel, Target
from kinlink.scenario.dna import generate_dna
from tests.data import DATA
from tests.genetics.test_nuclear import SHAPES, STEPWISE, _families, _loci
from tests.genetics.test_peeling import TREE_SHAPES

CASES = DATA / "genetics" / "cases"


def _index(case: KinshipCase, theta: float = 0.0) -> ScreeningIndex:
    loci, _notes = prepare_loci(case)
    panel = ScreeningPanel(tuple(loci), theta=theta)
    index = ScreeningIndex(panel, threshold=1.0, dtype=np.float64)
    fam = Family("F", case.pedigree, [case.missing], {k: dict(v) for k, v in case.references.items()})
    index.add_families([fam])
    index.add_remains({"R": case.poi}, {"R": case.poi_dropout})
    return index


def test_forrel_reference_cases_through_screening() -> None:
    """Every forrel case (grandmother, paternal half sibling, uncle and grandmother among them): the
    screening score is forrel's LR (relative 1e-6, as the engine's own test) and the engine's to 1e-9."""
    cases = [read_case_json(p) for p in sorted(CASES.glob("kin-*.json"))]
    assert len(cases) == 60
    shapes = set()
    for case in cases:
        assert case.expected is not None
        if nuclear_shape(case.pedigree, case.missing) is None:
            assert tree_plan(case.pedigree, case.missing) is not None, case.id
            shapes.add(case.meta.get("relationship") or case.id)
        index = _index(case)
        score = index.screening_log10_lr("R", Target("F", case.missing))
        exact = index.exact_log10_lr("R", Target("F", case.missing))
        expected = case.expected["lr"]
        if expected == 0.0:
            assert score == -math.inf and exact == -math.inf, case.id
            continue
        assert score == pytest.approx(exact, abs=1e-9), case.id
        assert 10.0**score == pytest.approx(expected, rel=1e-6), case.id
    assert len(shapes) >= 1


@pytest.mark.parametrize(
    "shape",
    [SHAPES[0], SHAPES[3], SHAPES[8], TREE_SHAPES[0], TREE_SHAPES[2]],
    ids=["mother", "mother_sibling", "child_mother", "grandmother", "grandmother_mother"],
)
def test_theta_and_dropout_equal_the_exact_engine(shape: tuple[str, list, list[str], str]) -> None:
    """With theta > 0 the tables are ratios against an unrelated member of the subpopulation; with dropout
    the homozygous calls need the target's own weight: both equal the engine (theta, dropout) to 1e-9."""
    name, persons, typed, mp = shape
    loci = _loci(STEPWISE, seed=4)
    families = _families(name, persons, typed, loci, 3, seed=1)
    index = ScreeningIndex(ScreeningPanel(tuple(loci), theta=0.03), threshold=1.0, dtype=np.float64)
    index.add_families(families)
    rng = np.random.default_rng(2)
    remains = {}
    for r in range(6):
        prof = {}
        for locus in loci:
            i, j = rng.choice(locus.n_alleles, 2, p=locus.freqs)
            j = i if r >= 3 else j  # homozygous-looking calls, where dropout matters
            prof[locus.name] = [locus.alleles[i], locus.alleles[j]] if r != 5 else [locus.alleles[i], "-"]
        remains[f"R{r}"] = prof
    index.add_remains(remains, {"R1": 0.1, "R3": 0.15, "R4": 0.4})
    compared = 0
    for fam in families:
        target = Target(fam.id, mp)
        for rem in remains:
            exact = index.exact_log10_lr(rem, target)
            if math.isfinite(exact):
                compared += 1
                assert index.screening_log10_lr(rem, target) == pytest.approx(exact, abs=1e-9)
                per_marker = index.marker_log10_lrs(rem, target)
                assert sum(per_marker.values()) == pytest.approx(exact, abs=1e-9)
    assert compared >= 12
    # theta changes the LR: the same families without it give other scores
    plain = ScreeningIndex(ScreeningPanel(tuple(loci)), threshold=1.0, dtype=np.float64)
    plain.add_families(families)
    plain.add_remains(remains)
    t = Target(families[0].id, mp)
    assert abs(plain.screening_log10_lr("R0", t) - index.screening_log10_lr("R0", t)) > 1e-3


def test_theta_screening_keeps_the_kernel_shortlist() -> None:
    """The fused kernel with theta and dropout finds the same pairs as one-by-one scoring."""
    loci = _loci(STEPWISE, seed=8)
    families = _families("mother", SHAPES[0][1], SHAPES[0][2], loci, 8, seed=8)
    index = ScreeningIndex(ScreeningPanel(tuple(loci), theta=0.02), threshold=10.0, top=2, dtype=np.float64)
    index.add_families(families)
    rng = np.random.default_rng(8)
    remains = {}
    for r in range(10):
        remains[f"R{r}"] = {
            locus.name: [locus.alleles[int(rng.choice(locus.n_alleles, p=locus.freqs))]] * 2 for locus in loci
        }
    index.add_remains(remains, {f"R{r}": 0.2 for r in range(5)})
    index.screen()
    for rem in remains:
        best = sorted(((index.screening_log10_lr(rem, t), t) for t in index.targets), key=lambda x: -x[0])[:2]
        got = index.top_for_remains(rem)
        assert [t for _, t in best] == [t for t, _ in got]
        for (s, _), (_, v) in zip(best, got, strict=True):
            assert v == pytest.approx(s, abs=1e-12)


def test_theta_out_of_range_is_refused() -> None:
    loci = _loci(None, seed=1)
    with pytest.raises(ScreeningError, match="theta"):
        ScreeningPanel(tuple(loci), theta=1.0)
    with pytest.raises(ScreeningError, match="theta"):
        ScreeningPanel(tuple(loci), theta=-0.1)
    assert ScreeningPanel(tuple(loci), theta=0.01).width > ScreeningPanel(tuple(loci)).width


def test_theta_too_large_for_the_engine_is_a_note_not_a_crash() -> None:
    """Theta couples every founder; a pedigree with many untyped founders is reported and not screened."""
    name, persons, typed, _mp = TREE_SHAPES[8]  # cousin and uncle: four untyped founders with U
    loci = _loci(STEPWISE, seed=3)[:2]
    families = _families(name, persons, typed, loci, 2, seed=3)
    targets, table, notes = screening.family_tables(ScreeningPanel(tuple(loci), theta=0.05), families)
    assert len(targets) == 2
    assert len(notes) == 2 and all("theta correction couples too many" in n for n in notes)
    assert np.isneginf(table).all()


def test_cli_screen_with_theta_and_dropout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``kinlink dna screen --theta --remains-dropout``: same columns, full precision, the engine's LRs."""
    sc = generate_dna(12, 6, seed=5, shares={"mother": 1.0, "both_parents": 1.0})
    paths = sc.write_csv(tmp_path)
    out = tmp_path / "theta.csv"
    args = [
        "dna",
        "screen",
        "--pedigrees",
        str(paths["pedigrees"]),
        "--references",
        str(paths["references"]),
        "--remains",
        str(paths["remains"]),
        "--frequencies",
        str(paths["frequencies"]),
        "--threshold",
        "1e4",
        "--top",
        "1",
        "--recheck",
        "all",
        "--out",
        str(out),
    ]
    assert main([*args, "--theta", "0.02", "--remains-dropout", "0.1"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["remains", "family", "missing", "lr", "log10_lr"]
    plain = tmp_path / "plain.csv"
    assert main([*args[:-1], str(plain)]) == 0
    plain_rows = {(r["remains"], r["family"]): r for r in csv.DictReader(plain.open())}
    changed = 0
    for row in rows:
        if row["log10_lr"] == "-inf":
            continue
        assert float(row["lr"]) == pytest.approx(10 ** float(row["log10_lr"]), rel=1e-12)
        other = plain_rows.get((row["remains"], row["family"]))
        if other is not None and other["log10_lr"] != row["log10_lr"]:
            changed += 1
    assert changed, "theta and dropout change the LRs"
    assert main([*args, "--theta", "1.5"]) == 1
    assert "theta" in capsys.readouterr().err
