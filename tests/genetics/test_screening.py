"""Screening: table look-ups equal the exact engine; shortlists, incremental runs and the CLI."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from kinlink.cli import main
from kinlink.genetics.markers import synthetic_database
from kinlink.genetics.mutation import MarkerMutation
from kinlink.genetics.pedigree import Pedigree, Person
from kinlink.genetics.report import simulate_profiles
from kinlink.genetics.screening import (
    Family,
    ScreeningError,
    ScreeningIndex,
    ScreeningPanel,
    Target,
    families_from_tables,
)
from kinlink.scenario.dna import generate_dna

STEPWISE = MarkerMutation.from_json({"model": "stepwise", "rate": 0.005, "rate2": 1e-6, "range": 0.1})


def _random_data(
    seed: int, n: int = 12
) -> tuple[ScreeningPanel, list[Family], dict[str, dict[str, list[str]]]]:
    """Small random families of several shapes with mutation, and degraded remains of their missing men."""
    rng = np.random.default_rng(seed)
    db = synthetic_database(8, seed=seed, alleles=(4, 9))
    loci = [db[m].with_mutation(STEPWISE) for m in db.names()]
    shapes = [
        Pedigree([Person("F", "male"), Person("M", "female"), Person("MP", "male", "F", "M")]),
        Pedigree(
            [
                Person("F", "male"),
                Person("M", "female"),
                Person("MP", "male", "F", "M"),
                Person("S", "female", "F", "M"),
            ]
        ),
        Pedigree([Person("MP", "male"), Person("W", "female"), Person("C", "male", "MP", "W")]),
    ]
    typed = [["M"], ["S"], ["C", "W"]]
    families, remains = [], {}
    for i in range(n):
        ped = shapes[i % 3]
        prof = simulate_profiles(ped, loci, rng)
        refs = {pid: dict(prof[pid]) for pid in typed[i % 3]}
        if i % 4 == 0:  # an untyped reference marker
            first = next(iter(refs))
            refs[first].pop(loci[1].name)
        families.append(Family(f"f{i}", ped, ["MP"], refs))
        poi = dict(prof["MP"])
        if i % 3 == 0:
            poi.pop(loci[0].name)
        if i % 2 == 0:
            a, _b = poi[loci[2].name]
            poi[loci[2].name] = [a, "-"]
        remains[f"r{i}"] = poi
    panel = ScreeningPanel.build(db, [*remains.values()], mutation=STEPWISE)
    return panel, families, remains


@pytest.mark.parametrize("seed", [1, 2])
def test_screening_equals_exact_engine(seed: int) -> None:
    panel, families, remains = _random_data(seed)
    dropout = {"r1": 0.0, "r2": 0.15, "r4": 0.3}
    index = ScreeningIndex(panel, threshold=1e3, top=3, dtype=np.float64)
    index.add_families(families)
    index.add_remains(remains, dropout)
    index.screen()
    checked = 0
    for name in remains:
        for target in index.targets:
            exact = index.exact_log10_lr(name, target)
            fast = index.screening_log10_lr(name, target)
            if exact == -math.inf:
                assert fast == -math.inf
            else:
                assert 10 ** (fast - exact) == pytest.approx(1.0, rel=1e-6)
                checked += 1
    assert checked > 100


def test_float32_tables_stay_within_the_margin() -> None:
    panel, families, remains = _random_data(3)
    index = ScreeningIndex(panel, dtype=np.float32)
    index.add_families(families)
    index.add_remains(remains)
    index.screen()
    for name in list(remains)[:4]:
        for target in index.targets:
            exact = index.exact_log10_lr(name, target)
            if math.isfinite(exact):
                assert abs(index.screening_log10_lr(name, target) - exact) < 1e-4


def test_shortlist_holds_every_exact_match_and_top_k() -> None:
    sc = generate_dna(30, 16, seed=5)
    panel = ScreeningPanel(tuple(sc.loci))
    index = ScreeningIndex(panel, threshold=1e4, top=2)
    index.add_families(sc.families)
    index.add_remains(sc.remains)
    assert index.screen() == 30 * 16
    short = {(index.remains[r], index.targets[t]) for r, t, _, _ in index.shortlist()}
    for name in sc.remains:
        assert len(index.top_for_remains(name)) == 2
        for target in index.targets:
            if index.exact_log10_lr(name, target) >= 4:
                assert (name, target) in short
    candidates = index.candidates()
    matches = [c for c in candidates if (c.log10_lr or -math.inf) >= 4]
    assert matches and all(sc.truth[c.remains] == c.family for c in matches)
    related = [r for r, f in sc.truth.items() if f is not None and sc.condition[r] == "complete"]
    found = {c.remains for c in matches}
    assert len(found & set(related)) >= 0.8 * len(related)


def test_incremental_screening_matches_a_full_run() -> None:
    sc = generate_dna(40, 20, seed=7)
    panel = ScreeningPanel(tuple(sc.loci))
    names = list(sc.remains)
    full = ScreeningIndex(panel, threshold=1e2, top=3)
    full.add_families(sc.families)
    full.add_remains(sc.remains)
    full.screen()

    inc = ScreeningIndex(panel, threshold=1e2, top=3)
    inc.add_families(sc.families[:25])
    inc.add_remains({n: sc.remains[n] for n in names[:12]})
    first = inc.screen()
    inc.add_remains({n: sc.remains[n] for n in names[12:]})
    inc.add_families(sc.families[25:])
    second = inc.screen()
    assert first == 25 * 12
    assert second == 40 * 20 - 25 * 12  # nothing scored twice
    assert inc.screen() == 0
    # new references for a family: it is re-screened; a remains that lost a top entry is re-screened in full
    fam = sc.families[3]
    changed = Family(fam.id, fam.pedigree, fam.missing, {pid: {} for pid in fam.references})
    inc.add_families([changed])
    full_changed = ScreeningIndex(panel, threshold=1e2, top=3)
    full_changed.add_families([*sc.families[:3], changed, *sc.families[4:]])
    full_changed.add_remains(sc.remains)
    full_changed.screen()
    inc.screen()

    def summary(ix: ScreeningIndex) -> tuple[object, ...]:
        tops = {n: [(t, round(v, 4)) for t, v in ix.top_for_remains(n)] for n in names}
        fam_tops = {t: [(r, round(v, 4)) for r, v in ix.top_for_target(t)] for t in ix.targets}
        hits = {(ix.remains[r], ix.targets[t]) for (r, t) in ix.hits}
        return tops, fam_tops, hits

    assert summary(inc) == summary(full_changed)


def test_families_from_tables_errors() -> None:
    refs = {"S1": {"A": ["1", "2"]}}
    rows = [
        {"family": "F1", "id": "MO", "father": "", "mother": "", "sex": "F", "sample": "S1", "missing": "0"},
        {"family": "F1", "id": "FA", "father": "", "mother": "", "sex": "M", "sample": "", "missing": "0"},
        {
            "family": "F1",
            "id": "MP",
            "father": "FA",
            "mother": "MO",
            "sex": "M",
            "sample": "",
            "missing": "1",
        },
    ]
    (fam,) = families_from_tables(rows, refs, "p.csv")
    assert fam.missing == ["MP"] and fam.references == {"MO": {"A": ["1", "2"]}}
    bad = [dict(rows[0], sample="S9"), *rows[1:]]
    with pytest.raises(ScreeningError, match=r"p.csv, row 2, column sample"):
        families_from_tables(bad, refs, "p.csv")
    with pytest.raises(ScreeningError, match=r"row 5, column missing"):
        # the one missing-flag rule of the pedigree reader (1/yes/true, 0/no/false): "maybe" is refused
        families_from_tables([*rows, dict(rows[1], id="X", missing="maybe")], refs, "p.csv")
    with pytest.raises(ScreeningError, match="no member has missing = 1"):
        families_from_tables([rows[0], rows[1]], refs, "p.csv")


def test_cli_screen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = generate_dna(50, 20, seed=11)
    paths = sc.write_csv(tmp_path)
    out = tmp_path / "candidates.csv"
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
        "--mutation",
        "stepwise:rate=0.002,rate2=1e-6,range=0.1",
        "--threshold",
        "1e4",
        "--top",
        "2",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["remains", "family", "missing", "lr", "log10_lr"]
    per_remains: dict[str, int] = {}
    for row in rows:
        per_remains[row["remains"]] = per_remains.get(row["remains"], 0) + 1
        if float(row["lr"]) >= 1e4:
            assert sc.truth[row["remains"]] == row["family"]
    assert set(per_remains) == set(sc.remains) and min(per_remains.values()) >= 2
    assert "pairs at or above LR" in capsys.readouterr().err
    # numbers at full precision: the LR and its log10 agree to the last bits, not to 6 digits
    finite = [r for r in rows if r["log10_lr"] != "-inf" and 0 < float(r["lr"]) < 1e300]
    assert finite and all(
        float(r["lr"]) == pytest.approx(10 ** float(r["log10_lr"]), rel=1e-12) for r in finite
    )

    # a per-marker mutation CSV gives the same result as the one-model option
    mut = tmp_path / "mutation.csv"
    mut.write_text(
        "marker,model,sex,rate,rate2,range\n"
        + "".join(f"{locus.name},stepwise,,0.002,1e-6,0.1\n" for locus in sc.loci)
    )
    out2 = tmp_path / "c2.csv"
    assert (
        main([*args[:-6], "--mutation", str(mut), "--threshold", "1e4", "--top", "2", "--out", str(out2)])
        == 0
    )
    assert out2.read_text() == out.read_text()

    # bad input: clear error, nothing written
    bad = tmp_path / "bad.csv"
    bad.write_text("family,id,father,mother,sex,sample,missing\nF1,MP,,,M,,2\n")
    out3 = tmp_path / "c3.csv"
    assert main([*args[:2], "--pedigrees", str(bad), *args[4:-1], str(out3)]) == 1
    assert "row 2, column missing" in capsys.readouterr().err
    assert not out3.exists()


def test_marker_contributions_sum_to_score() -> None:
    panel, families, remains = _random_data(4, n=6)
    index = ScreeningIndex(panel, dtype=np.float64)
    index.add_families(families)
    index.add_remains(remains, {"r0": 0.2})
    target = Target("f0", "MP")
    per = index.marker_log10_lrs("r0", target)
    assert set(per) == set(panel.markers)
    assert sum(per.values()) == pytest.approx(index.screening_log10_lr("r0", target), abs=1e-9)


def test_table_blocks_across_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks filled over several updates (partial blocks, new rows mixed with replaced ones) hold the same
    rows as one update, and a replaced family's row is the new one."""
    from kinlink.genetics import screening

    monkeypatch.setattr(screening, "_BLOCK_ROWS", 8)
    sc = generate_dna(30, 2, seed=11)
    panel = ScreeningPanel(tuple(sc.loci))
    one = ScreeningIndex(panel)
    one.add_families(sc.families)
    parts = ScreeningIndex(panel)
    parts.add_families(sc.families[:5])
    parts.add_families(sc.families[5:19])
    fam = sc.families[2]
    changed = Family(fam.id, fam.pedigree, fam.missing, {pid: {} for pid in fam.references})
    parts.add_families([sc.families[19], changed, *sc.families[20:]])  # new rows around a replaced one
    assert [b.shape[0] for b in parts.blocks] == [8, 8, 8, 6]
    row_of = {target: one.table_row(t) for t, target in enumerate(one.targets)}
    alone = ScreeningIndex(panel)
    alone.add_families([changed])
    assert not np.array_equal(alone.table_row(0), row_of[alone.targets[0]])
    row_of[alone.targets[0]] = alone.table_row(0)
    assert sorted(parts.targets, key=str) == sorted(row_of, key=str)
    for t, target in enumerate(parts.targets):
        assert np.array_equal(parts.table_row(t), row_of[target])
