"""Profile-likelihood and BCa bootstrap intervals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.intervals import bca_interval, bootstrap_bca, profile_interval, quantile_type8
from kinlink.estimation.loglinear import check_model, fit_loglinear, fit_many, parse_terms
from kinlink.estimation.selection import bic_ranking, estimate_total, stepwise_terms
from tests.estimation.r_draws import r_resamples

from .conftest import Loader


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def test_profile_interval_rome_matches_rcapture(load: Loader) -> None:
    data = load("rome_hiv_4lists.csv")
    one = profile_interval(data, parse_terms("c1:c2", data.lists))
    assert rel(one.lo, 10266) < 1e-3
    assert rel(one.hi, 14992.3) < 1e-3
    assert rel(one.point, 12308) < 1e-3
    full = profile_interval(data, list(itertools.combinations(range(4), 2)))
    assert rel(full.lo, 10027.6) < 1e-3
    assert rel(full.hi, 50046.3) < 1e-3
    assert rel(full.point, 23269.8) < 1e-3


def test_profile_interval_brackets_the_estimate_and_widens_with_level(load: Loader) -> None:
    data = load("kosovo_1999_killings_4lists.csv")
    fit = fit_loglinear(data, [(0, 1)])
    p95 = profile_interval(data, fit.terms, 0.95)
    p80 = profile_interval(data, fit.terms, 0.80)
    assert p95.lo < p80.lo < fit.estimate < p80.hi < p95.hi
    assert p95.lo >= data.observed


def test_quantile_type8_matches_r() -> None:
    # Hyndman–Fan type 8: h = n p + (p + 1) / 3, interpolate between order statistics floor(h), floor(h) + 1
    x = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    q = quantile_type8(x, np.array([0.3, 0.5, 0.7]))
    np.testing.assert_allclose(q, [1 + (1.5 + 1.3 / 3 - 1), 4.0, 7 + 4 * (3.5 + 1.7 / 3 - 4)])


def test_bca_formula_reduces_to_percentile_without_bias_or_acceleration() -> None:
    reps = np.linspace(0, 100, 1001)
    jack = np.array([1.0, 1.0, 1.0])
    lo, hi, z0, a = bca_interval(reps, 50.0, jack, np.ones(3))
    assert z0 == pytest.approx(0.0, abs=1e-2)
    assert a == 0.0
    assert lo == pytest.approx(2.5, abs=0.3)
    assert hi == pytest.approx(97.5, abs=0.3)


def test_bca_repeats_the_model_choice_and_is_seeded(load: Loader) -> None:
    """Western site (stepwise A:E): the BCa bootstrap redoes the stepwise choice in every replicate.

    The published interval [1,293, 3,670] comes from 1,000 replicates drawn by R's generator; its lower
    end is the smallest replicate, so it moves with the draw (reproduced exactly with R's resamples below;
    the spread over numpy seeds is in bench/results/estimation.json).
    """
    data = load("us_western_site_trafficking_5lists.csv")
    chosen: set[tuple[tuple[int, ...], ...]] = set()

    def estimator(d):  # type: ignore[no-untyped-def]
        terms = stepwise_terms(d)
        chosen.add(terms)
        return fit_loglinear(d, terms, check=False).estimate

    a = bootstrap_bca(data, estimator, 150, seed=1234)
    assert len(chosen) > 3  # the model choice varies between replicates
    b = bootstrap_bca(data, lambda d: estimate_total(d, "stepwise"), 150, seed=1234)
    assert a.lo == b.lo and a.hi == b.hi
    assert a.lo < a.estimate < a.hi
    assert rel(a.estimate, 2483) < 1e-3
    assert a.lo >= data.observed
    assert 2483 * 1.2 < a.hi < 3670 * 1.2


@pytest.mark.parametrize(
    ("name", "published", "r_run"),
    [
        # published (Chan, Silverman and Vincent 2021) and the SparseMSE run noted in reference_estimates.csv
        ("us_western_site_trafficking_5lists.csv", (1293, 3670), (1293, 3672)),
        ("new_orleans_trafficking_5lists.csv", (589, 1703), (589, 1704)),
        pytest.param("new_orleans_trafficking_8lists.csv", (717, 1657), None, marks=pytest.mark.slow),
    ],
)
def test_bca_with_r_resamples_reproduces_the_published_interval(
    load: Loader, name: str, published: tuple[int, int], r_run: tuple[int, int] | None
) -> None:
    """Fed with R's own multinomial resamples, our stepwise BCa gives SparseMSE's interval: the algorithm is
    the same (multinomial on the observed people, model choice in every replicate, z0 from the share
    strictly below, jackknife over people, type-8 quantiles); only the random stream differs otherwise."""
    data = load(name)
    res = bootstrap_bca(data, lambda d: estimate_total(d, "stepwise"), 0, resamples=r_resamples(data, name))
    assert len(res.replicates) == 1000 and res.failed == 0
    for ours, theirs in zip((res.lo, res.hi), published, strict=True):
        assert rel(ours, theirs) < 0.02  # the tolerance
    # in fact the same to the unit as R (the published upper ends were rounded down by the paper)
    expected = r_run or published
    assert abs(res.lo - expected[0]) < 1.0 and abs(res.hi - expected[1]) < 1.0
    # the lower limit sits on the smallest replicate: its BCa level is below 1/(B + 1/3)
    assert res.lo == pytest.approx(float(np.min(res.replicates)))


@pytest.mark.slow
def test_bca_two_way_bic_uk5_with_r_resamples_and_the_acceleration_of_the_2024_code(load: Loader) -> None:
    """UK five lists, BIC over the 1,024 two-way models, 22,991; published BCa [11,456, 43,894] (Table 6).

    With R's draws our BCa gives [11,753.6, 43,894.1]: the upper end (the largest replicate) to the unit,
    the lower end 2.6% above. The difference is the acceleration. The 2024 code (``ntopBCa``) selects the
    two-way models of a ranking made over all hierarchical models (order ≤ 4) for the bootstrap, but passes
    the unfiltered jackknife matrix to ``bicktopahatcal``, which takes its first 1,024 rows: the jackknife
    then chooses among the 1,024 best models of the all-orders ranking (656 of them with a three-way term;
    delete-one estimates 25,267 to 25,872 but one) instead of among the two-way models. Recomputing the
    acceleration that way, from the same replicates, gives the published interval to the unit. We keep our
    own acceleration (jackknife over the same model set as the bootstrap, as BCa requires).
    """
    name = "uk_modern_slavery_2013_5lists.csv"
    data = load(name)
    res = bootstrap_bca(
        data, lambda d: estimate_total(d, "bic", max_order=2), 0, resamples=r_resamples(data, name)
    )
    assert res.failed == 0 and rel(res.estimate, 22991) < 1e-3
    assert abs(res.hi - 43894) < 1.0 and res.hi == pytest.approx(float(np.max(res.replicates)))
    assert abs(res.lo - 11753.6) < 1.0 and rel(res.lo, 11456) > 0.02
    assert res.acceleration == pytest.approx(0.1113, abs=1e-3)

    # the 2024 code's jackknife: the 1,024 best models of the order-4 ranking that have an MLE (R's
    # assemble_bic drops the others), in their original-data order, the first minimum of BIC chosen
    top: list[tuple[tuple[int, ...], ...]] = []
    for ranked in bic_ranking(data, 4):
        if check_model(data, ranked.terms).ok:
            top.append(ranked.terms)
        if len(top) == 1024:
            break
    assert len(top) == 1024 and sum(max(map(len, m), default=0) <= 2 for m in top) < 1024

    def choose_among_top(d: CaptureData) -> float:
        fits = fit_many(d, top, normalised=True)
        order = sorted(range(len(fits)), key=lambda k: -2 * fits[k][3] + np.log(d.observed) * fits[k][4])
        return next(fits[k][2] for k in order if fits[k][5] and check_model(d, top[k]).ok)

    cells = np.flatnonzero(data.counts > 0)
    jack = np.array(
        [choose_among_top(data.with_counts(data.counts - np.eye(len(data.counts))[c])) for c in cells]
    )
    lo, hi, z0, a = bca_interval(res.replicates, res.estimate, jack, res.jackknife_weights)
    assert z0 == res.z0 and a == pytest.approx(0.0313, abs=1e-3)
    assert abs(lo - 11456) < 1.0 and abs(hi - 43894) < 1.0


def test_bca_with_numpy_resamples_is_seeded_and_within_the_seed_spread(load: Loader) -> None:
    """With numpy's generator the replicates differ from R's, and so do z0 and the limits: over 20 seeds
    of 1,000 replicates the limits spread by tens of percent (bench/results/estimation.json, "bca_seed
    spread"). The lower limit is then the smallest replicate; the interval is reproducible per seed."""
    data = load("new_orleans_trafficking_5lists.csv")
    a = bootstrap_bca(data, lambda d: estimate_total(d, "stepwise"), 1000, seed=1234)
    b = bootstrap_bca(data, lambda d: estimate_total(d, "stepwise"), 1000, seed=1234)
    assert a.lo == b.lo and a.hi == b.hi
    assert a.lo == pytest.approx(float(np.min(a.replicates)))
    assert 1034 * 1.2 < a.hi < 1703 * 1.3 and data.observed <= a.lo < 1034


def test_bootstrap_rejects_resamples_of_the_wrong_shape(load: Loader) -> None:
    data = load("us_western_site_trafficking_5lists.csv")
    with pytest.raises(ValueError, match="shape"):
        bootstrap_bca(data, lambda d: d.observed, 0, resamples=np.zeros((20, 5)))
    with pytest.raises(ValueError, match="as many people"):
        bootstrap_bca(data, lambda d: d.observed, 0, resamples=np.ones((20, len(data.counts))))


def test_failed_replicates_are_left_out() -> None:
    reps = np.concatenate([np.linspace(0, 100, 1001), [np.nan] * 50])
    lo, hi, _, _ = bca_interval(reps, 50.0, np.ones(3), np.ones(3))
    assert lo == pytest.approx(2.5, abs=0.3) and hi == pytest.approx(97.5, abs=0.3)
