"""Intervals for the total: profile likelihood conditional on a model, and the BCa bootstrap.

*Profile likelihood* (Cormack 1992; Rcapture ``closedpCI.t``): for a candidate total ``N`` the all-zero cell
gets the count ``N − n`` and the model is fitted to the complete ``2**t`` table. The multinomial
log-likelihood

    ℓ(N) = log N! − log (N − n)! + Σ_cells y log(μ̂ / N)

is maximised over ``N`` and the interval is ``{N : 2 (ℓ_max − ℓ(N)) ≤ χ²₁(level)}``. It is conditional on
the model: it ignores the uncertainty of the model choice.

*BCa bootstrap* (Chan, Silverman and Vincent 2021, section 3.3): resample the observed people
(multinomial on the observed histories), repeat the whole estimation, model choice included, in every
replicate; bias correction ``z0`` from the share of replicates below the estimate, acceleration from a
jackknife that removes one person of each observed history. Quantiles use R's type 8.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special, stats

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.loglinear import (
    Term,
    design_matrix,
    empty_terms,
    irls_poisson,
    kept_cells,
    normalise_terms,
)


@dataclass(frozen=True)
class ProfileInterval:
    """Profile-likelihood interval; ``hi`` is ``inf`` when the likelihood does not fall far enough."""

    lo: float
    hi: float
    point: float
    level: float


def profile_loglik(
    data: CaptureData, terms: Sequence[Term], heterogeneity: str | None = None
) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """ℓ(N) for an array of totals ``N > n`` (constants dropped), extended-MLE cells removed."""
    terms = normalise_terms(terms)
    empty = empty_terms(data, terms)
    kept_t = tuple(t for t in terms if t not in empty)
    keep = np.concatenate([[True], kept_cells(data.n_lists, empty)])
    x = design_matrix(data.n_lists, kept_t, heterogeneity, include_zero_cell=True)[keep]
    y_obs = data.counts[keep[1:]]
    n = data.observed

    def loglik(totals: NDArray[np.float64]) -> NDArray[np.float64]:
        totals = np.atleast_1d(np.asarray(totals, dtype=np.float64))
        y = np.column_stack([totals - n, np.broadcast_to(y_obs, (len(totals), len(y_obs)))])
        res = irls_poisson(np.broadcast_to(x, (len(totals), *x.shape)), y)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms_ = np.where(y > 0, y * np.log(res.mu / totals[:, None]), 0.0)
        return np.asarray(special.gammaln(totals + 1) - special.gammaln(totals - n + 1) + terms_.sum(axis=1))

    return loglik


def profile_interval(
    data: CaptureData,
    terms: Sequence[Term],
    level: float = 0.95,
    heterogeneity: str | None = None,
    start: float | None = None,
) -> ProfileInterval:
    """Profile-likelihood interval for the total under a fixed model (see module docstring)."""
    n = data.observed
    ll = profile_loglik(data, terms, heterogeneity)

    def f(log_dark: float) -> float:
        return float(ll(np.array([n + math.exp(log_dark)]))[0])

    guess = math.log(max((start or 2 * n) - n, 1e-3))
    res = optimize.minimize_scalar(
        lambda u: -f(u), bracket=(guess - 0.5, guess + 0.5), method="brent", options={"xtol": 1e-10}
    )
    u_max = float(res.x)
    l_max = -float(res.fun)
    cut = l_max - stats.chi2.ppf(level, 1) / 2

    def g(u: float) -> float:
        return f(u) - cut

    # lower end: below the maximum on the log-dark scale; it can hit n (dark figure 0)
    lo_u = u_max - 1.0
    while g(lo_u) > 0 and lo_u > -30:
        lo_u -= 2.0
    lo = n if g(lo_u) > 0 else n + math.exp(optimize.brentq(g, lo_u, u_max, xtol=1e-12))
    hi_u = u_max + 1.0
    while g(hi_u) > 0 and hi_u < u_max + 25:
        hi_u += 2.0
    hi = math.inf if g(hi_u) > 0 else n + math.exp(optimize.brentq(g, u_max, hi_u, xtol=1e-12))
    return ProfileInterval(lo=lo, hi=hi, point=n + math.exp(u_max), level=level)


# ---------------------------------------------------------------------------------------------------------
# BCa bootstrap


@dataclass(frozen=True)
class BootstrapInterval:
    """BCa interval with its ingredients; ``replicates`` are the bootstrap totals."""

    lo: float
    hi: float
    estimate: float
    z0: float
    acceleration: float
    replicates: NDArray[np.float64]
    level: float


def quantile_type8(values: NDArray[np.float64], probs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sample quantiles by Hyndman–Fan type 8 (R ``quantile(type = 8)``), median-unbiased."""
    return np.quantile(values, probs, method="median_unbiased")


def bca_interval(
    replicates: NDArray[np.float64],
    estimate: float,
    jackknife: NDArray[np.float64],
    jackknife_weights: NDArray[np.float64],
    level: float = 0.95,
) -> tuple[float, float, float, float]:
    """BCa limits from bootstrap replicates and a weighted jackknife; returns (lo, hi, z0, acceleration)."""
    share = float(np.mean(replicates < estimate))
    share = min(max(share, 0.5 / len(replicates)), 1 - 0.5 / len(replicates))
    z0 = float(stats.norm.ppf(share))
    w = jackknife_weights
    mean = float(np.sum(w * jackknife) / np.sum(w))
    r = mean - jackknife
    denom = 6 * float(np.sum(w * r**2)) ** 1.5
    a = float(np.sum(w * r**3)) / denom if denom > 0 else 0.0
    alphas = np.array([(1 - level) / 2, (1 + level) / 2])
    za = stats.norm.ppf(alphas) + z0
    probs = stats.norm.cdf(z0 + za / (1 - a * za))
    lo, hi = quantile_type8(replicates, probs)
    return float(lo), float(hi), z0, a


def bootstrap_bca(
    data: CaptureData,
    estimator: Callable[[CaptureData], float],
    n_boot: int,
    seed: int | None = None,
    level: float = 0.95,
    progress: Callable[[range], range] | None = None,
) -> BootstrapInterval:
    """Nonparametric BCa bootstrap of ``estimator`` (which must redo the model choice itself)."""
    if n_boot < 10:
        raise ValueError("the bootstrap needs at least 10 replicates")
    rng = np.random.default_rng(seed)
    n = round(data.observed)
    probs = data.counts / data.counts.sum()
    estimate = estimator(data)
    draws = rng.multinomial(n, probs, size=n_boot).astype(np.float64)
    steps = range(n_boot) if progress is None else progress(range(n_boot))
    reps = np.array([estimator(data.with_counts(draws[b])) for b in steps])
    cells = np.flatnonzero(data.counts > 0)
    jack = np.empty(len(cells))
    for k, c in enumerate(cells):
        counts = data.counts.copy()
        counts[c] -= 1
        jack[k] = estimator(data.with_counts(counts))
    lo, hi, z0, a = bca_interval(reps, estimate, jack, data.counts[cells], level)
    return BootstrapInterval(
        lo=lo, hi=hi, estimate=estimate, z0=z0, acceleration=a, replicates=reps, level=level
    )
