"""The background worker: what ``kinlink worker`` (and the worker ``kinlink serve`` starts) runs.

Each pass runs every ready django-tasks task (database backend: list and request linkage, a large lab
upload, screening after a lab upload), then every large lab upload and every screening run still queued
(one whose task was lost). With the immediate task
backend (tests), tasks already ran when they were queued. A failing job logs its traceback and records
its failure; the worker goes on.
"""

from __future__ import annotations

import time


def work_once() -> int:
    """One pass of the worker; returns the number of screening runs its second step ran."""
    from django.core.management import call_command
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    from kinlink.identification.actions import run_queued_lab_uploads, run_queued_screenings

    if isinstance(task_backends["default"], DatabaseBackend):
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0)
    run_queued_lab_uploads()  # a large lab file whose task was lost
    return len(run_queued_screenings())


def run_worker(*, batch: bool) -> None:
    """Pass after pass until stopped (``batch``: one pass, then return)."""
    from django.conf import settings

    while True:
        work_once()
        if batch:
            return
        time.sleep(float(settings.KINLINK_WORKER_INTERVAL))
