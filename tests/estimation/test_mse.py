"""The uniform entry point, the sensitivity report, and property tests on random capture data."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.chapman import chapman
from kinlink.estimation.dga import dga
from kinlink.estimation.loglinear import fit_loglinear
from kinlink.estimation.mse import competing_models, estimate_mse
from kinlink.estimation.selection import select_model

from .conftest import Loader


def test_model_choice_can_double_the_number(load: Loader) -> None:
    data = load("uk_modern_slavery_2013_5lists.csv")
    rows = dict(competing_models(data, top=1))
    step = next(v for k, v in rows.items() if k.startswith("stepwise"))
    best_bic = next(v for k, v in rows.items() if k.startswith("bic #1"))
    downhill = next(v for k, v in rows.items() if k.startswith("bic-downhill"))
    assert round(step) == 11313
    assert round(best_bic) == 25311
    assert round(downhill) == 12262
    assert best_bic > 2 * step


def test_every_method_runs_and_respects_the_floor(load: Loader) -> None:
    data = load("korea_palembang_3lists.csv")
    for method in ("stepwise", "bic", "main", "dga", "bic-downhill"):
        res = estimate_mse(data, method)
        assert res.estimate >= data.observed
        assert res.interval[0] <= res.estimate <= res.interval[1]
        assert res.as_json()["observed"] == 123


def test_library_does_not_import_django() -> None:
    code = "import sys, kinlink.estimation.mse, kinlink.estimation.aggregates; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


histories = st.lists(st.integers(min_value=0, max_value=60), min_size=7, max_size=7)


def _data(counts: list[int]) -> CaptureData:
    arr = np.array(counts, dtype=float)
    arr[[0, 1, 3]] += 5  # every list has people of its own
    arr[[2, 4, 5]] += 1  # and every pair overlaps
    return CaptureData(("A", "B", "C"), arr)


@settings(max_examples=15, deadline=None)
@given(histories, st.permutations([0, 1, 2]), st.integers(min_value=2, max_value=5))
def test_properties_on_random_data(counts: list[int], order: list[int], k: int) -> None:
    data = _data(counts)
    main = fit_loglinear(data, (), check=False).estimate
    assert main >= data.observed
    # relabelling the lists changes nothing
    assert np.isclose(fit_loglinear(data.relabel(order), (), check=False).estimate, main, rtol=1e-8)
    grid = np.arange(0.0, 2000.0)
    a = dga(data, n_missing=grid).bayes_estimate
    b = dga(data.relabel(order), n_missing=grid).bayes_estimate
    assert np.isclose(a, b, rtol=1e-6)
    assert a >= data.observed
    # scaling every count by k scales the estimate by k
    scaled = fit_loglinear(data.with_counts(data.counts * k), (), check=False).estimate
    assert np.isclose(scaled, k * main, rtol=1e-6)
    step = select_model(data, "stepwise").fit.estimate
    assert step >= data.observed
    two = CaptureData(("A", "B"), np.array([data.counts[0], data.counts[1], data.counts[2]]))
    assert chapman(two).estimate >= two.observed
