"""``kinlink link``: CSV in, clusters out, explanations, and clear errors for bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from kinlink.cli import main
from kinlink.scenario.model import PERSON_LIST_COLUMNS


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, PERSON_LIST_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def list_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from kinlink.scenario import generate
    from kinlink.scenario.lists import varied_lists

    folder = tmp_path_factory.mktemp("lists")
    by_list: dict[str, list[dict[str, str]]] = {}
    for record in varied_lists(generate(seed=9, size=200)):
        by_list.setdefault(record.list_name, []).append(record.row)
    return [_write(folder / f"{name}.csv", rows) for name, rows in sorted(by_list.items())]


def test_link_writes_clusters_and_explains(
    list_files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "clusters.csv"
    first = pd.read_csv(list_files[0], dtype=str)["record_id"].iloc[0]
    code = main(["link", *map(str, list_files), "--out", str(out), "--threshold", "0.8", "--explain", first])
    assert code == 0
    clusters = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(clusters.columns) == ["record_id", "cluster_id", "match_probability"]
    n_records = sum(len(pd.read_csv(p, dtype=str)) for p in list_files)
    assert len(clusters) == n_records
    assert clusters["cluster_id"].nunique() < n_records
    linked = clusters[clusters["match_probability"] != ""]
    assert (linked["match_probability"].astype(float) >= 0.8).all()
    printed = capsys.readouterr().out
    assert "clusters at threshold 0.8" in printed
    assert f"{first} ~ " in printed or f"{first}: no candidate links" in printed


def test_bad_date_is_reported_with_file_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = dict.fromkeys(PERSON_LIST_COLUMNS, "")
    bad = _write(
        tmp_path / "bad.csv",
        [{**row, "record_id": "A1", "full_name": "Иванов Иван", "birth_date": "2 January 1990"}],
    )
    out = tmp_path / "clusters.csv"
    assert main(["link", str(bad), "--out", str(out)]) == 1
    assert f"{bad}: row 2, column birth_date" in capsys.readouterr().err
    assert not out.exists()


def test_duplicate_ids_across_files_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = dict.fromkeys(PERSON_LIST_COLUMNS, "")
    one = _write(tmp_path / "one.csv", [{**row, "record_id": "A1", "full_name": "Иванов Иван"}])
    two = _write(tmp_path / "two.csv", [{**row, "record_id": "A1", "full_name": "Ivanov Ivan"}])
    out = tmp_path / "clusters.csv"
    assert main(["link", str(one), str(two), "--out", str(out)]) == 1
    assert "record id 'A1' is also in" in capsys.readouterr().err
    assert not out.exists()


def test_threshold_out_of_range_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = dict.fromkeys(PERSON_LIST_COLUMNS, "")
    one = _write(tmp_path / "one.csv", [{**row, "record_id": "A1", "full_name": "Иванов Иван"}])
    assert main(["link", str(one), "--out", str(tmp_path / "c.csv"), "--threshold", "1.5"]) == 1
    assert "--threshold" in capsys.readouterr().err


def test_help_states_the_model_default_threshold() -> None:
    import argparse

    from kinlink.commands.link import register
    from kinlink.linkage.model import DEFAULT_THRESHOLD

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    link = parser._subparsers._group_actions[0].choices["link"]  # type: ignore[union-attr]
    help_text = next(a.help for a in link._actions if "--threshold" in a.option_strings)
    assert f"default {DEFAULT_THRESHOLD}" in str(help_text)


def test_explanation_says_when_a_rule_forbids_a_pair(capsys: pytest.CaptureFixture[str]) -> None:
    """Brothers score high on surname, patronymic, unit and place; the cannot-link rule keeps them apart,
    and --explain says so instead of a bare probability."""
    from kinlink.commands.link import _print_explanation
    from kinlink.linkage.model import FieldComparison, LinkageResult, excluded_links

    pairs = pd.DataFrame(
        {
            "unique_id_l": ["A", "A", "C"],
            "unique_id_r": ["B", "C", "D"],
            "excluded": ["different given names", "", "different birth dates"],
        }
    )
    result = LinkageResult(clusters=pd.DataFrame(), pairs=pairs, linker=None)
    assert excluded_links(result, "A") == {"B": "different given names"}
    assert excluded_links(result, "D") == {"C": "different birth dates"}
    fields = [FieldComparison("surname", "agree", "exact", 3.1)]
    _print_explanation(
        "A", [("B", 0.97, 5.0, fields), ("C", 0.91, 3.2, fields)], 0.5, excluded_links(result, "A")
    )
    out = capsys.readouterr().out
    assert "A ~ B: match probability 0.9700" in out and "(never joined: different given names)" in out
    assert "A ~ C: match probability 0.9100, match weight +3.20 (same person)" in out
