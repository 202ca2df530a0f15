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
