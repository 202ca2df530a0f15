"""Capture histories: parsing, building from linked persons, derived lists, linkage perturbation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kinlink.estimation.capture import (
    CaptureData,
    CaptureDataError,
    histories_from_memberships,
    linkage_sensitivity,
    merge_lists,
    parse_capture_csv,
    perturb_linkage,
    read_capture_csv,
)
from kinlink.estimation.loglinear import fit_loglinear

from .conftest import Loader


def test_reads_every_reference_file(estimation_data: Path) -> None:
    paths = sorted(estimation_data.glob("*_*lists.csv"))
    assert len(paths) == 16, f"expected the 16 reference capture histories in {estimation_data}"
    for path in paths:
        data = read_capture_csv(path)
        assert data.observed > 0
        assert len(data.counts) == 2**data.n_lists - 1


def test_absent_histories_are_zero_cells(load: Loader) -> None:
    data = load("seber_2lists.csv")
    assert data.rows() == [((1, 0), 781.0), ((0, 1), 254.0), ((1, 1), 167.0)]
    sparse = load("sparsemse_artificial_3lists.csv")
    assert sparse.observed == 96
    assert sparse.overlap((0, 2)) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("A,B\n1,0\n", "last column 'count'"),
        ("A,B,count\n1,0,5\n2,0,3\n", "line 3, column A: expected 0 or 1"),
        ("A,B,count\n1,0,x\n", "line 2, column count: not a number"),
        ("A,B,count\n1,0,-1\n", "line 2, column count: expected a non-negative whole number"),
        ("A,B,count\n0,0,4\n", "line 2: the all-zero history"),
        ("A,B,count\n1,0,4\n1,0,5\n", "appears twice"),
        ("A,B,count\n1,0\n", "line 2: 2 fields, expected 3"),
    ],
)
def test_bad_input_is_explained(text: str, message: str) -> None:
    with pytest.raises(CaptureDataError, match=message):
        parse_capture_csv(text, source="lists.csv")


def test_histories_from_memberships_and_derived_lists() -> None:
    memberships = [
        ("p1", "obituaries"),
        ("p1", "media"),
        ("p2", "media"),
        ("p3", "obituaries"),
        ("p3", "burials"),
        ("p4", "burials"),
        ("p4", "burials"),  # two records on one list: one person
        ("p5", "requests"),
    ]
    data = histories_from_memberships(memberships, lists=["requests", "obituaries", "media", "burials"])
    assert data.observed == 5
    assert data.list_totals() == {"requests": 1, "obituaries": 2, "media": 2, "burials": 2}
    merged = histories_from_memberships(
        memberships,
        lists=["requests", "obituaries", "media", "burials"],
        derived={"obituaries+media": ["obituaries", "media"]},
    )
    assert merged.lists == ("requests", "obituaries+media", "burials")
    assert merged.list_totals() == {"requests": 1, "obituaries+media": 3, "burials": 2}
    assert merged.observed == 5
    with pytest.raises(CaptureDataError, match="unknown list"):
        merge_lists(data, {"x": ["obituaries", "radio"]})


def test_perturbation_splits_and_merges() -> None:
    rng = np.random.default_rng(0)
    memberships = [(f"p{k}", lst) for k in range(200) for lst in (["A", "B"] if k % 2 else ["A"])]
    split = perturb_linkage(memberships, 0.5, 0.0, rng)
    assert len({p for p, _ in split}) == 250  # half of the 100 two-list persons became two
    assert sorted(x for _, x in split) == sorted(x for _, x in memberships)
    merged = perturb_linkage(memberships, 0.0, 0.1, rng)
    assert len({p for p, _ in merged}) == 180


def test_linkage_sensitivity_moves_estimates_the_expected_way() -> None:
    rng = np.random.default_rng(1)
    memberships = []
    for k in range(3000):
        for lst, p in (("A", 0.3), ("B", 0.4), ("C", 0.25)):
            if rng.random() < p:
                memberships.append((f"p{k}", lst))

    def estimator(d: CaptureData) -> float:
        return fit_loglinear(d, (), check=False).estimate

    missed = linkage_sensitivity(memberships, estimator, 0.2, 0.0, runs=5, seed=2)
    assert missed.min > missed.estimate  # missed links inflate the estimate
    false = linkage_sensitivity(memberships, estimator, 0.0, 0.05, runs=5, seed=2)
    assert false.max < false.estimate


def test_relabel_round_trip(load: Loader) -> None:
    data = load("kosovo_1999_killings_4lists.csv")
    back = data.relabel([2, 0, 3, 1]).relabel([1, 3, 0, 2])
    assert back.lists == data.lists
    np.testing.assert_array_equal(back.counts, data.counts)
    with pytest.raises(CaptureDataError):
        CaptureData(("A", "A"), np.ones(3))
