"""Re-association of commingled remains: hand-computed likelihoods per marker, and a simulated grave whose
truth is known (drawn here with plain random sampling, sharing no code with the engine)."""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import pytest

from kinlink.cli import main
from kinlink.genetics.markers import FrequencyDatabase, make_locus, read_frequency_table
from kinlink.genetics.reassociation import ReassociationError, compare_all, reassociate
from tests.data import DATA

FREQS = DATA / "genetics" / "frequencies" / "norSTR" / "europeDB.csv"
PA, PB, PC = 0.1, 0.2, 0.7


def _db() -> FrequencyDatabase:
    return FrequencyDatabase({"M": make_locus("M", {"a": PA, "b": PB, "c": PC})})


def _pair_llr(a: list[str], b: list[str], dropout: float = 0.0) -> tuple[float, float]:
    encoded, _ = compare_all({"x": {"M": a}, "y": {"M": b}}, _db(), dropout=dropout, threshold=1.0001)
    link = encoded.pair(0, 1)
    return link.log10_lr, link.log10_lr_relative


def test_identical_heterozygotes_without_dropout() -> None:
    llr, rel = _pair_llr(["a", "b"], ["a", "b"])
    assert llr == pytest.approx(math.log10(1 / (2 * PA * PB)), abs=1e-12)
    # full siblings: k0 P(G) + k1 (pa + pb)/2 + k2; parent-child: (pa + pb)/2
    sib = 0.25 * 2 * PA * PB + 0.5 * (PA + PB) / 2 + 0.25
    pc = (PA + PB) / 2
    assert rel == pytest.approx(math.log10(1 / max(sib, pc)), abs=1e-12)


def test_identical_homozygotes_without_dropout() -> None:
    llr, rel = _pair_llr(["c", "c"], ["c", "c"])
    assert llr == pytest.approx(math.log10(1 / PC**2), abs=1e-12)
    sib = 0.25 * PC**2 + 0.5 * PC + 0.25
    assert rel == pytest.approx(math.log10(1 / max(sib, PC)), abs=1e-12)


def test_different_heterozygotes_exclude_even_with_dropout() -> None:
    assert _pair_llr(["a", "b"], ["a", "c"], dropout=0.2)[0] == -math.inf
    assert _pair_llr(["a", "b"], ["c", "c"], dropout=0.0)[0] == -math.inf


def test_a_lost_allele_is_explained_by_dropout() -> None:
    d = 0.1
    llr, _ = _pair_llr(["a"], ["a", "b"], dropout=d)
    expected = d * (1 - d) / (PA**2 * (1 - d * d) + 2 * PA * (1 - PA) * d * (1 - d))
    assert llr == pytest.approx(math.log10(expected), abs=1e-12)
    # without dropout a single allele is a homozygote and cannot be the heterozygote
    assert _pair_llr(["a", "a"], ["a", "b"], dropout=0.0)[0] == -math.inf


def test_untyped_marker_is_no_evidence() -> None:
    encoded, _ = compare_all({"x": {"M": ["a", "b"]}, "y": {}}, _db(), threshold=2)
    link = encoded.pair(0, 1)
    assert (link.log10_lr, link.shared_markers) == (0.0, 0)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ReassociationError, match="dropout"):
        reassociate({"x": {}}, _db(), dropout=1.0)
    with pytest.raises(ReassociationError, match="frequencies for marker"):
        reassociate({"x": {"N": ["1", "2"]}}, _db())


def _draw(locus_freqs: dict[str, dict[str, float]], rng: random.Random) -> dict[str, list[str]]:
    profile = {}
    for locus, freqs in locus_freqs.items():
        alleles, weights = list(freqs), list(freqs.values())
        profile[locus] = rng.choices(alleles, weights, k=2)
    return profile


def _child(
    father: dict[str, list[str]], mother: dict[str, list[str]], rng: random.Random
) -> dict[str, list[str]]:
    return {m: [rng.choice(father[m]), rng.choice(mother[m])] for m in father}


def _degrade(
    profile: dict[str, list[str]], keep: float, dropout: float, rng: random.Random
) -> dict[str, list[str]]:
    out = {}
    for marker, (x, y) in profile.items():
        if rng.random() > keep:
            continue
        seen = (
            [a for a in (x, y) if rng.random() >= dropout]
            if x != y
            else ([x] if rng.random() >= dropout**2 else [])
        )
        if seen:
            out[marker] = sorted(set(seen)) if len(set(seen)) == 2 else [seen[0], seen[0]]
    return out


