"""Input formats: case JSON, genotype and pedigree CSV, Familias .fam; errors name file, row and column."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kinlink.genetics.formats import (
    FormatError,
    case_from_json,
    case_from_tables,
    case_to_json,
    familias_lr,
    read_case_json,
    read_familias_fam,
    read_genotype_csv,
    read_pedigree_csv,
)
from kinlink.genetics.kinship import missing_person_lr
from kinlink.genetics.markers import FrequencyDatabase, make_locus
from kinlink.genetics.mutation import MarkerMutation, MutationModel
from tests.data import DATA

FAMILIAS = DATA / "genetics" / "familias"
CASE = DATA / "genetics" / "cases" / "kin-101-0001.json"


def test_paternity_fam_gives_the_published_lr() -> None:
    fam = read_familias_fam(FAMILIAS / "paternity.fam")
    assert set(fam.pedigrees) == {"H1", "H2"}
    assert len(fam.loci) == 10
    assert fam.loci[0].mutation.male.model == "stepwise"
    lr, per_marker = familias_lr(fam, "H1", "H2")
    # Published: 760.3445 (pedFamilias documentation); a stationary short-cut would give 762.30.
    assert abs(lr - 760.3445) < 5e-5
    assert len(per_marker) == 10
    # Dropping the mother's (untyped founder's) mutations reproduces the stationary short-cut, 762.30.
    shortcut = [
        locus.with_mutation(MarkerMutation(MutationModel(), locus.mutation.male)) for locus in fam.loci
    ]
    fam.loci = shortcut
    assert abs(familias_lr(fam, "H1", "H2")[0] - 762.30) < 5e-3


def test_case_json_round_trip() -> None:
    case = read_case_json(CASE)
    again = case_from_json(json.loads(json.dumps(case_to_json(case))), "round-trip")
    assert missing_person_lr(again).lr == pytest.approx(missing_person_lr(case).lr, rel=1e-12)


def test_case_json_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x",\n "markers": }')
    with pytest.raises(FormatError, match=r"bad.json, line 2, column 13: invalid JSON"):
        read_case_json(bad)
    with pytest.raises(FormatError, match="missing key 'pedigree'"):
        case_from_json({"markers": {}, "missing": "MP"}, "c.json")
    with pytest.raises(FormatError, match="person C: father 'X' is not in the pedigree"):
        case_from_json(
            {
                "markers": {"L": {"alleles": {"1": 1.0}}},
                "pedigree": [{"id": "C", "sex": "male", "father": "X", "mother": None}],
                "missing": "C",
            },
            "c.json",
        )


GENOTYPES = """sample,marker,allele1,allele2
M,L1,10,11
M,L2,9.3,9.3
REM-7,L1,11,12
REM-7,L2,9.3,-
"""


def test_genotype_csv() -> None:
    g = read_genotype_csv(io.StringIO(GENOTYPES))
    assert g["M"] == {"L1": ["10", "11"], "L2": ["9.3", "9.3"]}
    assert g["REM-7"]["L2"] == ["9.3", "-"]


def test_genotype_csv_errors() -> None:
    with pytest.raises(FormatError, match="row 3: sample M is typed twice at L1"):
        read_genotype_csv(io.StringIO("sample,marker,allele1,allele2\nM,L1,1,2\nM,L1,1,3\n"))
    with pytest.raises(FormatError, match="missing columns"):
        read_genotype_csv(io.StringIO("sample,marker,a1,a2\nM,L1,1,2\n"))
    with pytest.raises(FormatError, match="row 2, column sample: empty"):
        read_genotype_csv(io.StringIO("sample,marker,allele1,allele2\n,L1,1,2\n"))


def test_pedigree_csv_and_errors() -> None:
    ped = read_pedigree_csv(io.StringIO("id,father,mother,sex\nF,,,M\nM,0,0,F\nMP,F,M,1\n"))
    assert ped["MP"].father == "F" and ped["M"].sex == "female"
    with pytest.raises(FormatError, match="row 2, column sex"):
        read_pedigree_csv(io.StringIO("id,father,mother,sex\nF,,,X\n"))
    with pytest.raises(FormatError, match="person MP: mother 'Q' is not in the pedigree"):
        read_pedigree_csv(io.StringIO("id,father,mother,sex\nF,,,M\nMP,F,Q,M\n"))


def test_case_from_lab_tables_equals_direct_case() -> None:
    ped = read_pedigree_csv(io.StringIO("id,father,mother,sex\nF,,,M\nM,,,F\nMP,F,M,M\n"))
    db = FrequencyDatabase(
        {
            "L1": make_locus("L1", {"10": 0.2, "11": 0.3, "12": 0.5}),
            "L2": make_locus("L2", {"9.3": 0.4, "10": 0.6}),
        }
    )
    step = MutationModel("stepwise", 0.002, 1e-6, 0.1)
    case = case_from_tables(
        "lab", ped, "MP", read_genotype_csv(io.StringIO(GENOTYPES)), "REM-7", db, MarkerMutation(step, step)
    )
    assert case.references == {"M": {"L1": ["10", "11"], "L2": ["9.3", "9.3"]}}
    assert case.poi == {"L1": ["11", "12"], "L2": ["9.3", "-"]}
    result = missing_person_lr(case)
    assert set(result.lr_per_marker) == {"L1", "L2"}
    assert result.lr > 0
    with pytest.raises(FormatError, match="POI sample 'NOPE'"):
        case_from_tables("lab", ped, "MP", {}, "NOPE", db)


# ------------------------------------------------------------------------------- loci shared by cases


def test_cases_with_the_same_markers_share_their_loci(tmp_path: Path) -> None:
    from kinlink.genetics.formats import read_case_json

    source = DATA / "genetics" / "cases" / "kin-101-0007.json"
    obj = json.loads(source.read_text())
    one, two = read_case_json(source), read_case_json(source)
    assert [id(locus) for locus in one.loci] == [id(locus) for locus in two.loci]
    # A changed mutation rate at one marker is a different locus, with its own matrices and LR.
    name = next(n for n, spec in obj["markers"].items() if spec.get("mutation"))
    changed = json.loads(json.dumps(obj))
    changed["markers"][name]["mutation"]["rate"] = {"female": 0.2, "male": 0.2}
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed))
    three = read_case_json(path)
    by_name = {locus.name: locus for locus in three.loci}
    assert by_name[name] is not {locus.name: locus for locus in one.loci}[name]
    assert [locus.name for locus in three.loci if locus is not by_name[name]] == [
        locus.name for locus in one.loci if locus.name != name
    ]
    matrices = by_name[name].mutation_matrices()
    assert matrices[0] is not None and matrices[0].diagonal().min() == pytest.approx(0.8)


def test_locus_cache_key_tells_apart_what_json_tells_apart() -> None:
    from kinlink.genetics.formats import _locus_key

    freqs = {"9": 0.4, "10": 0.6}
    spec = {"model": "stepwise", "rate": {"female": 0.001, "male": 0.002}, "range": 0.1}
    reordered = {"range": 0.1, "rate": {"male": 0.002, "female": 0.001}, "model": "stepwise"}
    assert _locus_key("L", freqs, spec, 500) == _locus_key("L", freqs, reordered, 500)
    keys = {
        _locus_key("L", freqs, spec, 500),
        _locus_key("L", freqs, spec, 500.0),
        _locus_key("L", freqs, spec, True),
        _locus_key("L", freqs, spec, None),
        _locus_key("L", freqs, {**spec, "rate": 1}, 500),
        _locus_key("L", freqs, {**spec, "rate": 1.0}, 500),
        _locus_key("L", freqs, {**spec, "rate": [0.001]}, 500),
        _locus_key("L", {"9": 0.6, "10": 0.4}, spec, 500),
        _locus_key("M", freqs, spec, 500),
    }
    assert len(keys) == 9
    # Not plain JSON (no cache, the marker is built afresh): NaN, non-string keys, other types.
    assert _locus_key("L", freqs, {**spec, "rate": float("nan")}, 500) is None
    assert _locus_key("L", freqs, {1: "x"}, 500) is None
    assert _locus_key("L", freqs, spec, object()) is None


def test_forrel_fixtures_stay_exact_when_read_again_and_again() -> None:
    # Cycling the 60 fixtures (the 300-case benchmark) reuses cached loci and extended loci: every pass
    # must give forrel's values, and the same numbers as the first pass.
    from kinlink.genetics.formats import read_case_json

    paths = sorted((DATA / "genetics" / "cases").glob("kin-*.json"))
    first: dict[str, float] = {}
    for round_no in range(3):
        for path in paths:
            result = missing_person_lr(read_case_json(path))
            expected = json.loads(path.read_text())["expected"]
            assert result.lr == pytest.approx(expected["lr"], rel=1e-6, abs=1e-300), path.name
            if round_no == 0:
                first[path.name] = result.lr
            else:
                assert result.lr == first[path.name]
