"""import-list: atomic, idempotent, precise refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinlink.registry.models import Claim, ListImport, ListRecord, NameVariant, Person, Source
from kinlink.registry.services.bulk import ImportRefused
from kinlink.registry.services.imports import import_list
from tests.factories import WriteList, person_row

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        NameVariant.objects.count(),
        Claim.objects.count(),
        ListRecord.objects.count(),
        Source.objects.count(),
        ListImport.objects.count(),
    )


def test_import_creates_persons_names_claims_and_records(write_list: WriteList) -> None:
    path = write_list(
        [
            person_row(1, given_name="Сергій"),
            person_row(2, surname="", given_name="", patronymic="", full_name="Ivanov Ivan"),
        ]
    )
    result = import_list(path, "prisoner_list", "Exchange list 2022")
    assert result.created == 2
    assert counts()[:4] == (2, 2, 2, 2)
    claim = Claim.objects.get(person__list_records__record_id="R1")
    assert (claim.fate, claim.date, claim.place) == ("detained", "2022-06-01", "Маріуполь")
    latin = NameVariant.objects.get(full_name="Ivanov Ivan")
    assert latin.script == "Latn"
    assert NameVariant.objects.get(surname="Шевчук").language == "uk"


def test_reimporting_the_same_file_changes_nothing(write_list: WriteList) -> None:
    path = write_list([person_row(1), person_row(2)])
    import_list(path, "obituary", "Obituaries")
    before = counts()
    again = import_list(path, "obituary", "Obituaries")
    assert again.already_imported
    assert counts() == before


def test_same_rows_in_a_new_file_are_unchanged_and_new_rows_added(write_list: WriteList) -> None:
    import_list(write_list([person_row(1)], name="a.csv"), "obituary", "Obituaries")
    result = import_list(write_list([person_row(1), person_row(2)], name="b.csv"), "obituary", "Obituaries")
    assert (result.created, result.unchanged, result.changed) == (1, 1, 0)
    assert Person.objects.count() == 2


def test_changed_row_retracts_old_claim_and_keeps_history(write_list: WriteList) -> None:
    import_list(write_list([person_row(1)], name="a.csv"), "obituary", "Obituaries")
    result = import_list(
        write_list([person_row(1, event_date="2022-07-02")], name="b.csv"), "obituary", "Obituaries"
    )
    assert result.changed == 1
    claims = Claim.objects.order_by("pk")
    assert [c.date for c in claims] == ["2022-06-01", "2022-07-02"]
    assert claims[0].is_retracted and not claims[1].is_retracted


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ({"birth_date": "1990-13"}, "birth_date", "month 13 does not exist"),
        ({"event_date": "yesterday"}, "event_date", "is not a date"),
        ({"event_date": "2099-01-01"}, "event_date", "lies in the future"),
        ({"surname": "", "given_name": "", "full_name": ""}, "full_name", "neither full_name"),
        ({"record_id": ""}, "record_id", "is empty"),
    ],
)
def test_bad_row_is_refused_with_row_and_column_and_nothing_written(
    write_list: WriteList, row: dict[str, str], column: str, reason: str
) -> None:
    path = write_list([person_row(1), person_row(2, **row)])
    with pytest.raises(ImportRefused) as refused:
        import_list(path, "obituary", "Obituaries")
    (error,) = refused.value.errors
    assert (error.file, error.row, error.column) == ("list.csv", 3, column)
    assert reason in error.reason
    assert counts() == (0, 0, 0, 0, 0, 0)


def test_duplicated_record_id_names_the_first_row(write_list: WriteList) -> None:
    path = write_list([person_row(1), person_row(2), person_row(1)])
    with pytest.raises(ImportRefused) as refused:
        import_list(path, "obituary", "Obituaries")
    assert str(refused.value.errors[0]) == "list.csv: row 4, column 'record_id': 'R1' duplicates row 2"
    assert Person.objects.count() == 0


def test_missing_column_is_refused(write_list: WriteList) -> None:
    columns = ("record_id", "source", "full_name", "surname", "given_name", "patronymic", "birth_date")
    path = write_list([person_row(1)], columns=columns)
    with pytest.raises(ImportRefused) as refused:
        import_list(path, "obituary", "Obituaries")
    assert [(e.row, e.column) for e in refused.value.errors] == [(1, "event_date")]
    assert "required column is missing" in refused.value.errors[0].reason
    assert Source.objects.count() == 0


def test_wrong_encoding_is_refused_with_row_and_column(write_list: WriteList) -> None:
    path = write_list([person_row(1), person_row(2)], encoding="cp1251")
    with pytest.raises(ImportRefused) as refused:
        import_list(path, "obituary", "Obituaries")
    error = refused.value.errors[0]
    assert error.row == 2
    assert error.column == "surname"
    assert "not UTF-8" in error.reason
    assert counts() == (0, 0, 0, 0, 0, 0)


def test_skip_bad_rows_imports_the_good_ones(write_list: WriteList) -> None:
    path = write_list([person_row(1), person_row(2, birth_date="1990-13"), person_row(3)])
    result = import_list(path, "obituary", "Obituaries", skip_bad_rows=True)
    assert result.created == 2
    assert [(e.row, e.column) for e in result.skipped] == [(3, "birth_date")]


def test_unknown_source_kind_is_refused(write_list: WriteList) -> None:
    with pytest.raises(ImportRefused, match="unknown source kind"):
        import_list(write_list([person_row(1)]), "rumour", "X")


def test_xlsx_is_imported(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from kinlink.scenario.model import PERSON_LIST_COLUMNS

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(PERSON_LIST_COLUMNS))
    row = person_row(1)
    sheet.append([row.get(c, "") for c in PERSON_LIST_COLUMNS])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    assert import_list(path, "burial_record", "Cemetery").created == 1
    assert Claim.objects.get().fate == "buried"
