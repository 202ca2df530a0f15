"""Fixtures for the estimation tests: the published reference capture histories in tests/data/estimation."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from kinlink.estimation.capture import CaptureData, read_capture_csv
from tests.data import DATA

ESTIMATION_DATA = DATA / "estimation"


@pytest.fixture(scope="session")
def estimation_data() -> Path:
    """``tests/data/estimation``: the reference capture histories and published estimates (see its README)."""
    return ESTIMATION_DATA


Loader = Callable[[str], CaptureData]


@pytest.fixture(scope="session")
def load(estimation_data: Path) -> Loader:
    """Read one reference data set by file name."""

    def _load(name: str) -> CaptureData:
        return read_capture_csv(estimation_data / name)

    return _load


@pytest.fixture(scope="session")
def reference_rows(estimation_data: Path) -> list[dict[str, str]]:
    with (estimation_data / "reference_estimates.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
