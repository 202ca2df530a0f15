"""Likelihood ratios for "the remains (POI) are the missing person" against "the POI is unrelated".

H1: the person of interest (POI) is the pedigree member ``missing``. H2: the POI is unrelated to everyone
in the pedigree (a separate founder drawn from the same population). Per marker,

    LR = Pr(references, POI | H1) / Pr(references, POI | H2).

With theta = 0 this equals ``sum_g Pr(MP = g | references) Pr(POI obs | g) / sum_g HW(g) Pr(POI obs | g)``,
which we compute from the exact predictive genotype distribution of the missing person (one elimination
per marker). With theta > 0 the POI's alleles are correlated with the family's founders, so we compute both
hypotheses as full pedigree likelihoods. Markers are independent: the total LR is the product.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kinlink.genetics.likelihood import (
    LikelihoodError,
    OrderedRequest,
    PedigreeLikelihood,
    evidence_table,
    observation,
    ordered_distributions_batch,
)
from kinlink.genetics.markers import Locus, is_untyped
from kinlink.genetics.pedigree import Pedigree, PedigreeError, Person

POI_ID = "__POI__"


class KinshipError(ValueError):
    """A case that cannot be evaluated: the message names the case, marker and person."""


@dataclass
class KinshipCase:
    """One identification question: a family pedigree with typed references and a POI profile.

    ``references`` maps person id -> marker -> two allele labels; ``poi`` maps marker -> allele labels. A
    marker missing from a profile is untyped. ``dropout`` holds per-sample allele dropout probabilities
    for references (by person id); ``poi_dropout`` that of the POI sample. ``theta`` is the
    Balding–Nichols coancestry coefficient applied to all founders, the POI included under H2. ``floor``
    is the frequency given to observed alleles the database lacks (default ``5/(2N)``, or 0.001).
    """

    id: str
    pedigree: Pedigree
    missing: str
    loci: list[Locus]
    references: dict[str, dict[str, list[str]]]
    poi: dict[str, list[str]]
    dropout: dict[str, float] = field(default_factory=dict)
    poi_dropout: float = 0.0
    theta: float = 0.0
    notes: list[str] = field(default_factory=list)
    floor: float | None = None
    expected: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """Check ids, markers and probabilities; raise :class:`KinshipError` naming the problem."""
        if self.missing not in self.pedigree:
            raise KinshipError(f"case {self.id}: missing person {self.missing!r} is not in the pedigree")
        if self.missing in self.references:
            raise KinshipError(
                f"case {self.id}: the missing person {self.missing!r} has a reference profile; the POI is "
                "tested in that position"
            )
        names = {locus.name for locus in self.loci}
        if len(names) != len(self.loci):
            raise KinshipError(f"case {self.id}: duplicate marker names")
        for pid, profile in self.references.items():
            if pid not in self.pedigree:
                raise KinshipError(f"case {self.id}: reference {pid!r} is not in the pedigree")
            unknown = sorted(set(profile) - names)
            if unknown:
                raise KinshipError(f"case {self.id}: reference {pid} typed at unknown markers {unknown}")
        unknown = sorted(set(self.poi) - names)
        if unknown:
            raise KinshipError(f"case {self.id}: POI typed at unknown markers {unknown}")
        for pid, d in [*self.dropout.items(), ("POI", self.poi_dropout)]:
            if not 0.0 <= d < 1.0:
                raise KinshipError(f"case {self.id}: dropout probability of {pid} must be in [0, 1), got {d}")
        if not 0.0 <= self.theta < 1.0:
            raise KinshipError(f"case {self.id}: theta must be in [0, 1), got {self.theta}")


@dataclass
class MarkerResult:
    """One marker's likelihood ratio and the log10 likelihoods behind it."""

    marker: str
    lr: float
    log10_lr: float
    poi_typed: bool
    references_typed: int


