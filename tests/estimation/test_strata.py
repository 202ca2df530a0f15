"""Stratified estimation and refusal of strata whose lists do not overlap."""

from __future__ import annotations

import numpy as np
import pytest

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.loglinear import ModelError, fit_loglinear
from kinlink.estimation.strata import estimate_strata, overlap_problem, strata_from_memberships

from .conftest import Loader


def test_sum_of_strata_and_refusals(load: Loader) -> None:
    rome = load("rome_hiv_4lists.csv")
    kosovo = load("kosovo_1999_killings_4lists.csv").relabel([0, 1, 2, 3])
    kosovo = CaptureData(rome.lists, kosovo.counts)
    lonely = CaptureData(rome.lists, np.array([40.0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]))
    res = estimate_strata({"north": rome, "south": kosovo, "east": lonely}, method="main")
    expected = fit_loglinear(rome, ()).estimate + fit_loglinear(kosovo, ()).estimate
    assert res.estimate == pytest.approx(expected)
    assert [s.stratum for s in res.refused] == ["east"]
    assert "more than one list" in (res.refused[0].refused or "")
    assert res.observed_refused == 43
    lo, hi = res.interval
    assert rome.observed + kosovo.observed <= lo < res.estimate < hi


def test_overlap_problems() -> None:
    lists = ("A", "B", "C")
    one_list = CaptureData(lists, np.array([30.0, 0, 0, 0, 0, 0, 0]))
    assert "at least two" in (overlap_problem(one_list) or "")
    disjoint = CaptureData(lists, np.array([30.0, 20, 0, 25, 0, 0, 0]))
    assert "more than one list" in (overlap_problem(disjoint) or "")
    fine = CaptureData(lists, np.array([30.0, 20, 8, 25, 5, 6, 2]))
    assert overlap_problem(fine) is None
    with pytest.raises(ModelError, match="no stratum"):
        estimate_strata({"x": disjoint})


def test_strata_from_memberships() -> None:
    memberships = [("a", "L1"), ("a", "L2"), ("b", "L1"), ("c", "L2")]
    strata = strata_from_memberships(memberships, {"a": "kyiv", "b": "kyiv", "c": "lviv"})
    assert strata["kyiv"].observed == 2
    assert strata["lviv"].list_totals() == {"L1": 0, "L2": 1}
    with pytest.raises(ModelError, match="no stratum"):
        strata_from_memberships(memberships, {"a": "kyiv"})


def _two_strata(load: Loader) -> tuple[CaptureData, CaptureData]:
    rome = load("rome_hiv_4lists.csv")
    kosovo = CaptureData(rome.lists, load("kosovo_1999_killings_4lists.csv").counts)
    return rome, kosovo


def test_profile_interval_of_a_sum_matches_brute_force(load: Loader) -> None:
    """The profile likelihood of N1 + N2, maximised over the split by brute force, crosses the χ² cut
    where the Lagrange construction says."""
    from scipy import optimize, stats

    from kinlink.estimation.intervals import profile_interval, profile_loglik, profile_sum_interval

    rome, kosovo = _two_strata(load)
    terms_r, terms_k = ((0, 1),), ()
    res = profile_sum_interval([(rome, terms_r), (kosovo, terms_k)])
    one = profile_sum_interval([(rome, terms_r)])
    assert one == profile_interval(rome, terms_r)
    l1, l2 = profile_loglik(rome, terms_r), profile_loglik(kosovo, terms_k)
    n1, n2 = rome.observed, kosovo.observed

    def prof(total: float) -> float:
        def neg(u: float) -> float:
            a = n1 + np.exp(u)
            b = total - a
            if b <= n2:
                return 1e12
            return -float(l1(np.array([a]))[0] + l2(np.array([b]))[0])

        r = optimize.minimize_scalar(neg, bounds=(-20, np.log(total - n1 - n2)), method="bounded")
        return -float(r.fun)

    l_max = prof(res.point)
    cut = stats.chi2.ppf(0.95, 1) / 2
    for limit in (res.lo, res.hi):
        assert abs(l_max - prof(limit) - cut) < 0.02
    assert res.lo < res.point < res.hi
    # the sum's interval is narrower than adding the strata's own limits (errors partly cancel)
    p1, p2 = profile_interval(rome, terms_r), profile_interval(kosovo, terms_k)
    assert p1.lo + p2.lo < res.lo and res.hi < p1.hi + p2.hi


def test_stratified_bootstrap_of_a_sum(load: Loader) -> None:
    from kinlink.estimation.intervals import bca_interval, bca_sum
    from kinlink.estimation.mse import estimate_mse
    from kinlink.estimation.strata import stratum_seeds, sum_interval

    rome, kosovo = _two_strata(load)
    seeds = stratum_seeds(7, 2)
    assert seeds[0] != seeds[1] and stratum_seeds(7, 2) == seeds
    r1 = estimate_mse(rome, "main", n_boot=200, seed=seeds[0])
    r2 = estimate_mse(kosovo, "main", n_boot=200, seed=seeds[1])
    assert r1.bootstrap is not None and r2.bootstrap is not None
    # one stratum: the stratum's own BCa
    b = r1.bootstrap
    assert bca_sum([b]) == bca_interval(b.replicates, b.estimate, b.jackknife, b.jackknife_weights)
    (lo, hi), kind = sum_interval([(rome, r1), (kosovo, r2)])
    assert "BCa" in kind and "2 strata" in kind
    total = r1.estimate + r2.estimate
    assert lo < total < hi
    assert r1.interval[0] + r2.interval[0] < lo and hi < r1.interval[1] + r2.interval[1]


def test_posterior_of_a_sum(load: Loader) -> None:
    from kinlink.estimation.mse import estimate_mse
    from kinlink.estimation.strata import sum_interval

    a = load("madigan_york_3lists.csv")
    r = estimate_mse(a, "dga", delta=1.0)
    (lo, hi), kind = sum_interval([(a, r), (a, r)], seed=1)
    assert "posterior" in kind
    assert r.interval[0] * 2 < lo < 2 * r.estimate < hi < r.interval[1] * 2
    with pytest.raises(ModelError, match="different kinds"):
        sum_interval([(a, r), (a, estimate_mse(a, "main"))])
