"""``kinlink import-list``: a person list becomes a Source, its rows ListRecords, Persons and Claims.

Atomic: everything happens in one database transaction, so a refused file, an exception or a
``kill -9`` leaves the database as it was. Idempotent: a file already imported into a list changes
nothing, and so does a row whose content is unchanged. A changed row (same ``record_id``, new
content) adds a claim and retracts the one the old row made, so the history stays on record.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, TypeVar

from django.db import connection, transaction
from django.utils import timezone

from kinlink.lib.personlist import PERSON_LIST_COLUMNS
from kinlink.registry.crypto import encrypter
from kinlink.registry.fields import Ciphertext
from kinlink.registry.models import (
    _CYRILLIC,  # the letters script_of counts
    _LATIN,
    Claim,
    ClaimRetraction,
    ListImport,
    ListRecord,
    NameVariant,
    Person,
    Script,
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
#: New rows per chunk: each chunk is four COPY statements (or multi-row INSERTs) and a progress step.
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
    script, language = _script_and_language(written)
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
    of new rows; ``len`` of a chunk is its number of rows), so a progress bar can count rows per second."""
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
            rows=len(parsed),
            skipped=list(parsed.errors),
            ignored_columns=parsed.ignored_columns,
        )
        if ListImport.objects.filter(source=source, file_sha256=file_hash).exists():
            result.already_imported = True
            result.unchanged = len(parsed)
            return result
        print(f"importing {len(parsed)} rows into '{source_name}'", file=sys.stderr, flush=True)
        rows = _Rows(parsed.columns)
        existing = {
            record_id: (pk, digest)
            for record_id, pk, digest in ListRecord.objects.filter(source=source).values_list(
                "record_id", "pk", "row_sha256"
            )
        }
        new_rows: Sequence[int] = range(len(parsed))  # a first import: every row is new
        changed: list[tuple[int, int]] = []
        if existing:
            new_rows = []
            for index, (record_id, digest) in enumerate(zip(rows.record_ids, rows.digests, strict=True)):
                found = existing.get(record_id)
                if found is None:
                    new_rows.append(index)
                elif found[1] == digest:
                    result.unchanged += 1
                else:
                    changed.append((found[0], index))
        for record_pk, index in changed:
            record = ListRecord.objects.select_related("person").get(pk=record_pk)
            _apply_changed_row(record, parsed.row(index), source, stated_fate)
            result.changed += 1
            result.person_ids.append(record.person_id)
        changed_persons = list(result.person_ids)
        load = _Load(source, stated_fate, single_claim_outcome(source, stated_fate))
        person_ids = allocate_ids(Person, len(new_rows))
        starts = range(0, len(new_rows), LOAD_CHUNK)
        chunks = [new_rows[i : i + LOAD_CHUNK] for i in starts]
        id_chunks = [person_ids[i : i + LOAD_CHUNK] for i in starts]
        # PostgreSQL checks the foreign keys of each chunk's rows as its COPY ends, while the next chunk
        # is prepared, instead of all of them at the commit (Django's constraints are deferred); the same
        # checks, restored to deferred for the rest of the transaction. (After an error the transaction
        # rolls back, which ends the setting too.)
        immediate = connection.vendor == "postgresql" and bool(chunks)
        if immediate:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for prepared in progress(_prepared_chunks(load, rows, chunks, id_chunks), len(new_rows)):
            load.write(prepared)
            result.person_ids.extend(prepared.person_ids)
            result.created += len(prepared.person_ids)
        if immediate:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        ListImport.objects.create(source=source, file_sha256=file_hash, filename=path.name, rows=len(parsed))
        # A new person has one claim, this list's: its fate is ``outcome``, written with the person.
        # A changed row's person has several: reconciled over all of them.
        store_fates(changed_persons)
        if result.created or result.changed:
            source_id = source.pk
            transaction.on_commit(lambda: _enqueue_linkage(source_id))
    return result


