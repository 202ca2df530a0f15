"""``kinlink import-list``: a person list becomes a Source, its rows ListRecords, Persons and Claims.

Atomic: everything happens in one database transaction, so a refused file, an exception or a
``kill -9`` leaves the database as it was. Idempotent: a file already imported into a list changes
nothing, and so does a row whose content is unchanged. A changed row (same ``record_id``, new
content) adds a claim and retracts the one the old row made, so the history stays on record.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import connection, transaction
from django.utils import timezone

from kinlink.registry.models import (
    Claim,
    ClaimRetraction,
    ListImport,
    ListRecord,
    NameVariant,
    Person,
    Source,
    SourceKind,
    script_of,
)
from kinlink.registry.services.bulk import ImportRefused, RowError
from kinlink.registry.services.fastinsert import allocate_ids, db_value, load_rows
from kinlink.registry.services.fate import single_claim_outcome, store_fates
from kinlink.registry.services.personlist import ListRow, read_person_list

#: The fate a row of a list states, by the kind of list.
FATE_BY_LIST_KIND: dict[str, str] = {
    SourceKind.FAMILY_REPORT: "missing",
    SourceKind.PRISONER_LIST: "detained",
    SourceKind.EXCHANGE_LIST: "alive",
    SourceKind.OBITUARY: "dead",
    SourceKind.MEDIA: "dead",
    SourceKind.BURIAL_RECORD: "buried",
    SourceKind.DEATH_CERTIFICATE: "dead",
    SourceKind.UNIT_NOTICE: "missing",
    SourceKind.MINISTRY_LETTER: "missing",
    SourceKind.TESTIMONY: "missing",
    SourceKind.OTHER: "missing",
}
RELIABILITY_BY_LIST_KIND: dict[str, str] = {
    SourceKind.PRISONER_LIST: "B",
    SourceKind.EXCHANGE_LIST: "B",
    SourceKind.BURIAL_RECORD: "B",
    SourceKind.DEATH_CERTIFICATE: "A",
    SourceKind.OBITUARY: "C",
    SourceKind.MEDIA: "D",
}
#: New rows per chunk: each chunk is four COPY statements (or executemany batches) and a progress step.
LOAD_CHUNK = 10_000
T = TypeVar("T")
Progress = Callable[[Iterable[T], int], Iterable[T]]


@dataclass(slots=True)
class ImportResult:
    source_id: int
    rows: int
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    already_imported: bool = False
    skipped: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    #: The persons the import created or whose claims it changed (their stored fates were recomputed).
    person_ids: list[int] = field(default_factory=list)


_UKRAINIAN_LETTERS = re.compile("[іїєґІЇЄҐ]")


def _name_fields(values: dict[str, str]) -> tuple[str, str, str, str, str, str]:
    """full_name, surname, given_name, patronymic, script, language of one row."""
    written = values["full_name"] or " ".join(
        v for v in (values["surname"], values["given_name"], values["patronymic"]) if v
    )
    script = str(script_of(written))
    language = ("uk" if _UKRAINIAN_LETTERS.search(written) else "ru") if script == "Cyrl" else ""
    return (
        values["full_name"],
        values["surname"],
        values["given_name"],
        values["patronymic"],
        script,
        language,
    )


def _name_variant(person: Person, values: dict[str, str], source: Source) -> NameVariant:
    full_name, surname, given_name, patronymic, script, language = _name_fields(values)
    return NameVariant(
        person=person,
        full_name=full_name,
        surname=surname,
        given_name=given_name,
        patronymic=patronymic,
        script=script,
        language=language,
        source=source,
        is_primary=True,
    )


def _circumstances(source: Source, record_id: str) -> str:
    """Where a list claim comes from, as the claim's circumstances say it."""
    return f"{source.name}, record {record_id}"


def _claim(person: Person, values: dict[str, str], source: Source, fate: str, record_id: str) -> Claim:
    return Claim(
        person=person,
        source=source,
        fate=fate,
        date=values["event_date"],
        place=values["event_place"],
        circumstances=_circumstances(source, record_id),
    )


