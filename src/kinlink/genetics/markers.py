"""Loci, alleles and population frequency databases.

Conventions:

* Allele labels are strings exactly as the lab reports them: "16", "9.3" (a microvariant), "X".
  The label "-" (or an empty field) means untyped.
* A :class:`Locus` fixes the allele order of a marker. Every array in the engine (frequencies, mutation
  matrices, genotype vectors) is indexed by that order, so the indexing is explicit and stable.
* An observed allele missing from the database gets a floor frequency, by default ``5 / (2N)`` for a
  database of ``N`` persons (or 0.001 when ``N`` is unknown), after which the table is renormalised to sum
  to 1. Each such change is recorded as a note that reports show.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from kinlink.genetics.mutation import FloatArray, MarkerMutation

if TYPE_CHECKING:  # not imported at run time: `kinlink dna lr` starts without pathlib
    from pathlib import Path

UNTYPED = "-"
DEFAULT_FLOOR_UNKNOWN_N = 0.001


class FrequencyError(ValueError):
    """A frequency table that cannot be used (bad row, bad number, empty locus)."""


class UnknownAlleleError(KeyError):
    """An allele label that the locus' frequency table lacks."""

    def __str__(self) -> str:
        return str(self.args[0])


_UNTYPED_LABELS = frozenset(("", UNTYPED, "NA"))


def is_untyped(label: str | None) -> bool:
    """True for the untyped allele markers "-", "", "NA" and ``None``."""
    return label is None or label.strip() in _UNTYPED_LABELS


def floor_frequency(database_size: int | None) -> float:
    """Frequency given to an allele the database lacks: ``5 / (2N)``, or 0.001 when ``N`` is unknown."""
    if database_size is None or database_size <= 0:
        return DEFAULT_FLOOR_UNKNOWN_N
    return 5.0 / (2.0 * database_size)


@dataclass(frozen=True, eq=False)
class Locus:
    """One autosomal marker: its allele labels in a fixed order, their frequencies and mutation model.

    Loci compare and hash by identity, so that engines can cache per-locus arrays.
    """

    name: str
    alleles: tuple[str, ...]
    freqs: FloatArray
    mutation: MarkerMutation = field(default_factory=MarkerMutation)
    database_size: int | None = None

    def __post_init__(self) -> None:
        if len(self.alleles) != len(self.freqs):
            raise FrequencyError(
                f"locus {self.name}: {len(self.alleles)} alleles but {len(self.freqs)} freqs"
            )
        if len(set(self.alleles)) != len(self.alleles):
            raise FrequencyError(f"locus {self.name}: duplicate allele labels")
        if len(self.alleles) == 0:
            raise FrequencyError(f"locus {self.name}: no alleles")
        if not np.isfinite(self.freqs).all() or (self.freqs < 0).any():
            raise FrequencyError(f"locus {self.name}: frequencies must be non-negative numbers")

    @property
    def n_alleles(self) -> int:
        return len(self.alleles)

    def index(self, label: str) -> int:
        """Index of an allele label; :class:`KeyError` naming the locus when it is unknown."""
        try:
            return self._index_map()[label]
        except KeyError:
            raise UnknownAlleleError(
                f"allele {label!r} is not in the frequency table of locus {self.name}"
            ) from None

    def _index_map(self) -> dict[str, int]:
        cache = self.__dict__.get("_index_cache")
        if cache is None:
            cache = {a: i for i, a in enumerate(self.alleles)}
            object.__setattr__(self, "_index_cache", cache)
        return cache

    def call_index(self) -> dict[str, int]:
        """Index of every allele label that a genotype call names as it is (no surrounding spaces, not an
        untyped marker): the fast lookup of :func:`kinlink.genetics.likelihood.observation`."""
        cache = self.__dict__.get("_call_cache")
        if cache is None:
            cache = {a: i for i, a in enumerate(self.alleles) if a == a.strip() and not is_untyped(a)}
            object.__setattr__(self, "_call_cache", cache)
        return cache

    def mutation_matrices(self) -> tuple[FloatArray | None, FloatArray | None]:
        """(female, male) mutation matrices, ``None`` where no mutation is modelled."""
        cache = self.__dict__.get("_matrix_cache")
        if cache is None:
            mutation = self.mutation
            female = None if mutation.female.is_trivial else mutation.female.build(self.alleles, self.freqs)
            if mutation.male == mutation.female:  # one model for both sexes: one matrix (never written to)
                male = female
            else:
                male = None if mutation.male.is_trivial else mutation.male.build(self.alleles, self.freqs)
            cache = (female, male)
            object.__setattr__(self, "_matrix_cache", cache)
        return cache

    def with_alleles(self, labels: Iterable[str], floor: float | None = None) -> tuple[Locus, list[str]]:
        """Add observed alleles the table lacks at a floor frequency and renormalise.

        Returns the (possibly new) locus and one note per added allele. ``floor`` defaults to
        :func:`floor_frequency` of the database size.
        """
        index = self._index_map()
        missing = sorted({a for a in labels if a not in index and not is_untyped(a)})
        if not missing:
            return self, []
        f = floor if floor is not None else floor_frequency(self.database_size)
        notes = [
            f"{self.name}: allele {a} is not in the frequency table; given frequency {f:g} and the table "
            "renormalised"
            for a in missing
        ]
        # One extended locus per (added alleles, floor): cases that share this locus and its rare alleles
        # share the extended one too, with its mutation matrices.
        extended: dict[tuple[tuple[str, ...], float], Locus] = self.__dict__.setdefault("_extended_cache", {})
        key = (tuple(missing), f)
        new = extended.get(key)
        if new is None:
            freqs = np.concatenate([self.freqs, np.full(len(missing), f)])
            freqs = freqs / freqs.sum()
            new = replace(self, alleles=self.alleles + tuple(missing), freqs=freqs)
            if len(extended) >= 256:
                extended.clear()
            extended[key] = new
        return new, notes

    def with_mutation(self, mutation: MarkerMutation) -> Locus:
        return replace(self, mutation=mutation)