def test_simulated_grave_with_brothers_and_degraded_bones() -> None:
    """Two brothers, their father and two unrelated men in one grave, several bones each, partial and
    with dropout; a bone without DNA. The brothers stay two people and each bone finds its man."""
    rng = random.Random(7)
    db = read_frequency_table(FREQS)
    loci = {name: dict(zip(db[name].alleles, db[name].freqs, strict=True)) for name in db.names()[:21]}
    father, mother = _draw(loci, rng), _draw(loci, rng)
    people = {
        "father": father,
        "brother1": _child(father, mother, rng),
        "brother2": _child(father, mother, rng),
        "stranger1": _draw(loci, rng),
        "stranger2": _draw(loci, rng),
    }
    profiles: dict[str, dict[str, list[str]]] = {}
    truth: dict[str, str] = {}
    for name, profile in people.items():
        for bone in range(3):
            sample = f"{name}-{bone}"
            keep, dropout = (1.0, 0.0) if bone == 0 else (0.8, 0.05)
            profiles[sample] = _degrade(profile, keep, dropout, rng)
            truth[sample] = name
    profiles["bone-without-dna"] = {}
    sites = {s: "grave-1" for s in profiles}
    result = reassociate(profiles, db, sites=sites, dropout=0.05, threshold=1e6)
    by_sample = {a.sample: a for a in result.assignments}
    assert by_sample["bone-without-dna"].status == "no_dna" and by_sample["bone-without-dna"].group == ""
    groups: dict[str, set[str]] = {}
    for sample, person in truth.items():
        groups.setdefault(by_sample[sample].group, set()).add(person)
    assert all(len(people_in) == 1 for people_in in groups.values()), groups  # no two men merged
    assert len(groups) == 5  # and every man's bones found each other
    (site,) = result.sites
    assert (site.samples, site.with_dna, site.groups, site.minimum_individuals) == (16, 15, 5, 5)


def test_relative_alternative_keeps_brothers_apart_on_thin_profiles() -> None:
    """Brothers sharing both alleles at the few markers typed: identity beats 'unrelated' but not
    'brother', so they are not merged."""
    db = _db()
    profiles = {"x": {"M": ["a", "b"]}, "y": {"M": ["a", "b"]}}
    grouped = reassociate(profiles, db, threshold=10.0)
    assert {a.group for a in grouped.assignments} == {"I0001", "I0002"}
    loose = reassociate(profiles, db, threshold=10.0, relative_threshold=1.5)
    assert {a.group for a in loose.assignments} == {"I0001"}


def _write_remains(path: Path, rows: list[tuple[str, ...]], header: str) -> Path:
    path.write_text(header + "\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_cli_writes_groups_and_site_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(3)
    db = read_frequency_table(FREQS)
    loci = {name: dict(zip(db[name].alleles, db[name].freqs, strict=True)) for name in db.names()[:21]}
    a, b = _draw(loci, rng), _draw(loci, rng)
    rows: list[tuple[str, ...]] = []
    for sample, person, site in (
        ("s1", a, "grave-1"),
        ("s2", a, "grave-1"),
        ("s3", b, "grave-1"),
        ("s4", b, "batch-7"),
    ):
        rows += [(sample, m, x, y, site) for m, (x, y) in person.items()]
    rows.append(("s5", "D3S1358", "-", "-", "grave-1"))  # a bone without DNA
    remains = _write_remains(tmp_path / "remains.csv", rows, "sample,marker,allele1,allele2,site")
    out = tmp_path / "groups.csv"
    code = main(
        [
            "dna",
            "reassociate",
            "--remains",
            str(remains),
            "--frequencies",
            str(FREQS),
            "--dropout",
            "0.02",
            "--threshold",
            "1e6",
            "--out",
            str(out),
            "--summary",
            str(tmp_path / "sites.csv"),
        ]
    )
    assert code == 0
    table = list(csv.DictReader(out.open()))
    assert list(table[0])[:2] == ["sample", "individual"]
    group = {r["sample"]: r["individual"] for r in table}
    assert group["s1"] == group["s2"] != group["s3"] == group["s4"] != ""
    assert group["s5"] == "" and [r["status"] for r in table if r["sample"] == "s5"] == ["no_dna"]
    assert float(next(r for r in table if r["sample"] == "s1")["log10_lr"]) > 15
    sites = {r["site"]: r for r in csv.DictReader((tmp_path / "sites.csv").open())}
    assert (sites["grave-1"]["samples"], sites["grave-1"]["minimum_individuals"]) == ("4", "2")
    assert sites["batch-7"]["minimum_individuals"] == "1"
    printed = capsys.readouterr().out
    assert "individuals: 2 (samples: 5; without DNA, unassigned: 1)" in printed
    assert "minimum_individuals" in printed


def test_cli_refuses_a_sample_in_two_sites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [("s1", "D3S1358", "15", "16", "grave-1"), ("s1", "vWA", "17", "18", "grave-2")]
    remains = _write_remains(tmp_path / "remains.csv", rows, "sample,marker,allele1,allele2,site")
    out = tmp_path / "groups.csv"
    code = main(
        ["dna", "reassociate", "--remains", str(remains), "--frequencies", str(FREQS), "--out", str(out)]
    )
    assert code == 1
    assert "row 3, column site" in capsys.readouterr().err
    assert not out.exists()