def _no_progress(items: Iterable[T], total: int) -> Iterable[T]:
    return items


def import_list(
    path: Path,
    source_kind: str,
    source_name: str,
    *,
    skip_bad_rows: bool = False,
    fate: str | None = None,
    progress: Progress[Any] = _no_progress,
) -> ImportResult:
    """Import one file into the list named ``source_name``; see the module docstring for the guarantees.

    ``progress(chunks, rows)`` wraps the chunks of new rows as they are written (``rows`` is the number
    of rows in the file; a chunk is a list of rows), so a progress bar can count rows per second."""
    if source_kind not in SourceKind.values:
        raise ImportRefused(
            [
                RowError(
                    path.name,
                    0,
                    "",
                    f"unknown source kind '{source_kind}' (use one of: {', '.join(SourceKind.values)})",
                )
            ]
        )
    parsed = read_person_list(path)
    header_or_file_errors = [e for e in parsed.errors if e.row <= 1]
    if header_or_file_errors or (parsed.errors and not skip_bad_rows):
        raise ImportRefused(parsed.errors)
    file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    stated_fate = fate or FATE_BY_LIST_KIND[source_kind]

    with transaction.atomic():
        source, _ = Source.objects.get_or_create(
            kind=source_kind,
            name=source_name,
            reference="list",
            defaults={"origin": path.name, "reliability": RELIABILITY_BY_LIST_KIND.get(source_kind, "C")},
        )
        result = ImportResult(
            source_id=source.pk,
            rows=len(parsed.rows),
            skipped=list(parsed.errors),
            ignored_columns=parsed.ignored_columns,
        )
        if ListImport.objects.filter(source=source, file_sha256=file_hash).exists():
            result.already_imported = True
            result.unchanged = len(parsed.rows)
            return result
        print(f"importing {len(parsed.rows)} rows into '{source_name}'", file=sys.stderr, flush=True)
        existing = {
            record_id: (pk, digest)
            for record_id, pk, digest in ListRecord.objects.filter(source=source).values_list(
                "record_id", "pk", "row_sha256"
            )
        }
        new_rows: list[_NewRow] = []
        changed: list[tuple[int, ListRow]] = []
        for row in parsed.rows:
            row_json = _row_json(row.values)
            digest = hashlib.sha256(row_json.encode()).hexdigest()
            found = existing.get(row.values["record_id"])
            if found is None:
                new_rows.append(_NewRow(row, row_json, digest))
            elif found[1] == digest:
                result.unchanged += 1
            else:
                changed.append((found[0], row))
        for record_pk, row in changed:
            record = ListRecord.objects.select_related("person").get(pk=record_pk)
            _apply_changed_row(record, row, source, stated_fate)
            result.changed += 1
            result.person_ids.append(record.person_id)
        changed_persons = list(result.person_ids)
        outcome = single_claim_outcome(source, stated_fate)
        chunks = [new_rows[i : i + LOAD_CHUNK] for i in range(0, len(new_rows), LOAD_CHUNK)]
        for chunk in progress(chunks, len(new_rows)):
            result.person_ids.extend(_load_new_rows(chunk, source, stated_fate, outcome))
            result.created += len(chunk)
        ListImport.objects.create(
            source=source, file_sha256=file_hash, filename=path.name, rows=len(parsed.rows)
        )
        # A new person has one claim, this list's: its fate is ``outcome``, written with the person.
        # A changed row's person has several: reconciled over all of them.
        store_fates(changed_persons)
        if result.created or result.changed:
            source_id = source.pk
            transaction.on_commit(lambda: _enqueue_linkage(source_id))
    return result


def _enqueue_linkage(source_id: int) -> None:
    """Hand the list's persons to the registry's ``on_person_added`` hooks, as every action that adds
    persons does: record linkage (when installed) links them against the registry in the worker."""
    from kinlink.registry.actions import persons_added

    source = Source.objects.get(pk=source_id)
    person_ids = sorted(
        set(ListRecord.objects.filter(source_id=source_id).values_list("person_id", flat=True))
    )
    persons_added(person_ids, f"list {source.name} (source {source_id})")