def make_locus(
    name: str,
    frequencies: Mapping[str, float],
    mutation: MarkerMutation | None = None,
    database_size: int | None = None,
    normalise: bool = False,
) -> Locus:
    """Build a :class:`Locus` from ``{allele label: frequency}`` in the mapping's order."""
    labels = tuple(str(a) for a in frequencies)
    freqs = np.array([float(frequencies[a]) for a in frequencies], dtype=np.float64)
    if normalise and freqs.sum() > 0:
        freqs = freqs / freqs.sum()
    return Locus(name, labels, freqs, mutation or MarkerMutation(), database_size)


@dataclass
class FrequencyDatabase:
    """Allele frequencies per locus for one population; ``notes`` records every change made on import."""

    loci: dict[str, Locus]
    population: str | None = None
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> Locus:
        try:
            return self.loci[name]
        except KeyError:
            raise KeyError(f"locus {name} is not in the frequency database") from None

    def __contains__(self, name: object) -> bool:
        return name in self.loci

    def names(self) -> list[str]:
        return list(self.loci)


def _renormalise(
    rows: Mapping[str, dict[str, float]], source: str, database_size: int | None
) -> FrequencyDatabase:
    loci: dict[str, Locus] = {}
    notes: list[str] = []
    for name, table in rows.items():
        total = sum(table.values())
        if total <= 0:
            raise FrequencyError(f"{source}: locus {name} has frequencies summing to {total}")
        if abs(total - 1.0) > 1e-6:
            notes.append(f"{name}: frequencies summed to {total:.6g}; renormalised to 1")
        loci[name] = make_locus(name, table, database_size=database_size, normalise=abs(total - 1.0) > 1e-12)
    return FrequencyDatabase(loci=loci, notes=notes)


def read_frequency_csv(
    source: str | Path | io.TextIOBase,
    population: str | None = None,
    database_size: int | None = None,
) -> FrequencyDatabase:
    """Read a long CSV table ``locus,allele,freq`` (optionally with a ``population`` column).

    With a ``population`` column, ``population`` selects the group; it is required when the file holds
    several. Rows keep their order; frequencies of a locus are renormalised (with a note) when they do
    not sum to 1.
    """
    name = str(source) if isinstance(source, (str, os.PathLike)) else "<frequencies>"
    if isinstance(source, (str, os.PathLike)):
        with open(source, newline="", encoding="utf-8-sig") as fh:
            text = fh.read()
    else:
        text = source.read()
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    for col in ("locus", "allele", "freq"):
        if col not in header:
            raise FrequencyError(f"{name}: missing column {col!r} (header: {reader.fieldnames})")
    keymap = {h.strip().lower(): h for h in reader.fieldnames or []}
    has_population = "population" in keymap
    records = list(reader)
    if has_population and population is None:
        found = sorted({(r[keymap["population"]] or "").strip() for r in records})
        if len(found) > 1:
            raise FrequencyError(f"{name}: several populations {found}; choose one")
    rows: dict[str, dict[str, float]] = {}
    populations: set[str] = set()
    for line_no, row in enumerate(records, start=2):
        pop = row[keymap["population"]].strip() if has_population else None
        if pop is not None:
            populations.add(pop)
            if population is not None and pop != population:
                continue
        locus = (row[keymap["locus"]] or "").strip()
        allele = (row[keymap["allele"]] or "").strip()
        if not locus or not allele:
            raise FrequencyError(f"{name}, row {line_no}: empty locus or allele")
        try:
            freq = float(row[keymap["freq"]])
        except (TypeError, ValueError):
            raise FrequencyError(
                f"{name}, row {line_no}, column freq: not a number: {row[keymap['freq']]!r}"
            ) from None
        if not 0 <= freq <= 1:
            raise FrequencyError(f"{name}, row {line_no}, column freq: {freq} is not in [0, 1]")
        table = rows.setdefault(locus, {})
        if allele in table:
            raise FrequencyError(f"{name}, row {line_no}: allele {allele} of {locus} appears twice")
        table[allele] = freq
    if has_population and population is None and len(populations) > 1:
        raise FrequencyError(f"{name}: several populations {sorted(populations)}; choose one")
    if has_population and population is not None and population not in populations:
        raise FrequencyError(f"{name}: population {population!r} not found; have {sorted(populations)}")
    if not rows:
        raise FrequencyError(f"{name}: no frequency rows")
    db = _renormalise(rows, name, database_size)
    db.population = population or (next(iter(populations)) if len(populations) == 1 else None)
    return db


