"""Stratified estimation: estimate each stratum (region × quarter, for example) and add up.

Capture probabilities and list dependence differ between regions and periods; estimating within strata
and summing reduces that heterogeneity. A stratum is refused, with the reason, when its lists do not overlap
enough for multiple-systems estimation: fewer than two lists with people, fewer than ``min_overlap`` people
on more than one list, or no one in common between any two lists. Refused strata are reported with their
observed counts and are not part of the estimated total.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from scipy import stats

from kinlink.estimation.capture import CaptureData, histories_from_memberships
from kinlink.estimation.loglinear import LoglinearFit, ModelError
from kinlink.estimation.selection import select_model

DEFAULT_MIN_OVERLAP = 5


@dataclass(frozen=True)
class StratumEstimate:
    """One stratum: its estimate, or why it was refused."""

    stratum: str
    observed: float
    estimate: float | None
    se: float | None
    model: str | None
    refused: str | None


@dataclass(frozen=True)
class StratifiedEstimate:
    """Sum over the accepted strata with a normal interval from the summed model-conditional variances."""

    strata: tuple[StratumEstimate, ...]
    estimate: float
    interval: tuple[float, float]
    interval_kind: str
    observed_refused: float

    @property
    def refused(self) -> tuple[StratumEstimate, ...]:
        return tuple(s for s in self.strata if s.refused)


def overlap_problem(data: CaptureData, min_overlap: int = DEFAULT_MIN_OVERLAP) -> str | None:
    """Why a stratum cannot be estimated, or ``None`` when its lists overlap enough."""
    totals = data.list_totals()
    with_people = [name for name, v in totals.items() if v > 0]
    if len(with_people) < 2:
        return f"only {len(with_people)} list(s) have people in this stratum; at least two are needed"
    multi = float(data.counts[data.histories.sum(axis=1) >= 2].sum())
    if multi < min_overlap:
        return (
            f"only {multi:.0f} people are on more than one list (at least {min_overlap} needed): "
            "the overlaps are too sparse to estimate anything"
        )
    idx = [data.lists.index(n) for n in with_people]
    if all(data.overlap((a, b)) == 0 for i, a in enumerate(idx) for b in idx[i + 1 :]):
        return "no two lists share anyone"
    return None


def estimate_strata(
    strata: Mapping[str, CaptureData],
    method: str = "stepwise",
    min_overlap: int = DEFAULT_MIN_OVERLAP,
    level: float = 0.95,
    fit: Callable[[CaptureData], LoglinearFit] | None = None,
) -> StratifiedEstimate:
    """Estimate every stratum with a log-linear ``method`` (or a custom ``fit``) and sum the estimates."""
    results = []
    total, var, refused_obs = 0.0, 0.0, 0.0
    for key in sorted(strata):
        data = strata[key]
        problem = overlap_problem(data, min_overlap)
        if problem is None:
            try:
                f = fit(data) if fit is not None else select_model(data, method).fit
            except ModelError as exc:
                problem = str(exc)
        if problem is not None:
            results.append(StratumEstimate(key, data.observed, None, None, None, problem))
            refused_obs += data.observed
            continue
        results.append(StratumEstimate(key, data.observed, f.estimate, f.se_estimate, f.model, None))
        total += f.estimate
        var += f.se_estimate**2
    if not any(r.refused is None for r in results):
        raise ModelError(
            "no stratum can be estimated: " + "; ".join(f"{r.stratum}: {r.refused}" for r in results)
        )
    z = stats.norm.ppf(0.5 + level / 2)
    observed_ok = sum(r.observed for r in results if r.refused is None)
    lo = max(observed_ok, total - z * math.sqrt(var))
    hi = total + z * math.sqrt(var)
    kind = (
        f"normal {round(level * 100)}% from summed per-stratum variances, conditional on each stratum's model"
    )
    return StratifiedEstimate(tuple(results), total, (lo, hi), kind, refused_obs)


def strata_from_memberships(
    memberships: Iterable[tuple[str, str]],
    stratum_of: Mapping[str, str],
    lists: Sequence[str] | None = None,
    derived: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, CaptureData]:
    """Split (person_key, list_name) memberships by each person's stratum and count histories per stratum."""
    by: dict[str, list[tuple[str, str]]] = {}
    mem = list(memberships)
    names = list(lists) if lists is not None else sorted({x for _, x in mem})
    for person, list_name in mem:
        if person not in stratum_of:
            raise ModelError(f"person {person!r} has no stratum")
        by.setdefault(stratum_of[person], []).append((person, list_name))
    return {key: histories_from_memberships(m, names, derived) for key, m in by.items()}
