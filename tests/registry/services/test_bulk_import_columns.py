"""The column-by-column parts of the bulk import path give exactly what the row-by-row code gives.

The fast path must not change what is stored: the reader's columns equal the row-by-row reader's, the
row JSON equals ``json.dumps(..., sort_keys=True)``, the names' scripts equal ``script_of``, the uids are
version-4 UUIDs, and the list's persons are queued for linkage in one statement.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest

from kinlink.lib.personlist import PERSON_LIST_COLUMNS
from kinlink.registry.services.imports import (
    _row_json,
    _script_and_language,
    _Words,
    import_list,
    random_uids,
    rows_json,
)
from kinlink.registry.services.personlist import _by_columns, _by_rows, _csv_records, read_person_list
from tests.factories import WriteList, person_row

TRICKY = ["", " ", 'a "quoted" name', "back\\slash", "Ґалина Їжак", "Ivanov Іван", "日本", "\u2028", "x\ty"]


def test_the_row_json_of_a_whole_list_is_the_json_of_each_row() -> None:
    rng = random.Random(7)
    columns: dict[str, list[str]] = {c: [] for c in PERSON_LIST_COLUMNS}
    for _ in range(300):
        for c in PERSON_LIST_COLUMNS:
            columns[c].append(rng.choice(TRICKY) + rng.choice(TRICKY))
    rows = [{c: columns[c][i] for c in PERSON_LIST_COLUMNS} for i in range(300)]
    assert rows_json(columns) == [_row_json(row) for row in rows]
    assert json.loads(rows_json(columns)[0]) == rows[0]


def test_scripts_found_word_by_word_are_the_scripts_of_the_whole_names() -> None:
    words = _Words()
    names = [
        "Шевчук Олександр Петрович",
        "Ivanov Ivan",
        "Ivanov Іван",
        "Ab Вг",
        "Abc Вг",
        "Шевчук Ганна Ivan",
        "Петров  Иван",
        "",
        "123 456",
        "O'Brien Сергій",
    ]
    for name in names * 2:  # the second time from the word counts
        assert words.script_and_language(name) == _script_and_language(name), name


def test_new_uids_are_random_version_4_uuids() -> None:
    uids = random_uids(2000)
    assert len(set(uids)) == 2000
    for text in uids:
        parsed = uuid.UUID(hex=text)
        assert parsed.hex == text
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
    assert random_uids(0) == []


def _both_readers(path: Path) -> tuple[object, object]:
    header, records = _csv_records(path)
    return _by_columns(path, header, records), _by_rows(path, header, records)


def test_the_column_reader_reads_what_the_row_reader_reads(tmp_path: Path, write_list: WriteList) -> None:
    rows = [
        person_row(1, birth_date="5.1990", event_date="01.06.2022"),  # dotted dates are normalised
        person_row(2, full_name="  Ivanov Ivan  ", surname="", given_name="", patronymic=""),
        {c: "" for c in PERSON_LIST_COLUMNS},  # a blank row is skipped
        person_row(3, unit="", rank=""),
    ]
    path = write_list(rows, columns=(*PERSON_LIST_COLUMNS, "notes"))
    by_columns, by_rows = _both_readers(path)
    assert by_columns is not None
    assert by_columns.columns == by_rows.columns  # type: ignore[attr-defined]
    assert by_columns.row_numbers == by_rows.row_numbers == [2, 3, 5]  # type: ignore[attr-defined]
    assert by_columns.columns["birth_date"][0] == "1990-05"
    parsed = read_person_list(path)
    assert parsed.ignored_columns == ["notes"]
    assert parsed.rows[1].values["full_name"] == "Ivanov Ivan"
    # A file without the optional columns: they read as blank.
    short = write_list(
        [person_row(4)],
        name="short.csv",
        columns=("record_id", "full_name", "surname", "given_name", "birth_date", "event_date"),
    )
    parsed = read_person_list(short)
    assert parsed.columns["unit"] == [""] and parsed.columns["surname"] == ["Шевчук"]


@pytest.mark.parametrize(
    "bad",
    [
        {"birth_date": "1990-13"},
        {"record_id": "R1"},  # a duplicate
        {"record_id": ""},
        {"full_name": "", "surname": "", "given_name": ""},
        {"unit": "x" * 301},
        {"rank": "a\x01b"},
    ],
)
def test_a_file_with_an_error_is_read_row_by_row(write_list: WriteList, bad: dict[str, str]) -> None:
    path = write_list([person_row(1), person_row(2, **bad), person_row(3)])
    by_columns, by_rows = _both_readers(path)
    assert by_columns is None
    parsed = read_person_list(path)
    assert [e.row for e in parsed.errors] == [3]
    assert parsed.row_numbers == [2, 4]
    assert parsed.columns == by_rows.columns  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_the_lists_persons_wait_for_linkage_once_each(write_list: WriteList, settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    # Production's queue (the tests' inline backend would link them at once and empty the queue).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    from kinlink.matching.actions import wait_for_linkage
    from kinlink.matching.models import PendingLinkage
    from kinlink.registry.models import ListRecord

    first = import_list(write_list([person_row(n) for n in range(1, 6)], name="a.csv"), "obituary", "Obits")
    assert sorted(PendingLinkage.objects.values_list("person_id", flat=True)) == sorted(first.person_ids)
    assert {p.reason for p in PendingLinkage.objects.all()} == {f"list Obits (source {first.source_id})"}
    tasks = DBTaskResult.objects.filter(task_path="kinlink.matching.tasks.link_new_persons")
    assert tasks.count() == 1
    # A second file of the list: its new persons join the queue, those waiting already stay once.
    second = import_list(write_list([person_row(n) for n in range(1, 8)], name="b.csv"), "obituary", "Obits")
    assert second.created == 2
    assert PendingLinkage.objects.count() == 7
    assert tasks.count() == 2
    persons = ListRecord.objects.filter(source_id=first.source_id).values_list("person_id", flat=True)
    assert wait_for_linkage(persons, "again") == 0
    PendingLinkage.objects.filter(person_id__in=first.person_ids[:2]).delete()
    assert wait_for_linkage(persons, "again") == 2
