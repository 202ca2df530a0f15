"""Frequency tables: long CSV, Familias text, floors and renormalisation."""

from __future__ import annotations

import io

import pytest

from kinlink.genetics.markers import (
    FrequencyError,
    floor_frequency,
    make_locus,
    parse_familias_frequencies,
    read_familias_frequencies,
    read_frequency_csv,
    synthetic_database,
)
from tests.data import DATA

TABLE = """population,locus,allele,freq
A,L1,10,0.5
A,L1,11,0.5
B,L1,10,0.2
B,L1,11,0.7
"""


def test_population_csv() -> None:
    db = read_frequency_csv(io.StringIO(TABLE), population="B")
    locus = db["L1"]
    assert locus.alleles == ("10", "11")
    assert locus.freqs.sum() == pytest.approx(1.0)
    assert locus.freqs[1] == pytest.approx(0.7 / 0.9)
    assert any("renormalised" in n for n in db.notes)
    with pytest.raises(FrequencyError, match="several populations"):
        read_frequency_csv(io.StringIO(TABLE))
    with pytest.raises(FrequencyError, match="population 'C' not found"):
        read_frequency_csv(io.StringIO(TABLE), population="C")


def test_csv_errors_name_the_row() -> None:
    with pytest.raises(FrequencyError, match="row 3, column freq: not a number"):
        read_frequency_csv(io.StringIO("locus,allele,freq\nL,1,0.5\nL,2,abc\n"))
    with pytest.raises(FrequencyError, match="row 3: allele 1 of L appears twice"):
        read_frequency_csv(io.StringIO("locus,allele,freq\nL,1,0.5\nL,1,0.5\n"))


def test_floor_frequency_and_missing_alleles() -> None:
    assert floor_frequency(None) == 0.001
    assert floor_frequency(500) == pytest.approx(0.005)
    locus = make_locus("L", {"10": 0.5, "11": 0.5}, database_size=1000)
    new, notes = locus.with_alleles(["10", "12", "-", "9.3"])
    assert new.alleles == ("10", "11", "12", "9.3")
    assert new.freqs.sum() == pytest.approx(1.0)
    assert new.freqs[2] == pytest.approx(0.0025 / 1.005)
    assert len(notes) == 2 and "allele 12" in notes[0]
    same, none = locus.with_alleles(["10"])
    assert same is locus and none == []


def test_familias_text() -> None:
    db = parse_familias_frequencies("D1\n10\t0.4\n11\t0.6\n\nD2\n9.3\t1.0\n")
    assert db.names() == ["D1", "D2"]
    assert db["D2"].alleles == ("9.3",)
    with pytest.raises(FrequencyError, match="line 2: expected 'allele<TAB>frequency'"):
        parse_familias_frequencies("D1\n10 0.4 extra\n")


def test_codis_familias_file() -> None:
    db = read_familias_frequencies(DATA / "genetics" / "familias" / "codis.txt")
    assert "CSF1PO" in db and "D3S1358" in db
    for name in db.names():
        assert db[name].freqs.sum() == pytest.approx(1.0)


def test_synthetic_database_is_deterministic() -> None:
    a, b = synthetic_database(5, seed=2), synthetic_database(5, seed=2)
    assert a.names() == b.names()
    assert all((a[n].freqs == b[n].freqs).all() for n in a.names())
