"""Multi-row INSERT for bulk imports, without the ORM's per-object overhead.

Callers pass values already in database form (use :func:`db_value` for fields that need conversion).
Runs inside the caller's transaction, so atomicity is unchanged. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

SQLITE_MAX_PARAMS = 30_000
POSTGRES_MAX_PARAMS = 60_000


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