@dataclass
class KinshipResult:
    """Per-marker and total LR of one case, with the notes the report must show."""

    case_id: str
    markers: list[MarkerResult]
    notes: list[str]
    theta: float = 0.0

    @property
    def lr_per_marker(self) -> dict[str, float]:
        return {m.marker: m.lr for m in self.markers}

    @property
    def log10_lr(self) -> float:
        """log10 of the total LR; ``-inf`` when a marker excludes the POI."""
        if any(m.lr == 0.0 for m in self.markers):
            return -math.inf
        return float(sum(m.log10_lr for m in self.markers))

    @property
    def lr(self) -> float:
        """Total LR (product over markers; ``inf`` beyond the float range, see :attr:`log10_lr`)."""
        total = 1.0
        for m in self.markers:
            total *= m.lr
        if total == 0.0 and self.log10_lr != -math.inf:
            return 10.0**self.log10_lr
        return total

    def to_json(self) -> dict[str, Any]:
        """``{"id", "lr", "log10_lr", "lr_per_marker"}`` plus ``notes``; non-finite numbers become null."""

        def num(x: float) -> float | None:
            return x if math.isfinite(x) else None

        return {
            "id": self.case_id,
            "lr": num(self.lr),
            "log10_lr": num(self.log10_lr),
            "lr_per_marker": {k: num(v) for k, v in self.lr_per_marker.items()},
            "notes": list(self.notes),
        }


def _typed(labels: Sequence[str] | None) -> bool:
    return labels is not None and any(not is_untyped(a) for a in labels)


def prepare_loci(case: KinshipCase) -> tuple[list[Locus], list[str]]:
    """The case's loci with every observed allele present (floor frequency + note when absent)."""
    loci: list[Locus] = []
    notes: list[str] = []
    for locus in case.loci:
        observed = [a for prof in case.references.values() for a in prof.get(locus.name, [])]
        observed += list(case.poi.get(locus.name, []))
        new, added = locus.with_alleles(observed, case.floor)
        loci.append(new)
        notes.extend(added)
    return loci, notes


def poi_marker_lr(ordered: np.ndarray, locus: Locus, poi: Sequence[str], dropout: float) -> float:
    """``sum_g Pr(MP = g | refs) Pr(POI | g) / sum_g HW(g) Pr(POI | g)`` at one marker (theta = 0).

    ``ordered`` is the missing person's distribution over ordered allele pairs (paternal, maternal), from
    :meth:`PedigreeLikelihood.ordered_distributions`; computing it once per family lets any number of
    POI profiles be scored against that family at the cost of one lookup per marker.
    """
    obs = observation(locus, poi)
    a, b = obs
    p = locus.freqs
    if dropout == 0.0 and a is not None and b is not None:
        if a == b:
            return float(ordered[a, a]) / float(p[a] * p[a])
        return float(ordered[a, b] + ordered[b, a]) / float(2.0 * p[a] * p[b])
    table = evidence_table(locus.n_alleles, obs, dropout)
    assert table is not None
    return float(np.sum(ordered * table)) / float(p @ table @ p)


def marker_lrs(case: KinshipCase, loci: Sequence[Locus] | None = None) -> list[MarkerResult]:
    """Per-marker LRs of a case (loci default to :func:`prepare_loci`); see the module docstring."""
    if loci is None:
        loci = prepare_loci(case)[0]
    if case.theta == 0.0:
        plan = _Theta0(case, loci)
        return plan.results(ordered_distributions_batch([plan.request])[0])
    model = PedigreeLikelihood(case.pedigree)
    refs = _typed_references(case)
    typed = _poi_typed(case, loci)
    values: dict[str, float] = {}
    if typed:
        h2_model = PedigreeLikelihood(case.pedigree.with_persons([Person(POI_ID, "unknown")]))
        dropout = dict(case.dropout)
        h1 = model.log10_likelihoods(
            typed, {**refs, case.missing: case.poi}, {**dropout, case.missing: case.poi_dropout}, case.theta
        )
        h2 = h2_model.log10_likelihoods(
            typed, {**refs, POI_ID: case.poi}, {**dropout, POI_ID: case.poi_dropout}, case.theta
        )
        for locus, l1, l2 in zip(typed, h1, h2, strict=True):
            if l2 == -math.inf:
                raise KinshipError(
                    f"case {case.id}, marker {locus.name}: the reference profiles are impossible under H2"
                )
            values[locus.name] = 0.0 if l1 == -math.inf else 10.0 ** (l1 - l2)
    return _marker_results(loci, refs, values)


def _typed_references(case: KinshipCase) -> dict[str, dict[str, list[str]]]:
    return {pid: {m: g for m, g in prof.items() if _typed(g)} for pid, prof in case.references.items()}