def _prepared_chunks(
    load: _Load, rows: _Rows, chunks: list[Sequence[int]], id_chunks: list[list[int]]
) -> Iterator[_Prepared]:
    """Each chunk prepared for writing. On PostgreSQL one thread prepares chunk k + 1 (the rows of the four
    tables, circumstances encrypted) while the server writes chunk k and checks its foreign keys: that
    thread never touches the database, whose connection is this thread's. On SQLite the writing is this
    process's own work, which holds the interpreter's lock while it binds values: the two threads would
    only take turns (measured: 5.7 to 6.0 s for 10^5 rows against 5.5 s one after the other), so each
    chunk is prepared just before it is written."""
    if connection.vendor != "postgresql":
        for chunk, person_ids in zip(chunks, id_chunks, strict=True):
            yield load.prepare(rows, chunk, person_ids)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-prepare") as pool:
        pending: Future[_Prepared] | None = None
        for chunk, person_ids in zip(chunks, id_chunks, strict=True):
            if pending is None:
                pending = pool.submit(load.prepare, rows, chunk, person_ids)
                continue
            following = pool.submit(load.prepare, rows, chunk, person_ids)
            yield pending.result()
            pending = following
        if pending is not None:
            yield pending.result()


def _enqueue_linkage(source_id: int) -> None:
    """Hand the list's persons to the registry's ``on_person_added`` hooks, as every action that adds
    persons does: record linkage (when installed) links them against the registry in the worker. They go
    as a query of their ids, so that a hook queues 10^5 persons in one statement."""
    from kinlink.registry.actions import persons_added

    source = Source.objects.get(pk=source_id)
    records = ListRecord.objects.filter(source_id=source_id)
    persons = records.values_list("person_id", flat=True).distinct().order_by()
    persons_added(persons, f"list {source.name} (source {source_id})")


def _row_json(values: dict[str, str]) -> str:
    """The row as stored in ``ListRecord.row``; its SHA-256 is the row's ``row_sha256``."""
    return json.dumps(values, sort_keys=True, ensure_ascii=False)


#: One row of ``rows_json``: the columns in sorted order, as ``json.dumps(..., sort_keys=True)`` writes them.
_ROW_COLUMNS = sorted(PERSON_LIST_COLUMNS)
_ROW_TEMPLATE = "{" + ", ".join(f"{json.dumps(c)}: %s" for c in _ROW_COLUMNS) + "}"


def rows_json(columns: dict[str, list[str]]) -> list[str]:
    """``_row_json`` of every row of a list given column by column: each value encoded by the JSON
    encoder's own string function a column at a time, then one formatting per row (the same text)."""
    encoded = [list(map(encode_basestring, columns[c])) for c in _ROW_COLUMNS]
    return [_ROW_TEMPLATE % row for row in zip(*encoded, strict=True)]


class _Rows:
    """The good rows of a list, column by column, with the JSON of each row and its SHA-256."""

    def __init__(self, columns: dict[str, list[str]]) -> None:
        self.columns = columns
        self.record_ids = columns["record_id"]
        self.json = rows_json(columns)
        self.digests = [hashlib.sha256(text.encode()).hexdigest() for text in self.json]

    def take(self, column: str, chunk: Sequence[int]) -> list[str]:
        return _take(self.columns[column], chunk)


def _take(values: list[T], chunk: Sequence[int]) -> list[T]:
    """The values at ``chunk``'s positions: a slice when the chunk is a range (every row new)."""
    if isinstance(chunk, range) and chunk.step == 1:
        return values[chunk.start : chunk.stop]
    return [values[i] for i in chunk]


def _script_and_language(written: str) -> tuple[str, str]:
    """The script of a name as written, and its language when Cyrillic (Ukrainian letters or not)."""
    script = str(script_of(written))
    language = ("uk" if _UKRAINIAN_LETTERS.search(written) else "ru") if script == "Cyrl" else ""
    return script, language


class _Words:
    """``_script_and_language`` of many names from the letters of their words, each distinct word
    counted once (a list of 10^5 names has 10^5 distinct names but a few thousand distinct words).
    The same answer: the script compares the counts of Cyrillic and Latin letters, which add up over the
    words (the spaces between them are neither), and the language looks for a Ukrainian letter."""

    def __init__(self) -> None:
        self.counts: dict[str, tuple[int, int, bool]] = {}

    def _count(self, word: str) -> tuple[int, int, bool]:
        counted = (
            len(_CYRILLIC.findall(word)),
            len(_LATIN.findall(word)),
            _UKRAINIAN_LETTERS.search(word) is not None,
        )
        self.counts[word] = counted
        return counted

    def script_and_language(self, name: str) -> tuple[str, str]:
        cyrillic = latin = 0
        ukrainian = False
        counts = self.counts
        for word in name.split():
            c, la, uk = counts.get(word) or self._count(word)
            cyrillic += c
            latin += la
            ukrainian = ukrainian or uk
        if cyrillic == latin == 0:
            return str(Script.OTHER), ""
        if cyrillic >= latin:
            return str(Script.CYRILLIC), "uk" if ukrainian else "ru"
        return str(Script.LATIN), ""