@dataclass(frozen=True, slots=True)
class _NewRow:
    row: ListRow
    row_json: str
    digest: str


def _row_json(values: dict[str, str]) -> str:
    """The row as stored in ``ListRecord.row``; its SHA-256 is the row's ``row_sha256``."""
    return json.dumps(values, sort_keys=True, ensure_ascii=False)


def _load_new_rows(
    rows: list[_NewRow], source: Source, fate: str, outcome: tuple[str, str, int]
) -> list[int]:
    """Persons (ids allocated in one statement, the fate written with them), their names, their claims
    and the list records: COPY on PostgreSQL, ``executemany`` on SQLite. Returns the persons."""
    if not rows:
        return []
    now = db_value(Person, "created", timezone.now())
    native_uuid = connection.features.has_native_uuid_field
    person_ids = allocate_ids(Person, len(rows))
    person_fate, confidence, conflicts = outcome
    load_rows(
        Person,
        PERSON_COLUMNS,
        (
            (
                pid,
                uuid.uuid4() if native_uuid else uuid.uuid4().hex,
                "U",
                r.row.values["birth_date"],
                r.row.values["birth_place"],
                "",
                r.row.values["unit"],
                r.row.values["rank"],
                "",
                "",
                "",
                "",
                now,
                person_fate,
                confidence,
                conflicts,
            )
            for pid, r in zip(person_ids, rows, strict=True)
        ),
    )
    load_rows(
        NameVariant,
        NAME_COLUMNS,
        (
            (pid, *_name_fields(r.row.values), source.pk, True)
            for pid, r in zip(person_ids, rows, strict=True)
        ),
    )
    load_rows(
        Claim,
        CLAIM_COLUMNS,
        (
            (
                pid,
                source.pk,
                fate,
                r.row.values["event_date"],
                r.row.values["event_place"],
                _circumstances(source, r.row.values["record_id"]),
                now,
            )
            for pid, r in zip(person_ids, rows, strict=True)
        ),
        encryption_key=source.encryption_key(),
    )
    load_rows(
        ListRecord,
        RECORD_COLUMNS,
        (
            (source.pk, r.row.values["record_id"], pid, r.row_json, r.digest)
            for pid, r in zip(person_ids, rows, strict=True)
        ),
    )
    return person_ids


PERSON_COLUMNS = (
    "id",
    "uid",
    "sex",
    "birth_date",
    "birth_place",
    "service_number",
    "unit",
    "rank",
    "military_branch",
    "region",
    "physical_description",
    "distinguishing_marks",
    "created",
    "fate",
    "fate_confidence",
    "fate_conflicts",
)
NAME_COLUMNS = (
    "person",
    "full_name",
    "surname",
    "given_name",
    "patronymic",
    "script",
    "language",
    "source",
    "is_primary",
)
CLAIM_COLUMNS = ("person", "source", "fate", "date", "place", "circumstances", "created")
RECORD_COLUMNS = ("source", "record_id", "person", "row", "row_sha256")


def _apply_changed_row(record: ListRecord, row: ListRow, source: Source, fate: str) -> None:
    person = record.person
    superseded = Claim.objects.filter(person=person, source=source, retraction__isnull=True)
    ClaimRetraction.objects.bulk_create(
        ClaimRetraction(claim=claim, reason=f"superseded by a new version of record {record.record_id}")
        for claim in superseded
    )
    _claim(person, row.values, source, fate, record.record_id).save()
    variant = _name_variant(person, row.values, source)
    if not NameVariant.objects.filter(
        person=person,
        full_name=variant.full_name,
        surname=variant.surname,
        given_name=variant.given_name,
        patronymic=variant.patronymic,
    ).exists():
        variant.is_primary = False
        variant.save()
    record.row = row.values
    record.row_sha256 = hashlib.sha256(_row_json(row.values).encode()).hexdigest()
    record.save(update_fields=["row", "row_sha256"])
