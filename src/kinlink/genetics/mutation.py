"""Mutation models for STR markers, per marker and per sex, following pedmut's definitions.

A mutation matrix ``M`` is row-stochastic: ``M[a, b]`` is the probability that a parent's allele ``a`` is
transmitted as allele ``b`` in one meiosis. Rows and columns follow the marker's allele order.

Models (``rate`` is the total mutation probability per meiosis):

* ``equal``: ``M[a, b] = rate / (n - 1)`` for ``b != a`` and ``1 - rate`` on the diagonal.
* ``proportional``: ``M = (1 - alpha) I + alpha 1 p^T`` with ``alpha = rate / sum_a p_a (1 - p_a)``, so a
  mutation lands on ``b`` in proportion to its frequency and the expected overall rate is ``rate``.
* ``stepwise``: Familias' extended stepwise model. Alleles are numbers; "9.3" is a microvariant of
  group 3. Within a group, a mutation of ``k`` repeat steps has relative weight ``range ** k`` and the
  weights are scaled to sum to ``rate``; a jump between groups has total probability ``rate2`` spread
  evenly over the alleles of the other groups.
* ``onestep``: integer alleles only; ``rate`` is split evenly between the neighbours ``a - 1`` and ``a + 1``
  that exist in the allele list (an allele without neighbours never mutates).
* ``custom``: any row-stochastic matrix given by the user.
* ``none`` (or no model): the identity; a Mendelian inconsistency then gives likelihood 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]

MODELS = ("none", "equal", "proportional", "stepwise", "onestep", "custom")
SEXES = ("female", "male")


class MutationModelError(ValueError):
    """A mutation model that cannot be built for the given alleles."""


@dataclass(frozen=True)
class MutationModel:
    """One sex's mutation model for one marker; ``matrix`` is used only by the ``custom`` model.

    ``rate`` and ``rate2`` are probabilities per meiosis; ``range`` is the relative probability of a
    mutation of ``k + 1`` steps against ``k`` steps (stepwise only).
    """

    model: str = "none"
    rate: float = 0.0
    rate2: float = 0.0
    range: float = 0.5
    matrix: tuple[tuple[float, ...], ...] | None = None

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise MutationModelError(f"unknown mutation model {self.model!r}; expected one of {MODELS}")
        if not 0.0 <= self.rate <= 1.0:
            raise MutationModelError(f"mutation rate must be in [0, 1], got {self.rate}")
        if not 0.0 <= self.rate2 <= 1.0:
            raise MutationModelError(f"mutation rate2 must be in [0, 1], got {self.rate2}")
        if self.model == "stepwise" and not self.range > 0:
            raise MutationModelError(f"stepwise range must be positive, got {self.range}")
        if self.model == "custom" and self.matrix is None:
            raise MutationModelError("the custom mutation model needs a matrix")

    @property
    def is_trivial(self) -> bool:
        """True when no mutation can happen (identity matrix)."""
        return self.model == "none" or (self.model in ("equal", "proportional", "onestep") and self.rate == 0)

    def build(self, alleles: Sequence[str], freqs: FloatArray) -> FloatArray:
        """The row-stochastic matrix for these alleles (labels as strings) and frequencies."""
        n = len(alleles)
        if self.model == "custom":
            assert self.matrix is not None
            m = np.asarray(self.matrix, dtype=np.float64)
            if m.shape != (n, n):
                raise MutationModelError(f"custom mutation matrix is {m.shape}, expected ({n}, {n})")
            validate_matrix(m)
            return m
        if n <= 1 or self.model == "none":
            return np.eye(n)
        if self.model == "equal":
            return equal_matrix(n, self.rate)
        if self.model == "proportional":
            return proportional_matrix(freqs, self.rate)
        if self.model == "stepwise":
            return stepwise_matrix(alleles, self.rate, self.rate2, self.range)
        return onestep_matrix(alleles, self.rate)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.model, "rate": self.rate}
        if self.model == "stepwise":
            out.update(rate2=self.rate2, range=self.range)
        if self.matrix is not None:
            out["matrix"] = [list(row) for row in self.matrix]
        return out


@dataclass(frozen=True)
class MarkerMutation:
    """The mutation models of one marker for paternal (male) and maternal (female) meioses."""

    female: MutationModel = field(default_factory=MutationModel)
    male: MutationModel = field(default_factory=MutationModel)

    @property
    def is_trivial(self) -> bool:
        return self.female.is_trivial and self.male.is_trivial

    @property
    def lumpable(self) -> bool:
        """True when untyped alleles can be merged into one exactly (models none, equal, proportional)."""
        return all(m.model in ("none", "equal", "proportional") for m in (self.female, self.male))

    @classmethod
    def from_json(cls, spec: Mapping[str, Any] | None) -> MarkerMutation:
        """Read ``{"model": ..., "rate": {"female": .., "male": ..} | number, "rate2": .., "range": ..}``.

        Each parameter may be one number for both sexes or a ``{"female", "male"}`` mapping; a
        ``"matrix"`` entry (list of rows, or per sex) serves the custom model. ``None`` means no mutation.
        """
        if spec is None:
            return cls()
        models: dict[str, MutationModel] = {}
        for sex in SEXES:

            def param(name: str, default: Any, sex: str = sex) -> Any:
                value = spec.get(name, default)
                if isinstance(value, Mapping):
                    if sex not in value:
                        raise MutationModelError(f"mutation parameter {name!r} lacks a value for {sex}")
                    return value[sex]
                return value

            model = param("model", "none")
            matrix = param("matrix", None)
            models[sex] = MutationModel(
                model=str(model),
                rate=float(param("rate", 0.0)),
                rate2=float(param("rate2", 0.0)),
                range=float(param("range", 0.5)),
                matrix=None if matrix is None else tuple(tuple(float(x) for x in row) for row in matrix),
            )
        return cls(female=models["female"], male=models["male"])

    def to_json(self) -> dict[str, Any] | None:
        if self.female.model == "none" and self.male.model == "none":
            return None
        return {"female": self.female.to_json(), "male": self.male.to_json()}


def validate_matrix(m: FloatArray, tol: float = 1e-3) -> None:
    """Check that ``m`` is a square row-stochastic matrix (rows sum to 1 within ``tol``, as pedmut)."""
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise MutationModelError(f"mutation matrix must be square, got shape {m.shape}")
    if np.any(~np.isfinite(m)) or np.any(m < 0) or np.any(m > 1):
        raise MutationModelError("mutation matrix entries must lie in [0, 1]")
    bad = np.flatnonzero(np.abs(m.sum(axis=1) - 1.0) > tol)
    if bad.size:
        raise MutationModelError(f"mutation matrix rows {bad.tolist()} do not sum to 1")


def equal_matrix(n: int, rate: float) -> FloatArray:
    """``1 - rate`` on the diagonal and ``rate / (n - 1)`` elsewhere."""
    if n <= 1:
        return np.eye(n)
    m = np.full((n, n), rate / (n - 1))
    np.fill_diagonal(m, 1.0 - rate)
    return m


def proportional_matrix(freqs: FloatArray, rate: float) -> FloatArray:
    """Mutations proportional to the target allele's frequency, expected overall rate ``rate``."""
    p = np.asarray(freqs, dtype=np.float64)
    n = p.size
    if n <= 1:
        return np.eye(n)
    alpha = rate / float(np.sum(p * (1.0 - p)))
    m = (1.0 - alpha) * np.eye(n) + alpha * np.broadcast_to(p, (n, n))
    if np.any(m > 1) or np.any(m < 0):
        raise MutationModelError(f"impossible proportional mutation matrix; reduce the rate {rate}")
    return m