def parse_familias_frequencies(
    text: str, source: str = "<familias>", database_size: int | None = None
) -> FrequencyDatabase:
    """Parse the Familias frequency text format: a locus name line, ``allele<TAB>freq`` lines, blank lines
    between loci."""
    rows: dict[str, dict[str, float]] = {}
    current: str | None = None
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            current = None
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        if current is None:
            if len(parts) != 1:
                raise FrequencyError(f"{source}, line {line_no}: expected a locus name, got {raw!r}")
            current = parts[0]
            if current in rows:
                raise FrequencyError(f"{source}, line {line_no}: locus {current} appears twice")
            rows[current] = {}
            continue
        if len(parts) != 2:
            raise FrequencyError(f"{source}, line {line_no}: expected 'allele<TAB>frequency', got {raw!r}")
        try:
            freq = float(parts[1])
        except ValueError:
            raise FrequencyError(f"{source}, line {line_no}: not a number: {parts[1]!r}") from None
        rows[current][parts[0].strip()] = freq
    empty = [k for k, v in rows.items() if not v]
    if empty:
        raise FrequencyError(f"{source}: loci without alleles: {empty}")
    if not rows:
        raise FrequencyError(f"{source}: no loci")
    return _renormalise(rows, source, database_size)


def read_familias_frequencies(path: str | Path, database_size: int | None = None) -> FrequencyDatabase:
    """Read a Familias frequency text file (see :func:`parse_familias_frequencies`)."""
    with open(path, encoding="utf-8-sig") as fh:
        text = fh.read()
    return parse_familias_frequencies(text, str(path), database_size)


def synthetic_locus(name: str, first: int, n_alleles: int, seed: int = 0) -> Locus:
    """A made-up STR locus with integer alleles ``first .. first + n - 1`` and bell-shaped frequencies.

    Used by the demo, tests and benchmarks, which must not depend on real population data.
    """
    rng = np.random.default_rng(seed)
    centre = (n_alleles - 1) / 2
    weights = np.exp(-0.5 * ((np.arange(n_alleles) - centre) / max(n_alleles / 5, 1)) ** 2)
    weights = weights * rng.uniform(0.7, 1.3, n_alleles)
    freqs: NDArray[np.float64] = weights / weights.sum()
    labels = tuple(str(first + i) for i in range(n_alleles))
    return Locus(name, labels, freqs)


def synthetic_database(
    n_loci: int = 23, seed: int = 0, alleles: Sequence[int] = (8, 20)
) -> FrequencyDatabase:
    """A synthetic frequency database of ``n_loci`` STR loci with 8 to 20 alleles each."""
    rng = np.random.default_rng(seed)
    loci = {}
    for i in range(n_loci):
        n = int(rng.integers(alleles[0], alleles[1] + 1))
        loci[f"SYN{i + 1:02d}"] = synthetic_locus(f"SYN{i + 1:02d}", int(rng.integers(5, 15)), n, seed + i)
    return FrequencyDatabase(loci=loci, population="synthetic")


def read_frequency_table(path: str | Path, database_size: int | None = None) -> FrequencyDatabase:
    """The frequency table at ``path``: a CSV ``locus,allele,freq`` (by its ``.csv`` suffix) or else a
    Familias frequency file. The one reader the registry's screening and DNA reports use."""
    if str(path).lower().endswith(".csv"):
        return read_frequency_csv(path, database_size=database_size)
    return read_familias_frequencies(path, database_size)