def random_uids(count: int) -> list[str]:
    """``uuid.uuid4().hex`` of ``count`` new persons from one read of the system's random source: the
    same bits (122 random, version 4, the RFC 4122 variant) at a quarter of the cost."""
    raw = os.urandom(16 * count)
    clear = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
    mark = (0x8000 << 48) | (4 << 76)
    return [
        f"{(int.from_bytes(raw[k : k + 16], 'big') & clear) | mark:032x}" for k in range(0, 16 * count, 16)
    ]


class _Load:
    """Writes chunks of new rows: persons (ids allocated in one statement, the fate written with them),
    their names, their claims and the list records; COPY on PostgreSQL, multi-row INSERTs on SQLite.

    Column by column: a value every row shares is repeated, not computed per row, and the script and
    language of a name are found once per distinct name."""

    def __init__(self, source: Source, fate: str, outcome: tuple[str, str, int]) -> None:
        self.source = source
        self.fate = fate
        self.outcome = outcome
        self.now = db_value(Person, "created", timezone.now())
        self.circumstances_prefix = _circumstances(source, "")
        self.key = source.encryption_key()
        self.encrypt = encrypter(self.key)  # the key looked up here, in the import's thread
        self.scripts: dict[str, tuple[str, str]] = {}
        self.words = _Words()

    def prepare(self, rows: _Rows, chunk: Sequence[int], person_ids: list[int]) -> _Prepared:
        """The rows of the four tables for the list rows at ``chunk``'s positions and their new persons'
        ids, in database form, circumstances encrypted. No database access: it runs in another thread."""
        count = len(chunk)
        source_id = self.source.pk
        person_fate, confidence, conflicts = self.outcome
        persons = list(
            zip(
                person_ids,
                random_uids(count),
                repeat("U"),
                rows.take("birth_date", chunk),
                rows.take("birth_place", chunk),
                repeat(""),
                rows.take("unit", chunk),
                rows.take("rank", chunk),
                repeat(""),
                repeat(""),
                repeat(""),
                repeat(""),
                repeat(self.now),
                repeat(person_fate),
                repeat(confidence),
                repeat(conflicts),
            )
        )
        names = [rows.take(c, chunk) for c in ("full_name", "surname", "given_name", "patronymic")]
        written = [
            full or " ".join(part for part in parts if part) for full, *parts in zip(*names, strict=True)
        ]
        scripts = self.scripts
        for name in set(written).difference(scripts):
            scripts[name] = self.words.script_and_language(name)
        script_language = list(map(scripts.__getitem__, written))
        name_rows = list(
            zip(
                person_ids,
                *names,
                [script for script, _ in script_language],
                [language for _, language in script_language],
                repeat(source_id),
                repeat(True),
            )
        )
        record_ids = rows.take("record_id", chunk)
        prefix = self.circumstances_prefix
        circumstances = map(Ciphertext, self.encrypt([prefix + record_id for record_id in record_ids]))
        claims = list(
            zip(
                person_ids,
                repeat(source_id),
                repeat(self.fate),
                rows.take("event_date", chunk),
                rows.take("event_place", chunk),
                circumstances,
                repeat(self.now),
            )
        )
        records = list(
            zip(
                repeat(source_id),
                record_ids,
                person_ids,
                _take(rows.json, chunk),
                _take(rows.digests, chunk),
            )
        )
        return _Prepared(person_ids, persons, name_rows, claims, records)

    def write(self, prepared: _Prepared) -> None:
        """Write one prepared chunk: persons, their names, their claims and the list records."""
        if not prepared.person_ids:
            return
        load_rows(Person, PERSON_COLUMNS, prepared.persons)
        load_rows(NameVariant, NAME_COLUMNS, prepared.names)
        load_rows(Claim, CLAIM_COLUMNS, prepared.claims, encryption_key=self.key)
        load_rows(ListRecord, RECORD_COLUMNS, prepared.records)


@dataclass(slots=True)
class _Prepared:
    """One chunk's rows of the four tables, in their columns' order (``*_COLUMNS``)."""

    person_ids: list[int]
    persons: list[tuple[Any, ...]]
    names: list[tuple[Any, ...]]
    claims: list[tuple[Any, ...]]
    records: list[tuple[Any, ...]]

    def __len__(self) -> int:
        """The chunk's number of rows (a progress bar counts them)."""
        return len(self.person_ids)


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
