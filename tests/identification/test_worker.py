"""A lab upload enqueues a django-tasks task that runs the screening run."""

from __future__ import annotations

import pytest
from django.test import override_settings

from kinlink.identification.models import ScreeningRun
from kinlink.identification.services import record_lab_upload
from kinlink.identification.tasks import screen_after_upload

pytestmark = pytest.mark.django_db


def test_upload_enqueues_a_django_task() -> None:
    from django_tasks_db.models import DBTaskResult

    with override_settings(KINLINK_DNA_FREQUENCIES=None):
        run = record_lab_upload({}, reason="empty upload")
        if run.status == ScreeningRun.Status.QUEUED:  # database backend: a task row waits for the worker
            assert DBTaskResult.objects.filter(task_path__endswith="screen_after_upload").exists()
            screen_after_upload.call(run.pk)  # what `kinlink worker` does with that row
            run.refresh_from_db()
    # no frequency table configured: the run records its failure for the operator
    assert run.status == ScreeningRun.Status.FAILED and "KINLINK_DNA_FREQUENCIES" in run.notes
    assert screen_after_upload.call(run.pk) == 0  # a finished run is not run twice
