"""A lab upload enqueues a django-tasks task on commit; `kinlink worker` runs it (and any run still
queued), and a failed run is logged and FAILED with its reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from kinlink.identification.actions import queue_screening
from kinlink.identification.models import ScreeningRun
from kinlink.identification.tasks import screen_after_upload
from kinlink.worker import work_once

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)  # real commits: on_commit fires, the worker sees the rows
def test_queued_run_is_enqueued_on_commit_and_run_by_the_worker(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS  # production: the database backend and `kinlink worker`
    with override_settings(KINLINK_DNA_FREQUENCIES=""):
        with transaction.atomic():
            run = queue_screening("empty upload")
            assert not DBTaskResult.objects.exists()  # nothing is enqueued before the commit
        assert DBTaskResult.objects.filter(task_path__endswith="screen_after_upload").exists()
        run.refresh_from_db()
        assert run.status == ScreeningRun.Status.QUEUED
        work_once()  # what `kinlink worker --once` does
    run.refresh_from_db()
    # no frequency table configured: the run records its failure for the operator, and logs it
    assert run.status == ScreeningRun.Status.FAILED and "KINLINK_DNA_FREQUENCIES" in run.notes
    assert any(r.exc_info and f"screening run {run.pk} failed" in r.getMessage() for r in caplog.records)
    assert screen_after_upload.call(run.pk) == 0  # a finished run is not run twice


def test_worker_runs_a_queued_run_whose_task_was_lost() -> None:
    run = ScreeningRun.objects.create(reason="task lost")  # queued, never enqueued
    with override_settings(KINLINK_DNA_FREQUENCIES=""):
        assert work_once() == 1
    run.refresh_from_db()
    assert run.status == ScreeningRun.Status.FAILED
