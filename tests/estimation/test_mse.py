"""The uniform entry point, the sensitivity report, and property tests on random capture data."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.chapman import chapman
from kinlink.estimation.mse import competing_models, estimate_mse

from .conftest import Loader


def test_model_choice_can_double_the_number(load: Loader) -> None:
    data = load("uk_modern_slavery_2013_5lists.csv")
    rows = dict(competing_models(data, top=1))
    step = next(v for k, v in rows.items() if k.startswith("stepwise"))
    best_bic = next(v for k, v in rows.items() if k.startswith("bic #1"))
    assert round(step) == 11313
    assert round(best_bic) == 25311
    assert best_bic > 2 * step


def test_every_method_runs_and_respects_the_floor(load: Loader) -> None:
    data = load("korea_palembang_3lists.csv")
    for method in ("stepwise", "bic", "main", "dga"):
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


@settings(max_examples=30, deadline=None)
@given(histories, st.permutations([0, 1, 2]), st.integers(min_value=2, max_value=5))
def test_properties_on_random_data(counts: list[int], order: list[int], k: int) -> None:
    data = _data(counts)
    res = estimate_mse(data, "main")
    assert res.estimate >= data.observed
    # relabelling the lists changes nothing
    assert np.isclose(estimate_mse(data.relabel(order), "main").estimate, res.estimate, rtol=1e-8)
    assert np.isclose(
        estimate_mse(data.relabel(order), "dga").estimate, estimate_mse(data, "dga").estimate, rtol=1e-6
    )
    # scaling every count by k scales the estimate by k
    assert np.isclose(
        estimate_mse(data.with_counts(data.counts * k), "main").estimate, k * res.estimate, rtol=1e-6
    )
    step = estimate_mse(data, "stepwise")
    assert step.estimate >= data.observed
    two = CaptureData(("A", "B"), np.array([data.counts[0], data.counts[1], data.counts[2]]))
    assert chapman(two).estimate >= two.observed
