"""Shared test configuration."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pytest

from kinlink.scenario.model import PERSON_LIST_COLUMNS
from tests.factories import WriteList

os.environ.setdefault("KINLINK_PROGRESS", "0")

pytest_plugins = ["tests.demo.fixtures"]  # the demo, built once per session

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def write_list(tmp_path: Path) -> WriteList:
    """Write rows (dicts, missing columns blank) to a person list CSV and return its path."""

    def write(
        rows: list[dict[str, str]],
        name: str = "list.csv",
        columns: tuple[str, ...] = PERSON_LIST_COLUMNS,
        encoding: str = "utf-8",
    ) -> Path:
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({c: row.get(c, "") for c in columns})
        return path

    return write


@pytest.fixture(autouse=True)
def _run_background_tasks_inline(settings: Any) -> None:
    """Tasks run immediately in tests; production uses the database backend and `kinlink worker`."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
