"""Y-STR and mtDNA comparison, database counts and confidence bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy.stats import beta

from kinlink.genetics.lineage import (
    LineageError,
    check_maternal_line,
    compare_mt,
    compare_y,
    compare_y_in_pedigree,
    frequency_upper_bound,
    parse_mt_haplotype,
    parse_y_haplotype,
    paternal_meioses,
    read_mt_database,
    read_y_database,
)
from kinlink.genetics.pedigree import Pedigree, Person


def test_upper_bound() -> None:
    assert frequency_upper_bound(0, 100) == pytest.approx(1 - 0.05 ** (1 / 100))
    assert frequency_upper_bound(3, 200) == pytest.approx(beta.ppf(0.95, 4, 197))
    assert frequency_upper_bound(0, 0) == 1.0
    with pytest.raises(LineageError):
        frequency_upper_bound(5, 3)


POI = "DYS19=14, DYS385=11,14, DYS389I=13, DYS390=24"


def test_y_match_and_database_count() -> None:
    poi = parse_y_haplotype(POI)
    assert poi["DYS385"] == "11,14"
    db = [dict(poi), dict(poi), {**poi, "DYS19": "15"}, {"DYS19": "14"}]  # last one lacks loci: not counted
    result = compare_y(poi, dict(poi), db)
    assert result.status == "match"
    assert result.database_size == 3 and result.database_matches == 2
    assert result.frequency == pytest.approx(2 / 3)
    assert result.lr == pytest.approx(1 / result.frequency_upper)


def test_y_one_step_tolerance_and_exclusion() -> None:
    poi = parse_y_haplotype(POI)
    one = compare_y(poi, {**poi, "DYS390": "25"}, mutation_rate=0.004, meioses=2)
    assert one.status == "one-step difference"
    assert one.lr == pytest.approx(0.004)
    two = compare_y(poi, {**poi, "DYS390": "26"})
    assert two.status == "exclusion" and two.lr == 0.0
    strict = compare_y(poi, {**poi, "DYS390": "25"}, one_step_tolerance=False)
    assert strict.status == "exclusion"


def family() -> Pedigree:
    return Pedigree(
        [
            Person("GF", "male"),
            Person("GM", "female"),
            Person("F", "male", "GF", "GM"),
            Person("UNCLE", "male", "GF", "GM"),
            Person("M", "female"),
            Person("MP", "male", "F", "M"),
            Person("SIS", "female", "F", "M"),
        ]
    )


def test_lineage_checks_use_the_pedigree() -> None:
    ped = family()
    assert paternal_meioses(ped, "UNCLE", "MP") == 3
    with pytest.raises(LineageError, match="not on the same paternal line"):
        paternal_meioses(ped, "SIS", "MP")
    check_maternal_line(ped, "SIS", "MP")
    with pytest.raises(LineageError, match="not on the maternal line"):
        check_maternal_line(ped, "UNCLE", "MP")
    poi = parse_y_haplotype(POI)
    res = compare_y_in_pedigree(ped, "UNCLE", "MP", poi, {**poi, "DYS19": "15"}, mutation_rate=0.002)
    assert res.lr == pytest.approx(3 * 0.002 / 2)


def test_mt_comparison() -> None:
    poi = parse_mt_haplotype("16223T 16093Y 263G 315.1C")
    ref = parse_mt_haplotype("16223T 263G 309.1C 315.1C")
    result = compare_mt(poi, ref, [ref, parse_mt_haplotype("263G"), parse_mt_haplotype("16223T 263G")])
    assert result.status == "match"
    assert result.database_matches == 2  # length variants ignored
    assert any("16093" in n for n in result.notes)
    other = compare_mt(poi, parse_mt_haplotype("263G 16311C"))
    assert other.status == "exclusion"
    assert "16223T in POI only" in other.differences
    with pytest.raises(LineageError, match="not an mtDNA variant"):
        parse_mt_haplotype("263G foo")


def test_database_files(tmp_path: Path) -> None:
    y = tmp_path / "y.csv"
    y.write_text("id,locus,allele\nH1,DYS19,14\nH1,DYS385,14\nH1,DYS385,11\nH2,DYS19,15\n")
    db = read_y_database(y)
    assert db[0] == {"DYS19": "14", "DYS385": "11,14"}
    mt = tmp_path / "mt.csv"
    mt.write_text("id,variants\nA,16223T 263G\nB,263G\n")
    assert read_mt_database(mt)[0] == frozenset({"16223T", "263G"})
    bad = tmp_path / "bad.csv"
    bad.write_text("id,locus,allele\nH1,DYS19,x\n")
    with pytest.raises(LineageError, match="row 2, column allele"):
        read_y_database(bad)
