"""Fixtures for the estimation tests: the shared reference capture histories."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from kinlink.estimation.capture import CaptureData, read_capture_csv
from tests.conftest import SHARED  # tests/conftest.py: repo_root/../shared

SHARED_ESTIMATION = SHARED / "estimation"


@pytest.fixture(scope="session")
def shared_estimation() -> Path:
    """``../shared/estimation`` (read-only reference data); skip when it is not there."""
    if not SHARED_ESTIMATION.is_dir():
        pytest.skip(f"reference data folder {SHARED_ESTIMATION} is missing")
    return SHARED_ESTIMATION


Loader = Callable[[str], CaptureData]


@pytest.fixture(scope="session")
def load(shared_estimation: Path) -> Loader:
    """Read one reference data set by file name."""

    def _load(name: str) -> CaptureData:
        return read_capture_csv(shared_estimation / name)

    return _load


@pytest.fixture(scope="session")
def reference_rows(shared_estimation: Path) -> list[dict[str, str]]:
    with (shared_estimation / "reference_estimates.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
