"""Multi-row INSERT for bulk imports, without the ORM's per-object overhead.

Callers pass values already in database form (use :func:`db_value` for fields that need conversion).
Runs inside the caller's transaction, so atomicity is unchanged. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.dispatch import Signal

from kinlink.registry.crypto import encrypt_many, instance_key
from kinlink.registry.fields import Ciphertext, EncryptedTextField

if TYPE_CHECKING:
    from kinlink.registry.models import DataKey

SQLITE_MAX_PARAMS = 30_000
POSTGRES_MAX_PARAMS = 60_000
#: Rows per multi-row ``INSERT`` on SQLite (fewer when that would pass ``SQLITE_MAX_PARAMS`` values).
SQLITE_ROWS_PER_INSERT = 100
#: SQLite page cache while loading (negative: KiB), 128 MiB.
SQLITE_LOAD_CACHE_KIB = -131_072


def _column(model: type[models.Model], field_name: str) -> str:
    field = model._meta.get_field(field_name)
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise ValueError(f"{model.__name__}.{field_name} is not a concrete column")
    return column


def db_value(model: type[models.Model], field_name: str, value: Any) -> Any:
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.Field):
        raise ValueError(f"{model.__name__}.{field_name} is not a concrete field")
    return field.get_db_prep_save(value, connection)


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning_pk: bool = False,
) -> list[int]:
    """Insert ``rows`` (tuples in ``columns`` order) and return the new primary keys when asked, in order."""
    if not rows:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    column_sql = ", ".join(quote(_column(model, c)) for c in columns)
    limit = SQLITE_MAX_PARAMS if connection.vendor == "sqlite" else POSTGRES_MAX_PARAMS
    per_chunk = max(1, limit // len(columns))
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    returning = f" RETURNING {quote(_column(model, 'id'))}" if returning_pk else ""
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            values_sql = ", ".join([placeholder] * len(chunk))
            sql = f"INSERT INTO {quote(meta.db_table)} ({column_sql}) VALUES {values_sql}"
            params = [value for row in chunk for value in row]
            cursor.execute(sql + returning, params)
            if returning_pk:
                ids.extend(int(r[0]) for r in cursor.fetchall())
    return ids


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys of ``model``, reserved in one statement, for rows written by
    :func:`load_rows` with their ids. PostgreSQL: from the column's sequence (safe under concurrency).
    SQLite: above the largest id ever given (the table's AUTOINCREMENT counter included); the caller's
    transaction holds the write lock (``transaction_mode`` IMMEDIATE), so nobody else takes them."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = _column(model, "id")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), pk, count],
            )
            return [int(r[0]) for r in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")
        highest = int(cursor.fetchone()[0])
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
        if cursor.fetchone() is not None:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row is not None:
                highest = max(highest, int(row[0]))
    return list(range(highest + 1, highest + 1 + count))


#: Sent after :func:`load_rows` wrote rows (``sender``: the model): PostgreSQL's ``COPY`` and SQLite's inserts
#: on the sqlite3 connection run past Django's execute wrappers, so what watches the domain's writes (the
#: consoles' cached fragments) listens here.
rows_loaded = Signal()


def load_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    encryption_key: DataKey | None = None,
) -> None:
    """Write many rows (tuples in ``columns`` order, values in database form) in the caller's transaction:
    ``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3), multi-row ``INSERT``s of a hundred rows on SQLite.

    Values of encrypted columns (``EncryptedTextField``) are given in plain text and written encrypted
    with ``encryption_key``: the key the rows' owner gives (``encryption_key()`` of a model instance,
    e.g. a claim's source's key), the instance's key when None, as the field would encrypt them."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_sql = ", ".join(quote(_column(model, c)) for c in columns)
    rows = _encrypting(model, columns, rows, encryption_key)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg's errors come out as Django's, as from the cursor's own execute.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            rows_loaded.send(sender=model)
            return
        # The indexes of a large table are updated in a page cache big enough to hold them, then the
        # connection's own setting is restored.
        cursor.execute("PRAGMA cache_size")
        cache_size = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {SQLITE_LOAD_CACHE_KIB}")
        try:
            _sqlite_insert(f"INSERT INTO {table} ({column_sql}) VALUES ", len(columns), rows)
        finally:
            cursor.execute(f"PRAGMA cache_size = {cache_size}")
    rows_loaded.send(sender=model)


def _sqlite_insert(head: str, width: int, rows: Iterable[Sequence[Any]]) -> None:
    """Multi-row ``INSERT ... VALUES (...), (...)`` of ``SQLITE_ROWS_PER_INSERT`` rows at a time, on the
    sqlite3 connection itself: one statement text for every full batch, so sqlite3 compiles it once and
    each batch is one step; executemany steps once per row, and Django's cursor rewrites every ``%s`` of
    the text. Errors come out as Django's (``IntegrityError`` and the rest), as from a cursor."""
    placeholder = "(" + ", ".join(["?"] * width) + ")"
    per_insert = max(1, min(SQLITE_ROWS_PER_INSERT, SQLITE_MAX_PARAMS // width))
    full = head + ", ".join([placeholder] * per_insert)
    raw = connection.connection
    rows = iter(rows)
    with connection.wrap_database_errors:
        while batch := list(islice(rows, per_insert)):
            sql = full if len(batch) == per_insert else head + ", ".join([placeholder] * len(batch))
            raw.execute(sql, list(chain.from_iterable(batch)))


def _encrypting(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    encryption_key: DataKey | None,
) -> Iterable[Sequence[Any]]:
    """The rows with every value of an encrypted column (``EncryptedTextField``) encrypted with
    ``encryption_key`` (the instance's key when None), as the field encrypts it on save: the bulk path
    never writes plain text where the ORM would write ciphertext. The key is looked up and unwrapped once
    for all the rows (not once per value)."""
    encrypted = [i for i, c in enumerate(columns) if isinstance(model._meta.get_field(c), EncryptedTextField)]
    if not encrypted:
        return rows
    # Looked up, and the values encrypted, before the COPY starts: looking up the key may read (or create)
    # its row, and a query on the connection while it is sending COPY data would wait for ever (the server
    # waits for the data).
    key = encryption_key if encryption_key is not None else instance_key()
    table = [tuple(row) for row in rows]
    for i in encrypted:
        todo = [
            n
            for n, row in enumerate(table)
            if row[i] is not None and row[i] != "" and not isinstance(row[i], Ciphertext)
        ]
        for n, value in zip(todo, encrypt_many(key, [str(table[n][i]) for n in todo]), strict=True):
            row = table[n]
            table[n] = (*row[:i], value, *row[i + 1 :])
    return table
