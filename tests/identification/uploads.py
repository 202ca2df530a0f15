"""Test helper: profiles go in as a lab uploads them, through the one action, with its on-commit work."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kinlink.exchange.genotypes import genotype_csv
from kinlink.identification.actions import queue_screening, store_lab_profiles
from kinlink.identification.models import ScreeningRun
from kinlink.registry.models import Organisation

Capture = Callable[..., Any]  # pytest-django's django_capture_on_commit_callbacks


def upload(
    capture: Capture,
    lab: Organisation,
    profiles: Mapping[str, Mapping[str, list[str]]],
    *,
    reanalysis: bool = False,
) -> ScreeningRun | None:
    """Store ``profiles`` as the lab's genotype CSV and run what the commit starts; the run, reloaded."""
    data = genotype_csv({code: dict(p) for code, p in profiles.items()})
    with capture(execute=True):
        result = store_lab_profiles(None, lab, "upload.csv", data, reanalysis=reanalysis)
    if result.run is not None:
        result.run.refresh_from_db()
    return result.run


def rescreen(capture: Capture, reason: str = "again") -> ScreeningRun:
    with capture(execute=True):
        run = queue_screening(reason)
    run.refresh_from_db()
    return run
