"""Scenario DNA: configurations, Mendelian consistency with rare mutations, degradation, truth; advice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kinlink.cli import main
from kinlink.genetics.formats import read_genotype_csv
from kinlink.genetics.kinship import KinshipCase, missing_person_lr
from kinlink.scenario.dna import CONFIGURATIONS, generate_dna, sampling_advice


def test_generate_dna_families_remains_and_truth(tmp_path: Path) -> None:
    sc = generate_dna(400, 100, seed=3)
    assert len(sc.families) == 400 and len(sc.remains) == 100
    counts = {c: list(sc.configuration.values()).count(c) for c in CONFIGURATIONS}
    assert max(counts, key=lambda c: counts[c]) == "mother"  # mothers most often
    assert all(counts[c] > 0 for c in CONFIGURATIONS)
    related = [r for r, f in sc.truth.items() if f is not None]
    assert len(related) == 60 and len(set(sc.truth[r] for r in related)) == 60
    conditions = set(sc.condition.values())
    assert conditions == {"complete", "partial", "skeletal"}
    degraded = [r for r in sc.remains if sc.condition[r] == "skeletal"]
    assert any(len(sc.remains[r]) < len(sc.loci) for r in degraded)
    assert any("-" in g for r in sc.remains for g in sc.remains[r].values())
    # one-step mutations are rare and recorded
    assert 0 < len(sc.mutations) < 0.2 * len(sc.families)
    # the truth holds: a true pair of complete remains gets a high LR from the exact engine
    fam_by_id = {f.id: f for f in sc.families}
    r = next(r for r in related if sc.condition[r] == "complete")
    fam = fam_by_id[sc.truth[r]]  # type: ignore[index]
    case = KinshipCase("t", fam.pedigree, "MP", sc.loci, fam.references, sc.remains[r])
    assert missing_person_lr(case).log10_lr > 3
    paths = sc.write_csv(tmp_path)
    assert read_genotype_csv(paths["remains"]).keys() == sc.remains.keys()
    header = paths["pedigrees"].read_text().splitlines()[0]
    assert header == "family,id,father,mother,sex,sample,missing"


def test_generate_dna_is_reproducible() -> None:
    a = generate_dna(50, 20, seed=9)
    b = generate_dna(50, 20, seed=9)
    assert a.remains == b.remains and a.references == b.references and a.truth == b.truth
    with pytest.raises(ValueError, match="more related remains"):
        generate_dna(5, 20, share_related=0.5)


def test_sampling_advice_ranks_configurations(capsys: pytest.CaptureFixture[str]) -> None:
    advice = sampling_advice(12, 12, seed=2, condition="skeletal")
    assert set(advice) == set(CONFIGURATIONS)
    for record in advice.values():
        assert 0.0 <= record["power_1e4"] <= 1.0 and 0.0 <= record["false_positive_rate_1e4"] <= 1.0
        assert record["power_1e3"] >= record["power_1e4"] >= record["power_1e6"]
    powers = [r["power_1e4"] for r in advice.values()]
    assert powers == sorted(powers, reverse=True)
    assert main(["dna", "advice", "--families", "4", "--condition", "complete"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["parameters"]["condition"] == "complete" and set(out["configurations"]) == set(CONFIGURATIONS)
