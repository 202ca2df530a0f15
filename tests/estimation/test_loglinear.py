"""Log-linear fits, extended MLE and the existence/identifiability checks against published numbers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import statsmodels.api as sm

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.loglinear import (
    ModelError,
    check_model,
    design_matrix,
    fit_loglinear,
    fit_many,
    irls_poisson,
    parse_terms,
)

from .conftest import Loader

ALL_PAIRS_4 = list(itertools.combinations(range(4), 2))


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def test_rome_main_effects_matches_rcapture(load: Loader) -> None:
    fit = fit_loglinear(load("rome_hiv_4lists.csv"), ())
    assert rel(fit.estimate, 11124.6) < 1e-3
    assert rel(fit.se_estimate, 904.8) < 1e-3
    assert fit.deviance == pytest.approx(13.026, abs=1e-3)
    assert fit.df == 10
    assert fit.aic == pytest.approx(90.062, abs=1e-3)


def test_rome_interaction_models_match_rcapture(load: Loader) -> None:
    data = load("rome_hiv_4lists.csv")
    one = fit_loglinear(data, parse_terms("c1:c2", data.lists))
    assert rel(one.estimate, 12318.5) < 1e-3
    assert rel(one.se_estimate, 1188.7) < 1e-3
    assert one.deviance == pytest.approx(7.614, abs=1e-3)
    assert one.aic == pytest.approx(86.65, abs=1e-2)
    full = fit_loglinear(data, ALL_PAIRS_4)
    assert rel(full.estimate, 23443.5) < 1e-3
    assert full.deviance == pytest.approx(3.037, abs=1e-3)
    assert full.df == 4


def test_rome_darroch_heterogeneity(load: Loader) -> None:
    fit = fit_loglinear(load("rome_hiv_4lists.csv"), (), heterogeneity="darroch")
    assert rel(fit.estimate, 21327.5) < 1e-3
    assert fit.deviance == pytest.approx(10.426, abs=1e-3)


def test_irls_agrees_with_statsmodels(load: Loader) -> None:
    data = load("kosovo_1999_killings_4lists.csv")
    for terms in ([], [(0, 1)], [(0, 1), (1, 2), (2, 3)], ALL_PAIRS_4):
        x = design_matrix(4, terms)
        ref = sm.GLM(data.counts, x, family=sm.families.Poisson()).fit(tol=1e-12)
        ours = fit_loglinear(data, terms)
        assert ours.intercept == pytest.approx(ref.params[0], abs=1e-7)
        assert ours.se_log_dark == pytest.approx(ref.bse[0], rel=1e-5)
        assert ours.deviance == pytest.approx(ref.deviance, abs=1e-6)
        batch = irls_poisson(x, data.counts)
        np.testing.assert_allclose(batch.beta[0], ref.params, atol=1e-6)


def test_fit_many_agrees_with_single_fits(load: Loader) -> None:
    data = load("uk_modern_slavery_2013_5lists.csv")
    models = [(), ((0, 1),), ((0, 1), (1, 2), (0, 4)), ((0, 1), (0, 2), (1, 2), (0, 1, 2))]
    for (_terms, empty, est, loglik, n_params, ok), m in zip(fit_many(data, models), models, strict=True):
        single = fit_loglinear(data, m, check=False)
        assert ok
        assert empty == single.empty_terms
        assert est == pytest.approx(single.estimate, rel=1e-8)
        assert loglik == pytest.approx(single.loglik, abs=1e-6)
        assert n_params == single.n_params


def test_artificial_existence_and_identifiability(load: Loader) -> None:
    """Chan, Silverman and Vincent (2021) Table 3.

    [12,13,23] not identifiable; [12,3] no MLE; [13,23,1,2] ok.
    """
    data = load("sparsemse_artificial_3lists.csv")
    all_two = check_model(data, [(0, 1), (0, 2), (1, 2)])
    assert not all_two.identifiable
    assert all_two.exists
    assert all_two.empty_terms == ((0, 2), (1, 2))
    ab_only = check_model(data, [(0, 1)])
    assert ab_only.identifiable
    assert not ab_only.exists
    fine = check_model(data, [(0, 2), (1, 2)])
    assert fine.ok
    assert fine.empty_terms == ((0, 2), (1, 2))
    with pytest.raises(ModelError, match="does not exist"):
        fit_loglinear(data, [(0, 1)])
    with pytest.raises(ModelError, match="not identifiable"):
        fit_loglinear(data, [(0, 1), (0, 2), (1, 2)])
    # the extended MLE drops the empty A:C and B:C cells; the fit then rests on the other four cells
    fit = fit_loglinear(data, [(0, 2), (1, 2)])
    assert fit.coefficients["A:C"] == -np.inf
    assert fit.n_params == 6
    assert fit.fitted[data.histories.tolist().index([1, 0, 1])] == 0


def test_parse_terms_errors() -> None:
    lists = ("A", "B", "C")
    assert parse_terms("A:B,B:C", lists) == ((0, 1), (1, 2))
    assert parse_terms("B:A A:B", lists) == ((0, 1),)
    with pytest.raises(ModelError, match="unknown list 'D'"):
        parse_terms("A:D", lists)
    with pytest.raises(ModelError, match="two or more lists"):
        parse_terms("A", lists)


def _random_data(rng: np.random.Generator, t: int) -> CaptureData:
    counts = rng.poisson(rng.uniform(0.5, 40, size=2**t - 1)).astype(float)
    counts[:t] += 5  # every list has people
    return CaptureData(tuple("ABCDEF"[:t]), counts)


@pytest.mark.parametrize("seed", range(6))
def test_properties_floor_relabel_scale(seed: int) -> None:
    """Estimate ≥ observed; relabelling lists changes nothing; k× counts gives about k× the estimate."""
    rng = np.random.default_rng(seed)
    data = _random_data(rng, 4)
    terms = [(0, 1), (2, 3)]
    fit = fit_loglinear(data, terms, check=False)
    assert fit.estimate >= data.observed
    order = list(rng.permutation(4))
    relabelled = data.relabel(order)
    new_index = {old: new for new, old in enumerate(order)}
    moved = [tuple(sorted(new_index[i] for i in t)) for t in terms]
    assert fit_loglinear(relabelled, moved, check=False).estimate == pytest.approx(fit.estimate, rel=1e-8)
    scaled = fit_loglinear(data.with_counts(data.counts * 3), terms, check=False)
    assert scaled.estimate == pytest.approx(3 * fit.estimate, rel=1e-6)
