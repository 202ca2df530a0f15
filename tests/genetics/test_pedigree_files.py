"""The one reader per pedigree format (CSV, Familias .fam) and the one cycle finder: every problem of a
file is reported with its row (or line) and column, and deep pedigrees are read without recursion."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kinlink.genetics.formats import (
    FormatError,
    parse_pedigree_rows,
    read_familias_fam,
    read_pedigree_csv,
    read_pedigree_table,
)
from kinlink.genetics.pedigree import Problem
from tests.data import DATA

PATERNITY = DATA / "genetics" / "familias" / "paternity.fam"

FAMILIES = """family,id,father,mother,sex,sample,missing
F1,FA,,,male,,0
F1,MO,,,female,S1,0
F1,MP,FA,MO,male,,1
F2,MO,,,F,S2,0
F2,FA,,,M,,0
F2,MP,FA,MO,M,,yes
"""


def test_family_csv_is_read_into_plain_members() -> None:
    table = read_pedigree_table(io.StringIO(FAMILIES), name="p.csv", families=True)
    families = table.families()
    assert list(families) == ["F1", "F2"] and table.source == "p.csv"
    mp = families["F1"][2]
    assert (mp.id, mp.father, mp.mother, mp.sex, mp.missing, mp.row) == ("MP", "FA", "MO", "male", True, 4)
    assert families["F1"][1].sample == "S1" and families["F1"][0].father is None


def test_every_problem_of_a_csv_is_reported_with_row_and_column() -> None:
    text = (
        "family,id,father,mother,sex,sample,missing\n"
        "F1,FA,,,alien,,0\n"  # row 2: sex
        "F1,,,,male,,0\n"  # row 3: empty id
        "F1,MP,FA,NOBODY,male,,maybe\n"  # row 4: missing flag, unknown mother
        ",X,,,male,,0\n"  # row 5: no family
        "F1,MO,,,male,,0\n"  # row 6: fine itself
        "F1,SIB,FA,MO,female,,0\n"  # row 7: mother MO is male
    )
    with pytest.raises(FormatError) as raised:
        read_pedigree_table(io.StringIO(text), name="bad.csv", families=True)
    problems = raised.value.problems
    assert [(p.row, p.column) for p in problems] == [
        (2, "sex"),
        (3, "id"),
        (4, "missing"),
        (4, "mother"),
        (5, "family"),
        (7, "mother"),
    ]
    assert "'NOBODY' is not a member of F1" in problems[3].reason
    assert "'MO' is male, not female" in problems[5].reason
    message = str(raised.value)
    assert "bad.csv, row 2, column sex: 'alien'" in message and "bad.csv, row 7, column mother" in message


def test_missing_columns_and_required_sex() -> None:
    with pytest.raises(FormatError) as raised:
        read_pedigree_table(io.StringIO("id,father,sex\nA,,M\n"))
    assert raised.value.problems == [
        Problem(1, "mother", "missing column (expected id,father,mother,sex)"),
    ]
    rows = [{"family": "F", "id": "A", "father": "", "mother": "", "sex": "", "sample": "", "missing": "1"}]
    assert parse_pedigree_rows(rows, families=True).members[0].sex == "unknown"
    with pytest.raises(FormatError, match="row 2, column sex"):
        parse_pedigree_rows(rows, families=True, sex_required=True)


def test_cycle_in_a_csv_is_reported_on_the_row_that_closes_it() -> None:
    text = "id,father,mother,sex\nFA,MP,MO,male\nMO,,,female\nMP,FA,MO,male\n"
    with pytest.raises(FormatError) as raised:
        read_pedigree_csv(io.StringIO(text))
    (problem,) = raised.value.problems
    assert (problem.row, problem.column) == (4, "father") and "own ancestor" in problem.reason


def test_a_5000_generation_csv_is_read_without_recursion_error() -> None:
    depth = 5000
    lines = ["id,father,mother,sex"]
    for g in range(depth - 1, 0, -1):  # the youngest first: every parent comes later in the file
        lines += [f"G{g},G{g - 1},W{g - 1},M", f"W{g},,,F"]
    lines += ["G0,,,M", "W0,,,F"]
    pedigree = read_pedigree_csv(io.StringIO("\n".join(lines) + "\n"))
    assert len(pedigree) == 2 * depth and pedigree.ids[0] == "G0"
    # close the chain into a cycle: the founder's father is the last son
    cyclic = [*lines[:-2], f"G0,G{depth - 1},W0,M", "W0,,,F"]
    with pytest.raises(FormatError) as raised:
        read_pedigree_csv(io.StringIO("\n".join(cyclic) + "\n"))
    assert [p.column for p in raised.value.problems] == ["father"]
    assert "own ancestor" in raised.value.problems[0].reason


def _fam(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "case.fam"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.skipif(not PATERNITY.is_file(), reason="the Familias paternity file is missing")
def test_cycle_and_bad_sex_of_a_fam_are_both_reported_with_their_lines(tmp_path: Path) -> None:
    lines = PATERNITY.read_text(encoding="utf-8").splitlines()
    assert lines[89] == '"H1"' and lines[92] == "2" and lines[9] == "#TRUE#"
    lines[92] = "3"
    lines[97:97] = ["2", "0"]  # CH is made the parent of AF, who is CH's father: lines 98-99
    with pytest.raises(FormatError) as raised:
        read_familias_fam(_fam(tmp_path, lines))
    (problem,) = raised.value.problems
    assert problem.row in (94, 96, 98) and problem.column == "relation" and "cycle" in problem.reason
    assert f"case.fam, line {problem.row}, column relation: pedigree H1" in str(raised.value)
    lines[9] = "#MAYBE#"  # AF's sex flag: reported too, and first
    with pytest.raises(FormatError) as raised:
        read_familias_fam(_fam(tmp_path, lines))
    sex, cycle = raised.value.problems
    assert (sex.row, sex.column) == (10, "sex") and "cycle" in cycle.reason
