"""Latent-class model (LCMCR) on simulated heterogeneous populations."""

from __future__ import annotations

import numpy as np
import pytest

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.lcmcr import lcmcr
from kinlink.estimation.loglinear import ModelError, fit_loglinear


def _heterogeneous(seed: int, total: int = 2000) -> CaptureData:
    """Two hidden groups: 30% easy to list (p 0.35–0.55 per list), 70% hard (p 0.05–0.15)."""
    rng = np.random.default_rng(seed)
    easy = rng.random(total) < 0.3
    p = np.where(easy[:, None], rng.uniform(0.35, 0.55, (1, 5)), rng.uniform(0.05, 0.15, (1, 5)))
    caught = (rng.random((total, 5)) < p).astype(int)
    codes = (caught * (1 << np.arange(5))).sum(axis=1)
    return CaptureData(tuple("ABCDE"), np.bincount(codes, minlength=32)[1:].astype(float))


def test_lcmcr_recovers_the_truth_where_independence_fails() -> None:
    data = _heterogeneous(1)
    independence = fit_loglinear(data, ()).estimate
    res = lcmcr(data, burn_in=2000, samples=1000, thin=3, seed=3)
    lo, hi = res.credible_interval()
    assert lo <= 2000 <= hi
    assert independence < lo  # heterogeneity biases the main-effects model down
    assert res.median >= data.observed


def test_lcmcr_is_seeded() -> None:
    data = _heterogeneous(2, 800)
    a = lcmcr(data, burn_in=200, samples=100, thin=1, seed=9)
    b = lcmcr(data, burn_in=200, samples=100, thin=1, seed=9)
    np.testing.assert_array_equal(a.totals, b.totals)
    with pytest.raises(ModelError, match="three or more"):
        lcmcr(CaptureData(("A", "B"), np.array([5.0, 6.0, 2.0])))
