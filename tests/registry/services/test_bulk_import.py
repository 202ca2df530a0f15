"""The bulk path of import-list (COPY on PostgreSQL, multi-row INSERTs on SQLite) on both databases.

The snapshot of a small list's import (persons, names, claims, retractions, fates, list records and the
audit entry), taken through the action and the CLI, must equal the one the per-row path wrote before the
bulk path existed (``data/import_snapshot.json``, recorded from main at 11c695e).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from kinlink.cli import main
from kinlink.registry.models import (
    AuditEntry,
    Claim,
    ClaimRetraction,
    ListImport,
    ListRecord,
    NameVariant,
    Person,
    Source,
)
from kinlink.registry.services import fastinsert
from kinlink.registry.services.bulk import ImportRefused
from kinlink.registry.services.imports import PERSON_COLUMNS, import_list
from tests.factories import WriteList, person_row

pytestmark = pytest.mark.django_db(transaction=True)

GOLDEN = Path(__file__).parent / "data" / "import_snapshot.json"


def small_list() -> list[dict[str, str]]:
    return [
        person_row(1, given_name="Сергій"),
        person_row(2, surname="", given_name="", patronymic="", full_name="Ivanov Ivan"),
        person_row(3, surname="Петров", given_name="Иван", birth_date="1988", event_date="2022-03"),
        person_row(4, full_name="Сидоренко Ганна", surname="", given_name="", patronymic="", unit=""),
        person_row(5, event_place="", birth_place="", rank=""),
    ]


def name_fields(n: NameVariant) -> list[Any]:
    source = n.source.name if n.source else ""
    return [n.full_name, n.surname, n.given_name, n.patronymic, n.script, n.language, n.is_primary, source]


def claim_fields(c: Claim) -> list[Any]:
    retraction = ClaimRetraction.objects.filter(claim=c).values_list("reason", flat=True).first()
    return [c.fate, c.date, c.place, c.circumstances, c.source.name, retraction or ""]


def snapshot() -> dict[str, Any]:
    """Everything the imports wrote, with ids replaced by the record ids that reach them."""
    records: list[dict[str, Any]] = []
    for record in ListRecord.objects.select_related("source", "person").order_by("source__name", "record_id"):
        person = record.person
        records.append(
            {
                "source": record.source.name,
                "record_id": record.record_id,
                "row": record.row,
                "row_sha256": record.row_sha256,
                "person": [
                    person.sex,
                    person.birth_date,
                    person.birth_place,
                    person.service_number,
                    person.unit,
                    person.rank,
                    person.military_branch,
                    person.region,
                    person.physical_description,
                    person.distinguishing_marks,
                    person.fate,
                    person.fate_confidence,
                    person.fate_conflicts,
                    person.merged_into_id,
                ],
                "names": sorted(
                    [
                        n.full_name,
                        n.surname,
                        n.given_name,
                        n.patronymic,
                        n.script,
                        n.language,
                        n.is_primary,
                        n.source.name if n.source else "",
                    ]
                    for n in NameVariant.objects.filter(person=person).select_related("source")
                ),
                "claims": sorted(
                    [
                        c.fate,
                        c.date,
                        c.place,
                        c.circumstances,
                        c.source.name,
                        ClaimRetraction.objects.filter(claim=c).values_list("reason", flat=True).first()
                        or "",
                    ]
                    for c in Claim.objects.filter(person=person).select_related("source")
                ),
            }
        )
    sources = sorted((s.kind, s.name, s.reference, s.origin, s.reliability) for s in Source.objects.all())
    imports = sorted((i.source.name, i.file_sha256, i.filename, i.rows) for i in ListImport.objects.all())
    audit = [
        (a.action, a.object_type, a.actor_label, {k: v for k, v in a.detail.items() if k != "source"})
        for a in AuditEntry.objects.filter(action="import_list").order_by("pk")
    ]
    return json.loads(
        json.dumps(
            {"records": records, "sources": sources, "imports": imports, "audit": audit},
            ensure_ascii=False,
            default=str,
        )
    )


def run_scenario(write_list: WriteList) -> None:
    """A first import, its re-import, a file with a changed row and a new row, and a second list."""
    first = write_list(small_list(), name="first.csv")
    args = ["import-list", str(first), "--source-kind", "prisoner_list", "--source-name", "POW 2022"]
    assert main(args) == 0
    assert main(args) == 0
    rows = small_list()
    rows[2] = person_row(3, surname="Петров", given_name="Иван", birth_date="1988", event_date="2022-04")
    rows.append(person_row(6, surname="Коваль"))
    second = write_list(rows, name="second.csv")
    assert (
        main(["import-list", str(second), "--source-kind", "prisoner_list", "--source-name", "POW 2022"]) == 0
    )
    obituaries = write_list([person_row(7), person_row(8, surname="Мельник")], name="obits.csv")
    assert main(["import-list", str(obituaries), "--source-kind", "obituary", "--source-name", "Obits"]) == 0


def test_bulk_import_writes_what_the_per_row_path_wrote(write_list: WriteList) -> None:
    run_scenario(write_list)
    got = snapshot()
    if not GOLDEN.exists():  # recorded once, from the per-row path
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))


def counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        NameVariant.objects.count(),
        Claim.objects.count(),
        ClaimRetraction.objects.count(),
        ListRecord.objects.count(),
        ListImport.objects.count(),
        AuditEntry.objects.filter(action="import_list").count(),
    )


def test_reimport_of_the_same_rows_in_another_file_changes_nothing(write_list: WriteList) -> None:
    rows = [person_row(n, surname=f"Прізвище{n}") for n in range(1, 40)]
    args = ["--source-kind", "obituary", "--source-name", "Obits"]
    assert main(["import-list", str(write_list(rows, name="a.csv")), *args]) == 0
    before = snapshot()
    # The same rows in another order: a different file (its hash differs), every row unchanged.
    result = import_list(write_list(rows[::-1], name="b.csv"), "obituary", "Obits")
    assert (result.created, result.changed, result.unchanged) == (0, 0, 39)
    after = snapshot()
    assert after["records"] == before["records"]
    assert len(after["imports"]) == 2


def test_a_bad_row_at_the_end_refuses_the_whole_file(write_list: WriteList) -> None:
    rows = [person_row(n) for n in range(1, 30)] + [person_row(30, birth_date="1990-13")]
    with pytest.raises(ImportRefused) as refused:
        import_list(write_list(rows), "obituary", "Obits")
    assert [(e.row, e.column) for e in refused.value.errors] == [(31, "birth_date")]
    assert counts() == (0, 0, 0, 0, 0, 0, 0)
    assert not Source.objects.exists()


def test_a_failure_in_the_middle_of_the_copy_leaves_nothing(
    write_list: WriteList, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kinlink.registry.services import imports

    monkeypatch.setattr(imports, "LOAD_CHUNK", 10)
    real_load_rows = fastinsert.load_rows
    calls: list[str] = []

    def failing_load_rows(model: Any, columns: Any, rows: Any, **kwargs: Any) -> None:
        calls.append(model.__name__)

        def rows_then_failure() -> Any:
            for n, row in enumerate(rows):
                if model is ListRecord and len(calls) > 4 and n == 5:
                    raise OSError("the disk is full")
                yield row

        real_load_rows(model, columns, rows_then_failure(), **kwargs)

    monkeypatch.setattr(imports, "load_rows", failing_load_rows)
    path = write_list([person_row(n, surname=f"Прізвище{n}") for n in range(1, 26)])
    with pytest.raises(OSError, match="disk is full"):
        main(["import-list", str(path), "--source-kind", "obituary", "--source-name", "Obits"])
    assert calls == ["Person", "NameVariant", "Claim", "ListRecord"] * 2  # the second chunk failed midway
    assert counts() == (0, 0, 0, 0, 0, 0, 0)
    monkeypatch.setattr(imports, "load_rows", real_load_rows)
    assert main(["import-list", str(path), "--source-kind", "obituary", "--source-name", "Obits"]) == 0
    assert counts() == (25, 25, 25, 0, 25, 1, 1)


def test_new_ids_follow_the_rows_and_the_sequence_goes_on(write_list: WriteList) -> None:
    import_list(write_list([person_row(n) for n in range(1, 6)], name="a.csv"), "obituary", "Obits")
    ids = list(ListRecord.objects.order_by("record_id").values_list("person_id", flat=True))
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    later = Person.objects.create()  # the database's own numbering continues above the allocated ids
    assert later.pk > max(ids)
    if connection.vendor == "sqlite":
        assert fastinsert.allocate_ids(Person, 2) == [later.pk + 1, later.pk + 2]


def test_the_progress_bar_counts_rows_per_second(
    write_list: WriteList, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KINLINK_PROGRESS", "1")
    path = write_list([person_row(n) for n in range(1, 4)])
    assert main(["import-list", str(path), "--source-kind", "obituary", "--source-name", "Obits"]) == 0
    err = capsys.readouterr().err
    assert "importing" in err and "row/s" in err
    monkeypatch.setenv("KINLINK_PROGRESS", "0")
    path = write_list([person_row(n) for n in range(4, 6)], name="b.csv")
    assert main(["import-list", str(path), "--source-kind", "obituary", "--source-name", "Obits"]) == 0
    assert "row/s" not in capsys.readouterr().err


def test_the_bulk_path_writes_claim_circumstances_encrypted(write_list: WriteList) -> None:
    from kinlink.registry.crypto import is_ciphertext

    import_list(write_list([person_row(1), person_row(2)]), "obituary", "Obits")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT circumstances FROM {Claim._meta.db_table}")
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 2
    assert all(is_ciphertext(value) and "record R" not in value for value in stored)
    assert sorted(Claim.objects.values_list("circumstances", flat=True)) == [
        "Obits, record R1",
        "Obits, record R2",
    ]


def test_load_rows_writes_what_copy_must_escape_and_null_as_given() -> None:
    """Tabs, newlines, carriage returns and backslashes in text, NULL, booleans, datetimes and numbers
    come back from the database as they were given (COPY's text format escapes the first four)."""

    from kinlink.registry.services.imports import NAME_COLUMNS

    source = Source.objects.create(kind="other", name="Escapes")
    person_ids = fastinsert.allocate_ids(Person, 3)
    moment = timezone.now()
    now = fastinsert.db_value(Person, "created", moment)
    texts = ["tab\there", "line\nbreak\r\nand \\ back\\slash \\N", "plain"]
    fastinsert.load_rows(
        Person,
        PERSON_COLUMNS,
        [
            (pk, f"{pk:032x}", "U", "1990", "", "", "", "", "", "", text, "", now, "dead", "high", n)
            for n, (pk, text) in enumerate(zip(person_ids, texts, strict=True))
        ],
    )
    fastinsert.load_rows(
        NameVariant,
        NAME_COLUMNS,
        [
            (person_ids[0], "\\", "", "", "", "Latn", "", None, True),
            (person_ids[1], "a\tb", "Ковальчук", "", "", "Cyrl", "uk", source.pk, False),
            (person_ids[2], "", "\\N", "", "", "Latn", "", None, False),
        ],
    )
    persons = {p.pk: p for p in Person.objects.filter(pk__in=person_ids)}
    assert [persons[pk].physical_description for pk in person_ids] == texts
    assert [persons[pk].fate_conflicts for pk in person_ids] == [0, 1, 2]
    assert [persons[pk].created for pk in person_ids] == [moment] * 3
    names = list(
        NameVariant.objects.filter(person_id__in=person_ids)
        .order_by("person_id")
        .values_list("full_name", "surname", "source_id", "is_primary")
    )
    assert names == [
        ("\\", "", None, True),
        ("a\tb", "Ковальчук", source.pk, False),
        ("", "\\N", None, False),
    ]


def person(pk: int, birth_date: str, now: Any) -> tuple[Any, ...]:
    """A row of ``PERSON_COLUMNS``."""
    return (pk, f"{pk:032x}", "M", birth_date, "", "", "", "", "", "", "", "", now, "dead", "high", 0)


def test_load_rows_writes_full_and_partial_batches_in_order() -> None:
    """More rows than one multi-row INSERT holds (SQLite): the full batches and the last, shorter one all
    arrive, each row with its own values."""
    count = 2 * fastinsert.SQLITE_ROWS_PER_INSERT + 7
    source = Source.objects.create(kind="other", name="Batches")
    person_ids = fastinsert.allocate_ids(Person, count)
    now = fastinsert.db_value(Person, "created", timezone.now())
    fastinsert.load_rows(
        Person, PERSON_COLUMNS, [person(pk, str(1900 + n), now) for n, pk in enumerate(person_ids)]
    )
    fastinsert.load_rows(
        ListRecord,
        ("source", "record_id", "person", "row", "row_sha256"),
        [(source.pk, f"R{n}", pk, json.dumps({"n": n}), f"{n:064x}") for n, pk in enumerate(person_ids)],
    )
    births = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "birth_date"))
    assert [births[pk] for pk in person_ids] == [str(1900 + n) for n in range(count)]
    records = ListRecord.objects.filter(source=source).order_by("person_id")
    assert [(r.record_id, r.row) for r in records] == [(f"R{n}", {"n": n}) for n in range(count)]


def test_load_rows_refuses_a_duplicate_with_djangos_integrity_error_and_bumps_the_data_version() -> None:
    """A unique key broken by the bulk path is Django's IntegrityError (as from a cursor) on both
    databases; rows it wrote bump the consoles' data version, which the execute wrappers never see."""
    from django.db import IntegrityError, transaction

    from kinlink.portal import fragments

    source = Source.objects.create(kind="other", name="Twice")
    person_ids = fastinsert.allocate_ids(Person, 1)
    now = fastinsert.db_value(Person, "created", timezone.now())
    fastinsert.load_rows(Person, PERSON_COLUMNS, [person(person_ids[0], "1990", now)])
    columns = ("source", "record_id", "person", "row", "row_sha256")
    before = fragments.data_version()
    fastinsert.load_rows(ListRecord, columns, [(source.pk, "R1", person_ids[0], "{}", "0" * 64)])
    assert fragments.data_version() > before
    with pytest.raises(IntegrityError), transaction.atomic():
        fastinsert.load_rows(ListRecord, columns, [(source.pk, "R1", person_ids[0], "{}", "1" * 64)])
    assert list(ListRecord.objects.filter(source=source).values_list("row_sha256", flat=True)) == ["0" * 64]