def allele_numbers(alleles: Sequence[str], model: str) -> FloatArray:
    """Numeric values of allele labels ("9.3" -> 9.3), as the stepwise and onestep models need them."""
    values = np.empty(len(alleles))
    for i, label in enumerate(alleles):
        try:
            values[i] = float(label)
        except ValueError:
            raise MutationModelError(
                f"the {model} mutation model needs numeric allele labels, got {label!r}"
            ) from None
    return values


def stepwise_matrix(alleles: Sequence[str], rate: float, rate2: float, range_: float) -> FloatArray:
    """Familias' extended stepwise model (pedmut ``stepwise``), see the module docstring."""
    n = len(alleles)
    if n <= 1:
        return np.eye(n)
    if rate + rate2 > 1:
        raise MutationModelError(f"stepwise rate + rate2 must be at most 1, got {rate + rate2}")
    s = _stepwise_structure(tuple(alleles))
    # Within a group: weight range^steps, scaled so that the row's within-group mutations sum to rate.
    w = np.where(s.off, range_**s.steps, 0.0)
    totals = w.sum(axis=1)
    m = w / np.where(totals > 0, totals, 1.0)[:, None] * rate
    # Across groups: rate2 spread evenly over the alleles of other groups.
    m += np.where(s.same, 0.0, (rate2 / s.n_other)[:, None])
    m.flat[:: n + 1] = np.where(s.whole, 1.0 - rate, np.where(s.alone, 1.0 - rate2, 1.0 - rate - rate2))
    return m


@dataclass(frozen=True)
class _Stepwise:
    """What the stepwise matrix of some allele labels needs besides its rates (arrays never written to)."""

    same: BoolArray  # same[a, b]: a and b are in the same microvariant group
    off: BoolArray  # same group and a != b
    steps: FloatArray  # |a - b| in repeat units (0 outside ``off``)
    n_other: IntArray  # alleles outside a's group (at least 1)
    whole: BoolArray  # a's group is every allele
    alone: BoolArray  # a is alone in its group


