"""Intervals for the total: profile likelihood conditional on a model, and the BCa bootstrap.

*Profile likelihood* (Cormack 1992; Rcapture ``closedpCI.t``): for a candidate total ``N`` the all-zero cell
gets the count ``N − n`` and the model is fitted to the complete ``2**t`` table. The multinomial
log-likelihood

    ℓ(N) = log N! − log (N − n)! + Σ_cells y log(μ̂ / N)

is maximised over ``N`` and the interval is ``{N : 2 (ℓ_max − ℓ(N)) ≤ χ²₁(level)}``. It is conditional on
the model: it ignores the uncertainty of the model choice.

*BCa bootstrap* (Chan, Silverman and Vincent 2021, section 3.3; the algorithm of SparseMSE's
``estimatepopulation`` and ``bcaconfvalues``, step for step):

1. replicates: ``B`` multinomial resamples of the ``n`` observed people over the observed histories
   (probabilities = observed shares; a history nobody has stays empty); nothing is drawn for the unseen
   cell. The whole estimation, model choice included, is repeated on each.
2. bias correction: ``z0 = Φ⁻¹(share of replicates strictly below the estimate)`` (ties count as not
   below). R gives ``−∞``/``+∞`` when the share is 0 or 1; here it is clamped to ``[0.5/B, 1 − 0.5/B]``.
3. acceleration: delete-one jackknife over people. For every observed history one person of that history
   is removed and the estimate recomputed (model choice included); with ``c_h`` people in history ``h``
   and ``θ_(h)`` its jackknife value, ``r_h = Σ c θ_(·)/Σ c − θ_(h)`` and
   ``a = Σ c r³ / (6 (Σ c r²)^{3/2})``.
4. limits: ``z_α = Φ⁻¹(α) + z0``, level ``Φ(z0 + z_α/(1 − a z_α))``, read off the replicates by R's
   ``quantile(type = 8)`` (median-unbiased). Replicates whose estimation fails are dropped (``na.rm``).

Fed with R's own resamples (``set.seed(1234)``; ``rmultinom``) this reproduces the published intervals
to the unit (see docs/methods/estimation.md); with numpy's generator the replicates differ, and where the
BCa level falls below ``1/(B + 1/3)`` the limit is the smallest replicate, which moves with the draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

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
    """BCa interval with its ingredients; ``replicates`` are the bootstrap totals (``nan`` where the
    estimation failed), ``jackknife`` the delete-one estimates with ``jackknife_weights`` people each."""

    lo: float
    hi: float
    estimate: float
    z0: float
    acceleration: float
    replicates: NDArray[np.float64]
    level: float
    jackknife: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0), repr=False)
    jackknife_weights: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0), repr=False)

    @property
    def failed(self) -> int:
        """Replicates whose estimation failed (left out of the interval)."""
        return int(np.sum(~np.isfinite(self.replicates)))


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
    """BCa limits from bootstrap replicates and a weighted jackknife; returns (lo, hi, z0, acceleration).

    Non-finite replicates (failed estimations) are left out, as R's ``na.rm = TRUE``.
    """
    replicates = replicates[np.isfinite(replicates)]
    if len(replicates) < 2:
        raise ValueError("fewer than two bootstrap replicates could be estimated")
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


def resample_counts(
    data: CaptureData, n_boot: int, seed: int | np.random.SeedSequence | None = None
) -> NDArray[np.float64]:
    """``n_boot`` multinomial resamples of the observed people over the histories, (n_boot, 2**t − 1)."""
    rng = np.random.default_rng(seed)
    n = round(data.observed)
    probs = data.counts / data.counts.sum()
    return rng.multinomial(n, probs, size=n_boot).astype(np.float64)


def bootstrap_bca(
    data: CaptureData,
    estimator: Callable[[CaptureData], float],
    n_boot: int,
    seed: int | np.random.SeedSequence | None = None,
    level: float = 0.95,
    progress: Callable[[range], range] | None = None,
    resamples: NDArray[np.float64] | None = None,
) -> BootstrapInterval:
    """Nonparametric BCa bootstrap of ``estimator`` (which must redo the model choice itself).

    ``resamples`` (n_boot, 2**t − 1) replaces the generator's draws, e.g. by R's ``rmultinom`` stream to
    reproduce a published interval exactly. A replicate whose estimation raises ``ValueError`` (no model
    can be fitted) is recorded as ``nan`` and left out.
    """
    if resamples is not None:
        draws = np.asarray(resamples, dtype=np.float64)
        if draws.ndim != 2 or draws.shape[1] != len(data.counts):
            raise ValueError(f"resamples must have shape (replicates, {len(data.counts)})")
        if np.any(np.abs(draws.sum(axis=1) - data.observed) > 0.5):
            raise ValueError("every resample must hold as many people as the data")
        n_boot = len(draws)
    if n_boot < 10:
        raise ValueError("the bootstrap needs at least 10 replicates")
    if resamples is None:
        draws = resample_counts(data, n_boot, seed)
    estimate = estimator(data)

    def safe(d: CaptureData) -> float:
        try:
            return estimator(d)
        except ValueError:
            return math.nan

    steps = range(n_boot) if progress is None else progress(range(n_boot))
    reps = np.array([safe(data.with_counts(draws[b])) for b in steps])
    cells = np.flatnonzero(data.counts > 0)
    jack = np.empty(len(cells))
    for k, c in enumerate(cells):
        counts = data.counts.copy()
        counts[c] -= 1
        jack[k] = estimator(data.with_counts(counts))
    weights = data.counts[cells].astype(np.float64)
    lo, hi, z0, a = bca_interval(reps, estimate, jack, weights, level)
    return BootstrapInterval(
        lo=lo,
        hi=hi,
        estimate=estimate,
        z0=z0,
        acceleration=a,
        replicates=reps,
        level=level,
        jackknife=jack,
        jackknife_weights=weights,
    )


# ---------------------------------------------------------------------------------------------------------
# Intervals for a sum over independent strata


def profile_sum_interval(
    parts: Sequence[tuple[CaptureData, Sequence[Term]]], level: float = 0.95
) -> ProfileInterval:
    """Profile-likelihood interval for ``N = Σ N_s`` over independent strata, each under its own model.

    The strata are independent, so the log-likelihood of the strata's totals is ``Σ ℓ_s(N_s)`` and the
    profile of the sum is ``L(N) = max {Σ ℓ_s(N_s) : Σ N_s = N}``. Its maximiser for a Lagrange multiplier
    ``λ`` is found stratum by stratum (``N_s(λ) = argmax ℓ_s(N_s) − λ N_s``); ``λ = 0`` gives the maximum and
    the limits are the ``λ`` on either side where ``2 (L_max − L) = χ²₁(level)``. Every ``N_s`` of a split
    inside the cut lies inside the stratum's own profile interval, so each search is confined there; the
    construction is exact where ``ℓ_s`` is concave in ``N_s`` over that interval (the usual shape; checked
    against a brute-force maximisation over the split in the tests). Like the per-stratum profile
    interval it is conditional on each stratum's model. The upper limit is infinite when a stratum's own
    profile interval is unbounded above.
    """
    if not parts:
        raise ValueError("no strata to add up")
    lls = [profile_loglik(d, terms) for d, terms in parts]
    ns = [d.observed for d, _ in parts]
    singles = [profile_interval(d, terms, level) for d, terms in parts]
    if len(parts) == 1:
        return singles[0]
    u_hat = [math.log(max(s.point - n, 1e-9)) for s, n in zip(singles, ns, strict=True)]
    z = float(stats.norm.ppf(0.5 + level / 2))
    cut = float(stats.chi2.ppf(level, 1)) / 2

    def f(k: int, u: float) -> float:
        return float(lls[k](np.array([ns[k] + math.exp(u)]))[0])

    l_max = sum(f(k, u) for k, u in enumerate(u_hat))

    # A split with Σ loss_s ≤ cut has every loss_s ≤ cut, so each N_s stays inside the stratum's own
    # interval: search there (where ℓ_s is concave in practice, so the stationary point is the maximum).
    bounds = [
        (
            math.log(s.lo - n) if s.lo - n > 1e-9 else u0 - 30.0,
            math.log(s.hi - n) if math.isfinite(s.hi) else u0 + 12.0,
        )
        for s, n, u0 in zip(singles, ns, u_hat, strict=True)
    ]

    def at(lam: float) -> tuple[float, float]:
        """(Σ N_s(λ), L_max − Σ ℓ_s(N_s(λ)))."""
        total, ll = 0.0, 0.0
        for k in range(len(parts)):
            res = optimize.minimize_scalar(
                lambda u, k=k: -(f(k, u) - lam * math.exp(u)),
                bounds=bounds[k],
                method="bounded",
                options={"xatol": 1e-10},
            )
            u = float(res.x)
            total += ns[k] + math.exp(u)
            ll += f(k, u)
        return total, l_max - ll

    # scale of λ: the inverse standard error of the sum, from the strata's profile widths
    widths = [(s.hi - s.lo) / (2 * z) if math.isfinite(s.hi) else math.inf for s in singles]
    sd = math.sqrt(sum(w * w for w in widths)) if all(math.isfinite(w) for w in widths) else math.inf
    lam0 = z / sd if math.isfinite(sd) and sd > 0 else 1e-3

    def limit(sign: float) -> float:
        lam = sign * lam0
        for _ in range(40):
            if at(lam)[1] > cut:
                break
            lam *= 2.0
        else:
            return math.inf if sign < 0 else float(sum(ns))
        root = optimize.brentq(lambda x: at(x)[1] - cut, 0.0, lam, xtol=1e-14, rtol=1e-10)
        return at(root)[0]

    point = sum(n + math.exp(u) for n, u in zip(ns, u_hat, strict=True))
    lo = limit(+1.0)
    hi = math.inf if any(not math.isfinite(s.hi) for s in singles) else limit(-1.0)
    return ProfileInterval(lo=max(lo, float(sum(ns))), hi=hi, point=point, level=level)


def bca_sum(parts: Sequence[BootstrapInterval], level: float = 0.95) -> tuple[float, float, float, float]:
    """BCa interval of a sum over independent strata from each stratum's own bootstrap.

    The strata were resampled independently (a stratified bootstrap), so adding the ``b``-th replicate of
    every stratum gives a replicate of the sum. The acceleration comes from the delete-one jackknife of the
    sum over all people: removing a person of stratum ``s`` changes only that stratum's estimate, so the
    jackknife value is ``Σ θ − θ_s + θ_s(h)`` with weight the number of people of history ``h`` in ``s``.
    Returns (lo, hi, z0, acceleration).
    """
    if not parts:
        raise ValueError("no strata to add up")
    sizes = {len(p.replicates) for p in parts}
    if len(sizes) != 1:
        raise ValueError("every stratum needs the same number of bootstrap replicates")
    estimate = float(sum(p.estimate for p in parts))
    reps = np.sum([p.replicates for p in parts], axis=0)
    jack = np.concatenate([estimate - p.estimate + p.jackknife for p in parts])
    weights = np.concatenate([p.jackknife_weights for p in parts])
    return bca_interval(reps, estimate, jack, weights, level)
