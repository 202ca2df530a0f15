"""Stratified estimation: estimate each stratum (region × quarter, for example) and add up.

Capture probabilities and list dependence differ between regions and periods; estimating within strata
and summing reduces that heterogeneity. A stratum is refused, with the reason, when its lists do not overlap
enough for multiple-systems estimation: fewer than two lists with people, fewer than ``min_overlap`` people
on more than one list, or no one in common between any two lists. Refused strata are reported with their
observed counts and are not part of the estimated total.

The interval of the total (:func:`sum_interval`) combines the strata as independent samples, each in the
way its own interval was made:

* profile likelihood (log-linear, no bootstrap): the profile likelihood of the sum, maximising
  ``Σ ℓ_s(N_s)`` subject to ``Σ N_s = N`` (:func:`kinlink.estimation.intervals.profile_sum_interval`);
* BCa bootstrap: a stratified bootstrap, each stratum resampled on its own stream, the ``b``-th replicates
  added, the acceleration from the jackknife of the sum over all people
  (:func:`kinlink.estimation.intervals.bca_sum`);
* posterior (dga, lcmcr): independent draws from each stratum's posterior added, equal-tailed quantiles.

Earlier versions added the strata's interval half-widths in quadrature (a normal approximation). That
ignores the skewness of every stratum's interval and of the sum (the dark figure is bounded below and has
a long upper tail), and it is not used any more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from kinlink.estimation.capture import CaptureData, histories_from_memberships
from kinlink.estimation.loglinear import LoglinearFit, ModelError
from kinlink.estimation.mse import MseResult
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
    """Sum over the accepted strata with the profile-likelihood interval of the sum (see module docstring)."""

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
    parts: list[tuple[CaptureData, tuple[tuple[int, ...], ...]]] = []
    total, refused_obs = 0.0, 0.0
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
        parts.append((data, f.terms))
    if not any(r.refused is None for r in results):
        raise ModelError(
            "no stratum can be estimated: " + "; ".join(f"{r.stratum}: {r.refused}" for r in results)
        )
    from kinlink.estimation.intervals import profile_sum_interval

    prof = profile_sum_interval(parts, level)
    kind = (
        f"profile likelihood {round(level * 100)}% of the sum over {len(parts)} independent strata, "
        "conditional on each stratum's model"
    )
    return StratifiedEstimate(tuple(results), total, (prof.lo, prof.hi), kind, refused_obs)


def stratum_seeds(seed: int | None, n: int) -> list[int | None]:
    """Independent seeds for ``n`` strata (a stratified bootstrap must not reuse one stream)."""
    if seed is None:
        return [None] * n
    return [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(seed).spawn(n)]


def sum_interval(
    parts: Sequence[tuple[CaptureData, MseResult]], level: float = 0.95, seed: int | None = None
) -> tuple[tuple[float, float], str]:
    """Interval of the sum of independent strata's estimates, and its kind (see module docstring).

    Every part must come from :func:`kinlink.estimation.mse.estimate_mse` with the same method and level.
    """
    from kinlink.estimation.intervals import bca_sum, profile_sum_interval

    if not parts:
        raise ModelError("no strata to add up")
    pct = f"{round(level * 100)}%"
    observed = sum(d.observed for d, _ in parts)
    if len(parts) == 1:
        return parts[0][1].interval, parts[0][1].interval_kind
    results = [r for _, r in parts]
    k = len(parts)
    if all(r.bootstrap is not None for r in results):
        boots = [r.bootstrap for r in results if r.bootstrap is not None]
        lo, hi, _, _ = bca_sum(boots, level)
        return (
            (max(lo, observed), hi),
            f"BCa bootstrap {pct} of the sum over {k} strata ({len(boots[0].replicates)} replicates "
            "per stratum, resampled independently; model choice repeated in each)",
        )
    if all(r.profile_model is not None for r in results):
        prof = profile_sum_interval([(d, r.profile_model or ()) for d, r in parts], level)
        return (
            (prof.lo, prof.hi),
            f"profile likelihood {pct} of the sum over {k} independent strata, "
            "conditional on each stratum's model",
        )
    if all(r.posterior is not None for r in results):
        rng = np.random.default_rng(seed)
        draws = np.zeros(20_000)
        for r in results:
            values, probs = r.posterior or (np.zeros(1), np.ones(1))
            draws += rng.choice(values, size=len(draws), p=probs / probs.sum())
        lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
        return (
            (float(lo), float(hi)),
            f"posterior {pct} credible interval of the sum over {k} strata (independent posteriors added)",
        )
    raise ModelError("the strata's intervals are of different kinds and cannot be combined")


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