def _poi_typed(case: KinshipCase, loci: Sequence[Locus]) -> list[Locus]:
    return [locus for locus in loci if _typed(case.poi.get(locus.name))]


def _marker_results(
    loci: Sequence[Locus], refs: Mapping[str, Mapping[str, list[str]]], values: Mapping[str, float]
) -> list[MarkerResult]:
    """One :class:`MarkerResult` per locus; a marker without a value (POI untyped) has LR 1."""
    n_refs = Counter(marker for prof in refs.values() for marker in prof)
    results = []
    for locus in loci:
        lr = values.get(locus.name, 1.0)
        log10_lr = math.log10(lr) if lr > 0 else -math.inf
        results.append(MarkerResult(locus.name, lr, log10_lr, locus.name in values, n_refs[locus.name]))
    return results


class _Theta0:
    """A theta = 0 case as one request for the missing person's genotype distribution, and its LRs."""

    def __init__(self, case: KinshipCase, loci: Sequence[Locus]) -> None:
        self.case = case
        self.loci = loci
        self.refs = _typed_references(case)
        self.typed = _poi_typed(case, loci)
        model = PedigreeLikelihood(case.pedigree)
        self.request = OrderedRequest(model, self.typed, self.refs, case.missing, case.dropout)

    def results(self, dists: Sequence[tuple[np.ndarray, float]]) -> list[MarkerResult]:
        case = self.case
        values: dict[str, float] = {}
        for locus, (ordered, log10_refs) in zip(self.typed, dists, strict=True):
            if log10_refs == -math.inf:
                raise KinshipError(
                    f"case {case.id}, marker {locus.name}: the reference profiles are impossible in this "
                    "pedigree (Mendelian inconsistency without a mutation model)"
                )
            values[locus.name] = poi_marker_lr(ordered, locus, case.poi[locus.name], case.poi_dropout)
        return _marker_results(self.loci, self.refs, values)


def missing_person_lr(case: KinshipCase) -> KinshipResult:
    """Per-marker and total LR for H1 "POI = missing person" against H2 "POI unrelated"."""
    case.validate()
    loci, notes = prepare_loci(case)
    try:
        results = marker_lrs(case, loci)
    except (LikelihoodError, KeyError, PedigreeError) as exc:
        raise KinshipError(f"case {case.id}: {exc}") from exc
    return _result(case, results, notes)


def _result(case: KinshipCase, results: list[MarkerResult], notes: list[str]) -> KinshipResult:
    notes = [*case.notes, *notes]
    if case.theta > 0:
        notes.append(f"theta = {case.theta:g} (Balding–Nichols) applied to all founders and the POI under H2")
    return KinshipResult(case.id, results, notes, case.theta)


def missing_person_lrs(cases: Sequence[KinshipCase]) -> list[KinshipResult]:
    """:func:`missing_person_lr` of every case, in order, with the same numbers, computed together.

    Cases with theta = 0 whose pedigrees have the same shape (and the same missing person's position and
    dropout) are one elimination per typing pattern, their markers stacked (see
    :func:`~kinlink.genetics.likelihood.ordered_distributions_batch`): a laboratory's cases share a few
    family shapes, so a batch costs far less than its cases one by one. A case that cannot be computed
    raises its :class:`KinshipError`, the first such case's as one by one would.
    """
    try:
        return _missing_person_lrs(cases)
    except (KinshipError, LikelihoodError, KeyError, PedigreeError):
        # Some case fails: compute them one by one, so that the error is the first failing case's.
        return [missing_person_lr(case) for case in cases]


def _missing_person_lrs(cases: Sequence[KinshipCase]) -> list[KinshipResult]:
    prepared: list[tuple[list[Locus], list[str]]] = []
    for case in cases:
        case.validate()
        prepared.append(prepare_loci(case))
    plans = {k: _Theta0(case, prepared[k][0]) for k, case in enumerate(cases) if case.theta == 0.0}
    dists = dict(zip(plans, ordered_distributions_batch([p.request for p in plans.values()]), strict=True))
    out = []
    for k, case in enumerate(cases):
        loci, notes = prepared[k]
        results = plans[k].results(dists[k]) if k in plans else marker_lrs(case, loci)
        out.append(_result(case, results, notes))
    return out
