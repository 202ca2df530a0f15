"""Safe public aggregates: counts and cross-tabulations with small-cell and complementary suppression.

Published figures must not single out a family. The rules applied here:

* **No identifying fields.** Tables can only be built on coarse categories (region, month, fate, legal
  status, source kind, military branch or unit type...). Fields that identify a person (names, service
  numbers, dates of birth, contact details, keys) are refused.
* **No small units.** For group fields such as a military unit, a category with fewer than ``min_group``
  people (default 50) is pooled into one "other" category before anything is counted.
* **Small-cell suppression.** A cell (or margin) with ``0 < count < threshold`` (default 10) is withheld.
* **Complementary suppression.** Further cells are withheld until no withheld cell can be recovered from
  the published cells and the row, column and grand totals. This is checked, not assumed: for every
  withheld cell a linear programme finds the smallest and largest value consistent with everything
  published (the attack of an analyst with the table and non-negativity); every withheld cell needs a range
  of at least one person (a primary cell at least ``protection``, default 1: never recovered exactly).
* **Differential privacy (optional).** With ``epsilon`` every cell gets Laplace noise of scale ``1/ε``
  (one person is in one cell, so the table has sensitivity 1), rounded and clipped at zero; totals are
  sums of noisy cells. Suppression then runs on the noisy table (post-processing keeps the guarantee).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

DEFAULT_THRESHOLD = 10
DEFAULT_MIN_GROUP = 50
OTHER = "other"
MISSING = "unknown"

IDENTIFYING_FIELDS = frozenset(
    {
        "name",
        "names",
        "full_name",
        "given_name",
        "first_name",
        "family_name",
        "last_name",
        "surname",
        "patronymic",
        "person",
        "person_key",
        "person_id",
        "id",
        "service_number",
        "birth_date",
        "date_of_birth",
        "address",
        "phone",
        "email",
        "contact",
        "passport",
        "tax_id",
        "enquirer",
        "relative",
        "sample_code",
    }
)
GROUP_FIELDS = frozenset({"unit", "military_unit", "unit_name", "brigade", "battalion", "company"})

STANDARD_TABLES: tuple[tuple[str, str], ...] = (
    ("region", "month"),
    ("region", "fate"),
    ("region", "legal_status"),
    ("month", "fate"),
    ("fate", "legal_status"),
    ("source_kind", "fate"),
    ("branch", "fate"),
    ("unit_type", "fate"),
)
"""The cross-tabulations published by default (row field, column field)."""


class DisclosureError(ValueError):
    """A request that would publish identifying information."""


@dataclass(frozen=True)
class PublishedTable:
    """A table ready for publication; ``None`` marks a withheld cell or total."""

    row_field: str
    col_field: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    col_totals: tuple[int | None, ...]
    total: int | None
    threshold: int
    epsilon: float | None
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.row_field,
            "columns": self.col_field,
            "row_labels": list(self.rows),
            "column_labels": list(self.cols),
            "cells": [list(r) for r in self.cells],
            "row_totals": list(self.row_totals),
            "column_totals": list(self.col_totals),
            "total": self.total,
            "suppression_threshold": self.threshold,
            "epsilon": self.epsilon,
            "notes": list(self.notes),
        }

    def extended(self) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """(values, withheld) of the table with totals as last row and column; withheld values are 0."""
        r, c = len(self.rows), len(self.cols)
        vals = np.zeros((r + 1, c + 1))
        hidden = np.zeros((r + 1, c + 1), dtype=bool)
        for i in range(r):
            for j in range(c):
                v = self.cells[i][j]
                hidden[i, j] = v is None
                vals[i, j] = 0 if v is None else v
        for i, v in enumerate(self.row_totals):
            hidden[i, c] = v is None
            vals[i, c] = 0 if v is None else v
        for j, v in enumerate(self.col_totals):
            hidden[r, j] = v is None
            vals[r, j] = 0 if v is None else v
        hidden[r, c] = self.total is None
        vals[r, c] = 0 if self.total is None else self.total
        return vals, hidden


def _check_field(name: str) -> None:
    if name.lower() in IDENTIFYING_FIELDS:
        raise DisclosureError(f"field {name!r} identifies people and is never published")


def _label(value: object) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return MISSING
    return str(value)


def _categories(records: Sequence[Mapping[str, object]], name: str, min_group: int) -> list[str]:
    labels = [_label(r.get(name)) for r in records]
    if name.lower() in GROUP_FIELDS:
        sizes: dict[str, int] = {}
        for lab in labels:
            sizes[lab] = sizes.get(lab, 0) + 1
        labels = [lab if sizes[lab] >= min_group else f"{OTHER} (groups under {min_group})" for lab in labels]
    return labels


def crosstab(
    records: Iterable[Mapping[str, object]],
    row_field: str,
    col_field: str,
    min_group: int = DEFAULT_MIN_GROUP,
) -> tuple[tuple[str, ...], tuple[str, ...], NDArray[np.int64]]:
    """Count records by two fields (labels sorted; missing values are ``unknown``; small groups pooled)."""
    _check_field(row_field)
    _check_field(col_field)
    recs = list(records)
    rlab = _categories(recs, row_field, min_group)
    clab = _categories(recs, col_field, min_group)
    rows = tuple(sorted(set(rlab)))
    cols = tuple(sorted(set(clab)))
    ri = {v: i for i, v in enumerate(rows)}
    ci = {v: j for j, v in enumerate(cols)}
    table = np.zeros((len(rows), len(cols)), dtype=np.int64)
    for a, b in zip(rlab, clab, strict=True):
        table[ri[a], ci[b]] += 1
    return rows, cols, table


def _lines(r: int, c: int) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """Additive lines of the extended table: (inner cells, total cell)."""
    out = []
    for i in range(r + 1):
        out.append(([(i, j) for j in range(c)], (i, c)))
    for j in range(c + 1):
        out.append(([(i, j) for i in range(r)], (r, j)))
    return out


def _equations(
    values: NDArray[np.float64], hidden: NDArray[np.bool_]
) -> tuple[list[tuple[int, int]], NDArray[np.float64], NDArray[np.float64]]:
    """Linear equations ``A x = b`` that the withheld cells ``x`` of an extended table satisfy."""
    r, c = values.shape[0] - 1, values.shape[1] - 1
    unknown = [(int(i), int(j)) for i, j in np.argwhere(hidden)]
    index = {ij: k for k, ij in enumerate(unknown)}
    a_rows, b = [], []
    for inner, total in _lines(r, c):
        coef = np.zeros(len(unknown))
        rhs = 0.0
        for ij in inner:
            if ij in index:
                coef[index[ij]] += 1
            else:
                rhs -= values[ij]
        if total in index:
            coef[index[total]] -= 1
        else:
            rhs += values[total]
        if np.any(coef):
            a_rows.append(coef)
            b.append(rhs)
    a = np.array(a_rows) if a_rows else np.zeros((0, len(unknown)))
    return unknown, a, np.array(b)


def determined_cells(values: NDArray[np.float64], hidden: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Withheld cells fixed by the published totals alone (no freedom in the null space of the equations).

    Fast structural check used before the linear-programming audit.
    """
    unknown, a, _ = _equations(values, hidden)
    if not unknown:
        return []
    if a.shape[0] == 0:
        return []
    _, sing, vt = np.linalg.svd(a, full_matrices=True)
    rank = int(np.sum(sing > 1e-9 * max(1.0, float(sing.max()))))
    null = vt[rank:]
    free = np.linalg.norm(null, axis=0) > 1e-9 if len(null) else np.zeros(len(unknown), dtype=bool)
    return [ij for ij, f in zip(unknown, free, strict=True) if not f]


