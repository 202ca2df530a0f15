"""Shared fixtures: a small scenario world rendered as varied lists, linked once per session."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from kinlink.linkage.model import LinkageOptions, LinkageResult, link_records
from kinlink.scenario import generate
from kinlink.scenario.lists import varied_lists


@pytest.fixture(scope="session")
def small_lists() -> tuple[pd.DataFrame, dict[str, str]]:
    records = varied_lists(generate(seed=5, size=300))
    return pd.DataFrame([r.row for r in records]), {r.record_id: r.person_id for r in records}


@pytest.fixture(scope="session")
def linked(small_lists: tuple[pd.DataFrame, dict[str, Any]]) -> LinkageResult:
    frame, _ = small_lists
    return link_records(frame, LinkageOptions(em_max_pairs=2e5, u_max_pairs=3e5))
