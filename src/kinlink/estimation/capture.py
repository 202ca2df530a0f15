"""Capture histories: reading them, building them from linked persons, merging derived lists, perturbing
links.

A *capture history* says on which lists one person appears (a 0/1 vector, one entry per list).
Multiple-systems estimation works on the number of distinct people with each history. The all-zero
history (people on no list) is never observed: estimating it is the job.

Conventions: histories are stored for all ``2**t - 1`` non-zero patterns, history ``h`` (1 <= h < 2**t) has
list ``j`` on it when bit ``j`` of ``h`` is set. Counts are people (floats, so that resampled or scaled
tables stay valid).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


class CaptureDataError(ValueError):
    """Input that cannot be turned into capture histories; the message says where and why."""


@dataclass(frozen=True)
class CaptureData:
    """Counts of people per capture history over ``lists``.

    ``counts[h - 1]`` is the number of people whose history has code ``h`` (bit ``j`` = on list ``j``).
    """

    lists: tuple[str, ...]
    counts: NDArray[np.float64]

    def __post_init__(self) -> None:
        t = len(self.lists)
        if t < 2:
            raise CaptureDataError("capture histories need at least two lists")
        if len(set(self.lists)) != t:
            raise CaptureDataError(f"list names repeat: {', '.join(self.lists)}")
        if self.counts.shape != (2**t - 1,):
            raise CaptureDataError(
                f"expected {2**t - 1} history counts for {t} lists, got {self.counts.shape}"
            )
        if np.any(self.counts < 0) or not np.all(np.isfinite(self.counts)):
            raise CaptureDataError("history counts must be finite and non-negative")

    @property
    def n_lists(self) -> int:
        return len(self.lists)

    @property
    def histories(self) -> NDArray[np.int8]:
        """0/1 matrix, one row per non-zero history (in code order), one column per list."""
        return history_matrix(self.n_lists)

    @property
    def observed(self) -> float:
        """Number of distinct people seen on at least one list."""
        return float(self.counts.sum())

    def list_totals(self) -> dict[str, float]:
        """People on each list, whatever else they are on."""
        tot = self.histories.T.astype(np.float64) @ self.counts
        return {name: float(v) for name, v in zip(self.lists, tot, strict=True)}

    def overlap(self, members: Sequence[int]) -> float:
        """People on all of the lists with the given indices (and possibly on others)."""
        h = self.histories
        on_all = np.all(h[:, list(members)] == 1, axis=1)
        return float(self.counts[on_all].sum())

    def with_counts(self, counts: NDArray[np.float64]) -> CaptureData:
        return CaptureData(self.lists, np.asarray(counts, dtype=np.float64))

    def relabel(self, order: Sequence[int]) -> CaptureData:
        """The same people with the lists in a new order (``order[k]`` = old index of new list ``k``)."""
        t = self.n_lists
        if sorted(order) != list(range(t)):
            raise CaptureDataError("relabelling must be a permutation of the lists")
        new_counts = np.zeros_like(self.counts)
        h = self.histories
        new_codes = (h[:, list(order)] * (1 << np.arange(t))).sum(axis=1)
        new_counts[new_codes - 1] = self.counts
        return CaptureData(tuple(self.lists[i] for i in order), new_counts)

    def rows(self) -> list[tuple[tuple[int, ...], float]]:
        """(history, count) for every non-zero history, zero counts included."""
        return [
            (tuple(int(x) for x in row), float(c)) for row, c in zip(self.histories, self.counts, strict=True)
        ]


@functools.lru_cache(maxsize=32)
def history_matrix(n_lists: int) -> NDArray[np.int8]:
    """All non-zero 0/1 histories over ``n_lists`` lists, row ``h - 1`` being code ``h`` (read-only)."""
    codes = np.arange(1, 2**n_lists)
    h = ((codes[:, None] >> np.arange(n_lists)[None, :]) & 1).astype(np.int8)
    h.flags.writeable = False
    return h


def from_rows(lists: Sequence[str], rows: Iterable[tuple[Sequence[int], float]]) -> CaptureData:
    """Build capture data from (history, count) pairs; absent histories count zero."""
    t = len(lists)
    counts = np.zeros(2**t - 1)
    seen: set[int] = set()
    for k, (hist, count) in enumerate(rows, start=1):
        if len(hist) != t:
            raise CaptureDataError(f"row {k}: history has {len(hist)} entries, expected {t}")
        code = sum(int(v) << j for j, v in enumerate(hist))
        if code == 0:
            raise CaptureDataError(f"row {k}: the all-zero history cannot be observed")
        if code in seen:
            raise CaptureDataError(f"row {k}: history {''.join(str(int(v)) for v in hist)} appears twice")
        seen.add(code)
        counts[code - 1] = count
    return CaptureData(tuple(lists), counts)


def parse_capture_csv(text: str, source: str = "<input>") -> CaptureData:
    """Parse the shared capture-history format: one 0/1 column per list and a last column ``count``."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise CaptureDataError(f"{source}: empty file") from None
    header = [h.strip() for h in header]
    if len(header) < 3 or header[-1] != "count":
        raise CaptureDataError(
            f"{source}, line 1: expected list columns then a last column 'count', got {header}"
        )
    lists = header[:-1]
    if any(not name for name in lists):
        raise CaptureDataError(f"{source}, line 1: a list column has no name")
    rows: list[tuple[list[int], float]] = []
    for line_no, raw in enumerate(reader, start=2):
        if not raw or all(not cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            raise CaptureDataError(f"{source}, line {line_no}: {len(raw)} fields, expected {len(header)}")
        hist: list[int] = []
        for name, cell in zip(lists, raw[:-1], strict=True):
            value = cell.strip()
            if value not in ("0", "1"):
                raise CaptureDataError(
                    f"{source}, line {line_no}, column {name}: expected 0 or 1, got {value!r}"
                )
            hist.append(int(value))
        count_text = raw[-1].strip()
        try:
            count = float(count_text)
        except ValueError:
            raise CaptureDataError(
                f"{source}, line {line_no}, column count: not a number: {count_text!r}"
            ) from None
        if count < 0 or not np.isfinite(count) or count != int(count):
            raise CaptureDataError(
                f"{source}, line {line_no}, column count: "
                f"expected a non-negative whole number, got {count_text!r}"
            )
        if sum(hist) == 0:
            raise CaptureDataError(f"{source}, line {line_no}: the all-zero history cannot be observed")
        rows.append((hist, count))
    try:
        return from_rows(lists, rows)
    except CaptureDataError as exc:
        raise CaptureDataError(f"{source}: {exc}") from None


def read_capture_csv(path: str | Path) -> CaptureData:
    """Read a capture-history CSV file (see :func:`parse_capture_csv`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CaptureDataError(f"{p}: cannot read: {exc.strerror}") from None
    return parse_capture_csv(text, source=str(p))


def merge_lists(data: CaptureData, groups: Mapping[str, Sequence[str]]) -> CaptureData:
    """Treat groups of lists derived from each other as one list.

    ``groups`` maps a new list name to the lists it replaces (e.g. ``{"obituaries": ["obituaries",
    "media"]}`` when the media list was compiled from obituaries). A person on any list of a group is on the
    merged list. Lists not named in any group are kept as they are.
    """
    used: set[str] = set()
    for name, members in groups.items():
        for m in members:
            if m not in data.lists:
                raise CaptureDataError(f"derived-list group {name!r}: unknown list {m!r}")
            if m in used:
                raise CaptureDataError(f"list {m!r} is in two derived-list groups")
            used.add(m)
    group_of = {m: name for name, members in groups.items() for m in members}
    new_lists: list[str] = []
    members_of: list[list[int]] = []
    for i, name in enumerate(data.lists):
        if name not in group_of:
            new_lists.append(name)
            members_of.append([i])
        elif group_of[name] not in new_lists:
            gname = group_of[name]
            new_lists.append(gname)
            members_of.append([data.lists.index(x) for x in groups[gname]])
    h = data.histories
    new_h = np.stack([h[:, idx].max(axis=1) for idx in members_of], axis=1)
    codes = (new_h * (1 << np.arange(len(new_lists)))).sum(axis=1)
    counts = np.zeros(2 ** len(new_lists) - 1)
    np.add.at(counts, codes - 1, data.counts)
    return CaptureData(tuple(new_lists), counts)


def histories_from_memberships(
    memberships: Iterable[tuple[str, str]],
    lists: Sequence[str] | None = None,
    derived: Mapping[str, Sequence[str]] | None = None,
) -> CaptureData:
    """Count capture histories from (person_key, list_name) memberships of linked persons.

    Each person counts once, however many records link to them on one list. ``lists`` fixes the list order
    (default: sorted names seen). ``derived`` merges lists derived from each other (see :func:`merge_lists`).
    """
    on: dict[str, set[str]] = {}
    for person, list_name in memberships:
        on.setdefault(person, set()).add(list_name)
    names = list(lists) if lists is not None else sorted({x for s in on.values() for x in s})
    index = {name: j for j, name in enumerate(names)}
    for person, s in on.items():
        for x in s:
            if x not in index:
                raise CaptureDataError(f"person {person!r}: list {x!r} is not one of {names}")
    counts = np.zeros(2 ** len(names) - 1)
    for s in on.values():
        code = sum(1 << index[x] for x in s)
        counts[code - 1] += 1
    data = CaptureData(tuple(names), counts)
    return merge_lists(data, derived) if derived else data


def perturb_linkage(
    memberships: Sequence[tuple[str, str]],
    split_fraction: float,
    merge_fraction: float,
    rng: np.random.Generator,
) -> list[tuple[str, str]]:
    """Simulate linkage errors: split some persons in two and merge some pairs of persons.

    A fraction ``split_fraction`` of the persons on two or more lists is split (their lists are divided at
    random between two new persons: a missed link). A fraction ``merge_fraction`` of all persons is merged
    with another random person (a false link). Returns new memberships; person keys of changed persons get a
    suffix so that they stay distinct. Used for sensitivity runs of the estimates to linkage error.
    """
    if not (0 <= split_fraction <= 1 and 0 <= merge_fraction <= 1):
        raise ValueError("split and merge fractions must lie in [0, 1]")
    on: dict[str, list[str]] = {}
    for person, list_name in memberships:
        lst = on.setdefault(person, [])
        if list_name not in lst:
            lst.append(list_name)
    persons = list(on)
    result: dict[str, list[str]] = {p: list(v) for p, v in on.items()}
    multi = [p for p in persons if len(on[p]) >= 2]
    n_split = round(split_fraction * len(multi))
    for idx in rng.choice(len(multi), size=n_split, replace=False) if n_split else []:
        p = multi[int(idx)]
        lists_p = result.pop(p)
        side = rng.integers(0, 2, size=len(lists_p))
        if side.min() == side.max():
            side[rng.integers(0, len(lists_p))] ^= 1
        result[p + "#a"] = [x for x, s in zip(lists_p, side, strict=True) if s == 0]
        result[p + "#b"] = [x for x, s in zip(lists_p, side, strict=True) if s == 1]
    keys = list(result)
    n_merge = round(merge_fraction * len(keys))
    if n_merge:
        chosen = rng.choice(len(keys), size=min(2 * n_merge, len(keys) - len(keys) % 2), replace=False)
        for a, b in zip(chosen[0::2], chosen[1::2], strict=True):
            ka, kb = keys[int(a)], keys[int(b)]
            merged = sorted(set(result.pop(ka)) | set(result.pop(kb)))
            result[f"{ka}+{kb}"] = merged
    return [(p, x) for p, lst in result.items() for x in lst]


@dataclass(frozen=True)
class LinkageSensitivity:
    """Estimates with and without simulated linkage errors."""

    estimate: float
    perturbed: tuple[float, ...]

    @property
    def min(self) -> float:
        return float(np.min(self.perturbed))

    @property
    def median(self) -> float:
        return float(np.median(self.perturbed))

    @property
    def max(self) -> float:
        return float(np.max(self.perturbed))


def linkage_sensitivity(
    memberships: Sequence[tuple[str, str]],
    estimator: Callable[[CaptureData], float],
    split_fraction: float = 0.05,
    merge_fraction: float = 0.02,
    runs: int = 20,
    seed: int | None = None,
    lists: Sequence[str] | None = None,
    derived: Mapping[str, Sequence[str]] | None = None,
) -> LinkageSensitivity:
    """Re-estimate after random linkage errors (see :func:`perturb_linkage`) to show how much they matter.

    Missed links (splits) create people who seem to be on fewer lists and push estimates up; false links
    (merges) do the opposite.
    """
    rng = np.random.default_rng(seed)
    names = list(lists) if lists is not None else sorted({x for _, x in memberships})
    base = estimator(histories_from_memberships(memberships, names, derived))
    values = []
    for _ in range(runs):
        perturbed = perturb_linkage(memberships, split_fraction, merge_fraction, rng)
        values.append(estimator(histories_from_memberships(perturbed, names, derived)))
    return LinkageSensitivity(base, tuple(values))
