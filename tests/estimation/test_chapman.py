"""Two-list estimators against Rcapture's Seber example."""

from __future__ import annotations

import numpy as np
import pytest

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.chapman import chapman, lincoln_petersen
from kinlink.estimation.loglinear import ModelError, fit_loglinear

from .conftest import Loader


def test_seber_lincoln_petersen_and_chapman(load: Loader) -> None:
    data = load("seber_2lists.csv")
    lp = lincoln_petersen(data)
    assert lp.estimate == pytest.approx(2389.9, rel=1e-3)
    assert lp.se == pytest.approx(130.4, rel=1e-3)
    ch = chapman(data)
    assert ch.estimate == pytest.approx(2382.8, rel=1e-3)
    assert ch.se == pytest.approx(129.1, rel=1e-3)
    assert data.observed <= ch.lo < ch.estimate < ch.hi
    # Lincoln–Petersen is the main-effects log-linear model on two lists
    assert fit_loglinear(data, ()).estimate == pytest.approx(lp.estimate, rel=1e-8)


def test_chapman_needs_two_lists_and_survives_no_overlap() -> None:
    with pytest.raises(ModelError, match="exactly two lists"):
        chapman(CaptureData(("A", "B", "C"), np.ones(7)))
    no_overlap = CaptureData(("A", "B"), np.array([10.0, 12.0, 0.0]))
    assert chapman(no_overlap).estimate == pytest.approx(11 * 13 - 1)
    with pytest.raises(ModelError, match="share no one"):
        lincoln_petersen(no_overlap)
