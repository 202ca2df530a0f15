"""Latent-class multiple-recapture (LCMCR, Manrique-Vallier 2016): heterogeneous capture probabilities.

People belong to latent classes; within class ``k`` list ``j`` catches a person with probability ``λ_jk``,
independently across lists. Class weights follow a truncated stick-breaking (Dirichlet-process) prior with at
most ``K`` classes (default 10), ``V_k ~ Beta(1, α)``, ``α ~ Gamma(0.25, 0.25)``; ``λ_jk ~ Beta(1, 1)``; the
total has the prior ``p(N) ∝ 1/N``. This is the model of the R package LCMCR with its default priors.

Gibbs sampler (data augmentation, on counts rather than individuals):

1. class counts of each observed history: multinomial with weights ``π_k Π_j λ_jk^x (1 − λ_jk)^(1−x)``;
2. the unseen count ``n₀ ~ NegBin(n, 1 − p₀)`` with ``p₀ = Σ_k π_k Π_j (1 − λ_jk)``, and its classes;
3. ``λ_jk ~ Beta(1 + caught, 1 + not caught)`` counting the unseen people as not caught;
4. stick-breaking weights ``V_k ~ Beta(1 + n_k, α + Σ_{l>k} n_l)``;
5. ``α ~ Gamma(0.25 + K − 1, 0.25 − Σ log(1 − V_k))``.

The posterior of ``N = n + n₀`` is summarised by its median and equal-tailed credible interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.loglinear import ModelError


@dataclass(frozen=True)
class LcmcrResult:
    """Posterior draws of the total (after burn-in and thinning)."""

    totals: NDArray[np.float64]
    observed: float
    max_classes: int
    seed: int | None

    @property
    def median(self) -> float:
        return float(np.median(self.totals))

    @property
    def mean(self) -> float:
        return float(np.mean(self.totals))

    def credible_interval(self, level: float = 0.95) -> tuple[float, float]:
        lo, hi = np.quantile(self.totals, [(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)


def lcmcr(
    data: CaptureData,
    max_classes: int = 10,
    burn_in: int = 5000,
    samples: int = 2000,
    thin: int = 5,
    seed: int | None = None,
    alpha_prior: tuple[float, float] = (0.25, 0.25),
) -> LcmcrResult:
    """Run the Gibbs sampler and return ``samples`` draws of the total."""
    if max_classes < 1:
        raise ModelError("max_classes must be at least 1")
    n = round(data.observed)
    if n <= 0:
        raise ModelError("no one is on any list")
    if data.n_lists < 3:
        raise ModelError("LCMCR needs three or more lists")
    rng = np.random.default_rng(seed)
    x = data.histories.astype(np.float64)  # (H, J)
    counts = np.rint(data.counts).astype(np.int64)
    seen = counts > 0
    x, counts = x[seen], counts[seen]
    k_max = max_classes
    a_alpha, b_alpha = alpha_prior
    lam = rng.uniform(0.1, 0.5, size=(data.n_lists, k_max))
    alpha = 1.0
    v = rng.beta(1.0, alpha, size=k_max)
    v[-1] = 1.0
    draws = np.empty(samples)
    total_iter = burn_in + samples * thin
    kept = 0
    for it in range(total_iter):
        pi = v * np.concatenate([[1.0], np.cumprod(1 - v[:-1])])
        log_lam, log_1m = np.log(lam), np.log1p(-lam)
        # 1. classes of the observed people
        logp = np.log(np.maximum(pi, 1e-300))[None, :] + x @ log_lam + (1 - x) @ log_1m
        logp -= logp.max(axis=1, keepdims=True)
        probs = np.exp(logp)
        probs /= probs.sum(axis=1, keepdims=True)
        m = rng.multinomial(counts, probs)  # (H, K)
        # 2. the unseen people and their classes
        miss_k = pi * np.exp(log_1m.sum(axis=0))
        p0 = float(miss_k.sum())
        p0 = min(max(p0, 1e-12), 1 - 1e-12)
        n0 = int(rng.negative_binomial(n, 1 - p0))
        m0 = rng.multinomial(n0, miss_k / miss_k.sum()) if n0 > 0 else np.zeros(k_max, dtype=np.int64)
        # 3. capture probabilities
        caught = x.T @ m  # (J, K)
        n_k = m.sum(axis=0) + m0
        lam = rng.beta(1.0 + caught, 1.0 + (n_k[None, :] - caught))
        lam = np.clip(lam, 1e-12, 1 - 1e-12)
        # 4. stick-breaking weights and 5. concentration
        tail = np.concatenate([np.cumsum(n_k[::-1])[::-1][1:], [0]])
        v = rng.beta(1.0 + n_k, alpha + tail)
        v[-1] = 1.0
        v[:-1] = np.clip(v[:-1], 1e-12, 1 - 1e-12)
        alpha = float(rng.gamma(a_alpha + k_max - 1, 1.0 / (b_alpha - np.sum(np.log1p(-v[:-1])))))
        if it >= burn_in and (it - burn_in) % thin == 0:
            draws[kept] = n + n0
            kept += 1
    return LcmcrResult(totals=draws[:kept], observed=float(n), max_classes=k_max, seed=seed)
