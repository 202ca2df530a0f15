"""``kinlink dna`` commands, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kinlink.cli import main
from tests.data import DATA

CASES = DATA / "genetics" / "cases"
FAMILIAS = DATA / "genetics" / "familias"


def test_dna_lr_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [CASES / "kin-101-0001.json", CASES / "kin-101-0016.json"]
    assert main(["dna", "lr", *map(str, paths), "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    for path, record in zip(paths, records, strict=True):
        expected = json.loads(path.read_text())["expected"]
        assert set(record) == {"id", "lr", "log10_lr", "lr_per_marker"}
        assert record["id"] == path.stem
        if expected["lr"] == 0:
            assert record["lr"] == 0 and record["log10_lr"] is None
        else:
            assert record["lr"] == pytest.approx(expected["lr"], rel=1e-6)
        assert record["lr_per_marker"] == pytest.approx(expected["lr_per_marker"], rel=1e-6)


def test_dna_lr_text_with_prior(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dna", "lr", str(CASES / "kin-101-0003.json"), "--format", "text", "--prior", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "Verbal (ENFSI" in out and "Posterior" in out


def test_dna_lr_from_lab_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ped.csv").write_text("id,father,mother,sex\nF,,,male\nM,,,female\nMP,F,M,male\n")
    (tmp_path / "geno.csv").write_text(
        "sample,marker,allele1,allele2\nM,L1,10,11\nM,L2,8,9\nR1,L1,10,12\nR1,L2,9,9\n"
    )
    (tmp_path / "freq.csv").write_text(
        "locus,allele,freq\nL1,10,0.2\nL1,11,0.3\nL1,12,0.5\nL2,8,0.5\nL2,9,0.5\n"
    )
    args = ["dna", "lr", "--pedigree", str(tmp_path / "ped.csv"), "--genotypes", str(tmp_path / "geno.csv")]
    args += ["--frequencies", str(tmp_path / "freq.csv"), "--missing", "MP", "--poi", "R1", "--verbal"]
    assert main(args) == 0
    record = json.loads(capsys.readouterr().out)
    # L1: mother 10/11, POI 10/12 -> 1/(4 p10); L2: mother 8/9, POI 9/9 -> 1/(2 p9).
    assert record["lr_per_marker"]["L1"] == pytest.approx(1 / (4 * 0.2))
    assert record["lr_per_marker"]["L2"] == pytest.approx(1 / (2 * 0.5))
    assert record["verbal"] == "no support for either proposition (LR close to 1)"


def test_dna_lr_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "case.json"
    bad.write_text('{"markers": {}}')
    assert main(["dna", "lr", str(bad)]) == 1
    assert "missing key" in capsys.readouterr().err
    assert main(["dna", "lr", "--pedigree", "x.csv"]) == 1
    assert "needs --genotypes" in capsys.readouterr().err


def test_dna_lr_familias(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dna", "lr", "--fam", str(FAMILIAS / "paternity.fam")]) == 0
    assert json.loads(capsys.readouterr().out)["lr"] == pytest.approx(760.3445, abs=5e-5)


def test_dna_power(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dna", "power", str(CASES / "kin-101-0012.json"), "--simulations", "200"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["h1"]["expected_log10_lr"] > 0
    assert summary["simulations"] == 200


def test_dna_lineage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dna", "lineage", "mt", "--poi", "16223T 263G", "--reference", "263G 16223T"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "match"


def test_dna_help_lists_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["dna", "lr", "--help"])
    out = capsys.readouterr().out
    for option in ("--format", "--theta", "--genotypes", "--pedigree", "--fam", "--mutation-model"):
        assert option in out
