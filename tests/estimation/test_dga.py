"""Madigan–York model averaging against the dga package's tests."""

from __future__ import annotations

import numpy as np
from scipy import special

from kinlink.estimation.dga import decomposable_graphs, dga

from .conftest import Loader


def test_graph_counts() -> None:
    assert len(decomposable_graphs(3)) == 8
    assert len(decomposable_graphs(4)) == 61
    assert len(decomposable_graphs(5)) == 822
    square = [g for g in decomposable_graphs(4) if len(g.edges) == 4]
    assert all(
        len(g.cliques) == 2 for g in square
    )  # the 4-cycle is not chordal; only triangles + edge remain


def test_madigan_york_three_lists(load: Loader) -> None:
    """dga tests/testthat: δ = 1, negative-binomial prior (a = 13.14, b = 55.17), Nmissing 1..300."""
    data = load("madigan_york_3lists.csv")
    a, b = 13.14, 55.17

    def log_prior(n: np.ndarray) -> np.ndarray:
        return (
            n * np.log(b)
            - (n + a) * np.log(1 + b)
            + special.gammaln(n + a)
            - special.gammaln(n + 1)
            - special.gammaln(a)
        )

    res = dga(data, delta=1.0, n_missing=np.arange(1.0, 301.0), log_prior=log_prior)
    assert round(res.bayes_estimate) == 731
    assert res.mode == 728
    # the posterior median: the first total whose CDF reaches 1/2, between the mode and the upper tail
    cdf = np.cumsum(res.posterior)
    k = int(np.searchsorted(cdf, 0.5))
    assert res.median == res.totals[k] and cdf[k - 1] < 0.5 <= cdf[k]
    assert res.mode <= res.median
    _name, prob, est = res.top_models(1)[0]
    assert round(prob, 2) == 0.37
    assert round(est) == 731
    top = int(np.argmax(res.model_probabilities))
    assert res.totals[int(np.argmax(res.weights[top]))] == 729
    assert abs(res.weights.sum() - 1) < 1e-12


def test_default_prior_and_range(load: Loader) -> None:
    data = load("madigan_york_3lists.csv")
    res = dga(data)
    lo, hi = res.credible_interval()
    assert data.observed < lo < res.bayes_estimate < hi
    assert res.posterior[-1] < 1e-9  # the automatic range covers the posterior