def attack_intervals(
    values: NDArray[np.float64], hidden: NDArray[np.bool_]
) -> dict[tuple[int, int], tuple[float, float]]:
    """The tightest range of every withheld cell given everything published (linear programming).

    ``values`` and ``hidden`` describe the extended table (totals as the last row and column). This is what
    an attacker can learn; tests use it to try to reconstruct withheld cells.
    """
    from scipy import optimize  # here, not at the top: the registry imports this module's constants

    unknown, a, b = _equations(values, hidden)
    if not unknown:
        return {}
    index = {ij: k for k, ij in enumerate(unknown)}
    a_eq = a if len(a) else None
    b_eq = b if len(b) else None
    out = {}
    for ij, k in index.items():
        obj = np.zeros(len(unknown))
        obj[k] = 1.0
        lo = optimize.linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = optimize.linprog(-obj, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        lo_v = float(lo.fun) if lo.status == 0 else 0.0
        hi_v = float(-hi.fun) if hi.status == 0 else float("inf")
        out[ij] = (lo_v, hi_v)
    return out


def suppress(
    table: NDArray[np.int64] | NDArray[np.float64], threshold: int = DEFAULT_THRESHOLD, protection: int = 1
) -> NDArray[np.bool_]:
    """Withheld cells of the extended table (cells, then row totals, column totals and grand total).

    Primary suppression withholds counts in ``1 .. threshold-1`` (cells and totals). Complementary
    suppression then withholds more cells until the linear-programming attack leaves every primary cell a
    range of at least ``protection`` and every other withheld cell a range of at least one.
    """
    t = np.asarray(table, dtype=np.float64)
    r, c = t.shape
    ext = np.zeros((r + 1, c + 1))
    ext[:r, :c] = t
    ext[:r, c] = t.sum(axis=1)
    ext[r, :c] = t.sum(axis=0)
    ext[r, c] = t.sum()
    primary = (ext > 0) & (ext < threshold)
    hidden = primary.copy()
    lines = _lines(r, c)

    def add_partner(line_cells: list[tuple[int, int]]) -> bool:
        """Withhold the smallest visible positive cell of a line (inner cells before totals)."""
        cand = [ij for ij in line_cells if not hidden[ij] and ext[ij] > 0]
        if not cand:
            cand = [ij for ij in line_cells if not hidden[ij]]
        if not cand:
            return False
        # inner cells before totals; among them the smallest count that still gives the protection range
        best = sorted(cand, key=lambda ij: (ij[0] == r or ij[1] == c, ext[ij] < protection, ext[ij]))
        hidden[best[0]] = True
        return True

    for _ in range(4 * (r + 1) * (c + 1)):
        changed = False
        # every line with a withheld cell needs at least two
        for inner, total in lines:
            cells = [*inner, total]
            if sum(hidden[ij] for ij in cells) == 1:
                changed |= add_partner(cells)
        if changed:
            continue
        fixed = determined_cells(ext, hidden)
        if fixed:
            touched_rows: set[int] = set()
            for i, j in fixed:
                if i not in touched_rows:
                    touched_rows.add(i)
                    if not add_partner([(i, jj) for jj in range(c + 1)]):
                        add_partner([(ii, j) for ii in range(r + 1)])
            continue
        exposed = []
        for ij, (lo, hi) in attack_intervals(ext, hidden).items():
            need = protection if primary[ij] else 1
            if hi - lo < need - 1e-9:
                exposed.append(ij)
        if not exposed:
            return hidden
        progress = False
        touched: set[int] = set()
        for i, j in exposed:
            if i in touched:
                continue
            touched.add(i)
            row_line = [(i, jj) for jj in range(c + 1)]
            col_line = [(ii, j) for ii in range(r + 1)]
            progress |= add_partner(row_line) or add_partner(col_line)
        if not progress:
            break
    # could not protect the table by partial suppression: withhold every cell and total
    return np.ones_like(hidden)


def publish_crosstab(
    records: Iterable[Mapping[str, object]],
    row_field: str,
    col_field: str,
    threshold: int = DEFAULT_THRESHOLD,
    protection: int = 1,
    min_group: int = DEFAULT_MIN_GROUP,
    epsilon: float | None = None,
    rng: np.random.Generator | None = None,
) -> PublishedTable:
    """Cross-tabulate, optionally add Laplace noise (ε-differential privacy), and suppress small cells."""
    if threshold < 1:
        raise ValueError("the suppression threshold must be at least 1")
    rows, cols, table = crosstab(records, row_field, col_field, min_group)
    notes = []
    values = table.astype(np.float64)
    if epsilon is not None:
        if epsilon <= 0:
            raise ValueError("epsilon must be positive")
        gen = rng if rng is not None else np.random.default_rng()
        values = np.maximum(np.rint(values + gen.laplace(0.0, 1.0 / epsilon, size=values.shape)), 0.0)
        notes.append(f"Laplace noise, epsilon = {epsilon:g} per table; totals are sums of noisy cells")
    hidden = suppress(values, threshold, protection)
    r, c = values.shape
    ext = np.zeros((r + 1, c + 1))
    ext[:r, :c] = values
    ext[:r, c] = values.sum(axis=1)
    ext[r, :c] = values.sum(axis=0)
    ext[r, c] = values.sum()
    n_hidden = int(hidden[:r, :c].sum())
    if n_hidden:
        notes.append(f"{n_hidden} cells withheld (fewer than {threshold} people, or to protect such cells)")

    def show(i: int, j: int) -> int | None:
        return None if hidden[i, j] else int(ext[i, j])

    return PublishedTable(
        row_field=row_field,
        col_field=col_field,
        rows=rows,
        cols=cols,
        cells=tuple(tuple(show(i, j) for j in range(c)) for i in range(r)),
        row_totals=tuple(show(i, c) for i in range(r)),
        col_totals=tuple(show(r, j) for j in range(c)),
        total=show(r, c),
        threshold=threshold,
        epsilon=epsilon,
        notes=tuple(notes),
    )


def publish_counts(
    records: Iterable[Mapping[str, object]],
    field_name: str,
    threshold: int = DEFAULT_THRESHOLD,
    min_group: int = DEFAULT_MIN_GROUP,
    epsilon: float | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, int | None]:
    """One-way counts with the same rules; the key ``total`` holds the (possibly withheld) total."""
    recs = [{**r, "_all": "total"} for r in records]
    tab = publish_crosstab(recs, field_name, "_all", threshold, 1, min_group, epsilon, rng)
    out: dict[str, int | None] = {row: tab.cells[i][0] for i, row in enumerate(tab.rows)}
    out["total"] = tab.total
    return out


def publish_standard(
    records: Iterable[Mapping[str, object]],
    threshold: int = DEFAULT_THRESHOLD,
    epsilon: float | None = None,
    rng: np.random.Generator | None = None,
) -> list[PublishedTable]:
    """The standard tables (:data:`STANDARD_TABLES`) for the fields present in the records."""
    recs = list(records)
    present = {k for r in recs for k in r}
    return [
        publish_crosstab(recs, a, b, threshold, epsilon=epsilon, rng=rng)
        for a, b in STANDARD_TABLES
        if a in present and b in present
    ]
