"""``kinlink worker --once`` runs queued screening runs."""

from __future__ import annotations

import pytest
from django.test import override_settings

from kinlink.cli import main
from kinlink.identification.models import ScreeningRun

pytestmark = pytest.mark.django_db


def test_worker_runs_queued_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    run = ScreeningRun.objects.create(reason="test")
    with override_settings(KINLINK_DNA_FREQUENCIES=None):
        assert main(["worker", "--once"]) == 0
    run.refresh_from_db()
    assert run.status == ScreeningRun.Status.FAILED  # no frequency table configured: the job says so
    assert f"screening run {run.pk}: failed" in capsys.readouterr().err