@lru_cache(maxsize=1024)
def _stepwise_structure(alleles: tuple[str, ...]) -> _Stepwise:
    """:class:`_Stepwise` of these labels, computed once for both sexes and every locus that has them."""
    n = len(alleles)
    x = allele_numbers(alleles, "stepwise")
    if np.any(np.round(x, 1) != x):
        raise MutationModelError("stepwise microvariants must have one decimal, like '9.3'")
    # Microvariant group = first decimal ("9.3" -> 3), rounded so that float noise cannot split a group.
    group = np.round((x - np.round(x)) * 10)
    same = group[:, None] == group[None, :]
    n_same = same.sum(axis=1)
    off = same & ~np.eye(n, dtype=bool)
    out = _Stepwise(
        same=same,
        off=off,
        steps=np.where(off, np.abs(x[:, None] - x[None, :]), 0.0),
        n_other=np.maximum(n - n_same, 1),
        whole=n_same == n,
        alone=n_same == 1,
    )
    for array in (out.same, out.off, out.steps, out.n_other, out.whole, out.alone):
        array.setflags(write=False)
    return out


def onestep_matrix(alleles: Sequence[str], rate: float) -> FloatArray:
    """Mutations only to the neighbouring integer alleles, ``rate`` split evenly between them."""
    n = len(alleles)
    x = allele_numbers(alleles, "onestep")
    if np.any(np.round(x) != x):
        raise MutationModelError("the onestep mutation model needs integer alleles (no microvariants)")
    m = np.zeros((n, n))
    for i in range(n):
        neighbours = np.abs(x - x[i]) == 1
        k = int(neighbours.sum())
        m[i, i] = 1.0 - rate if k else 1.0
        if k:
            m[i, neighbours] = rate / k
    return m


def is_stationary(m: FloatArray, freqs: FloatArray, tol: float = 1e-10) -> bool:
    """True when ``p M = p``: an untyped founder then passes alleles with the population frequencies."""
    return bool(np.allclose(np.asarray(freqs) @ m, freqs, atol=tol, rtol=0))


# ------------------------------------------------------------------------------------------------ specs


def parse_mutation_spec(text: str) -> MarkerMutation | dict[str, MarkerMutation]:
    """``MODEL[:k=v,...]`` -> one :class:`MarkerMutation` for both sexes and every marker; a per-marker
    CSV path (``.csv`` or a path with a separator) -> ``{marker: MarkerMutation}``.

    Raises :class:`MutationModelError` naming what is wrong (for a CSV: row and column)."""
    import os

    if text.lower().endswith(".csv") or os.path.sep in text:
        return read_mutation_csv(text)
    model, _, params = text.partition(":")
    values: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in params.split(","))):
        key, eq, value = item.partition("=")
        if not eq or key not in ("rate", "rate2", "range"):
            raise MutationModelError(f"expected rate=, rate2= or range=, got {item!r}")
        try:
            values[key] = float(value)
        except ValueError:
            raise MutationModelError(f"{key} is not a number: {value!r}") from None
    m = MutationModel(
        model.strip(), values.get("rate", 0.0), values.get("rate2", 0.0), values.get("range", 0.5)
    )
    return MarkerMutation(m, m)


def read_mutation_csv(path: str | Any) -> dict[str, MarkerMutation]:
    """A per-marker mutation table ``marker,model,sex,rate,rate2,range`` (sex female, male, or empty for
    both); every problem names the row and column."""
    import csv
    import io
    from pathlib import Path

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MutationModelError(f"{path}: cannot read: {exc.strerror}") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    need = ["marker", "model", "sex", "rate", "rate2", "range"]
    if [h for h in need if h not in header]:
        raise MutationModelError(
            f"{path}: missing columns {[h for h in need if h not in header]} (header: {header})"
        )
    per: dict[str, dict[str, MutationModel]] = {}
    for row_no, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        marker, sex = row["marker"], row["sex"].lower()
        if not marker:
            raise MutationModelError(f"{path}, row {row_no}, column marker: empty")
        if sex not in ("", "both", "female", "male"):
            raise MutationModelError(
                f"{path}, row {row_no}, column sex: expected female, male or empty, got {sex!r}"
            )
        nums: dict[str, float] = {}
        for col, default in (("rate", 0.0), ("rate2", 0.0), ("range", 0.5)):
            try:
                nums[col] = float(row[col]) if row[col] else default
            except ValueError:
                raise MutationModelError(
                    f"{path}, row {row_no}, column {col}: not a number: {row[col]!r}"
                ) from None
        try:
            model = MutationModel(row["model"] or "none", nums["rate"], nums["rate2"], nums["range"])
        except MutationModelError as exc:
            raise MutationModelError(f"{path}, row {row_no}, column model: {exc}") from exc
        for s in ("female", "male") if sex in ("", "both") else (sex,):
            if s in per.get(marker, {}):
                raise MutationModelError(f"{path}, row {row_no}: marker {marker} has two {s} models")
            per.setdefault(marker, {})[s] = model
    return {
        m: MarkerMutation(female=v.get("female", MutationModel()), male=v.get("male", MutationModel()))
        for m, v in per.items()
    }
