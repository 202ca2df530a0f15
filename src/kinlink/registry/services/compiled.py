"""Queries Django compiles once per process, for checks that run on every view.

Turning a queryset into SQL (resolving lookups, joins and subqueries) costs Django about a millisecond for
the access check of a case: more than the database takes to answer it, and most of what a kept page costs.
A :class:`CompiledQuery` asks Django for the SQL of its queryset once, built with marker numbers in place of
the integer values that change from call to call (a member's id, a case's id), and then runs that SQL with
each call's values put where the markers were. The SQL is Django's own, from the one definition of the
queryset: nothing is written by hand, and a change to the definition is a change to the compiled query.

It refuses to keep a compilation it cannot trust: each marker must appear among the parameters and never in
the SQL text (where Django would have written it as a literal); otherwise every call compiles the queryset
again, as an ordinary queryset would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import QuerySet

#: The markers: negative numbers far from any primary key or count a query could hold.
_MARKER_BASE = -7_346_019_582_113_000_000


def _markers(arity: int) -> list[int]:
    return [_MARKER_BASE - n for n in range(arity)]


class CompiledQuery:
    """``build(*values)`` (a queryset of integer ``values``) compiled once per database alias."""

    def __init__(self, build: Callable[..., QuerySet[Any]], arity: int) -> None:
        self.build = build
        self.arity = arity
        self._compiled: dict[str, tuple[str, list[Any], list[int | None]] | None] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple[str, list[Any], list[int | None]] | None:
        markers = _markers(self.arity)
        sql, given = self.build(*markers).query.get_compiler(using=alias).as_sql()
        params = list(given)
        slots: list[int | None] = [
            markers.index(p) if type(p) is int and p in markers else None for p in params
        ]
        found = {slot for slot in slots if slot is not None}
        if found != set(range(self.arity)) or any(str(m).lstrip("-") in sql for m in markers):
            return None
        return sql, params, slots

    def sql(self, *values: int, using: str = "default") -> tuple[str, list[Any]]:
        """The SQL and parameters of ``build(*values)``."""
        if len(values) != self.arity:
            raise TypeError(f"expected {self.arity} values, got {len(values)}")
        if any(type(v) is not int for v in values):
            raise TypeError("a compiled query takes integers only")
        if using not in self._compiled:
            with self._lock:
                if using not in self._compiled:
                    self._compiled[using] = self._compile(using)
        compiled = self._compiled[using]
        if compiled is None:
            sql, given = self.build(*values).query.get_compiler(using=using).as_sql()
            return sql, list(given)
        sql, params, slots = compiled
        return sql, [p if slot is None else values[slot] for p, slot in zip(params, slots, strict=True)]

    def rows(self, *values: int, using: str = "default") -> Sequence[tuple[Any, ...]]:
        """The rows ``build(*values)`` selects, as tuples of database values (no model objects)."""
        sql, params = self.sql(*values, using=using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
