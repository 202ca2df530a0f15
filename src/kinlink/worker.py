"""The background worker: what ``kinlink worker`` (and the worker ``kinlink serve`` starts) runs.

Each pass runs every ready django-tasks task (database backend: list and request linkage, screening after
a lab upload), then every screening run still queued (one whose task was lost). With the immediate task
backend (tests), tasks already ran when they were queued. A failing job logs its traceback and records
its failure; the worker goes on.
"""

from __future__ import annotations

import os
import time


def work_once() -> int:
    """One pass of the worker; returns the number of screening runs its second step ran."""
    from django.core.management import call_command
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    from kinlink.identification.actions import run_queued_screenings

    if isinstance(task_backends["default"], DatabaseBackend):
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0)
    return len(run_queued_screenings())


def parent_gone() -> bool:
    """Whether the server that started this worker (``KINLINK_WORKER_PARENT``, set by ``kinlink serve`` and
    ``kinlink demo``) has ended: the worker then stops too instead of running on under init."""
    parent = os.environ.get("KINLINK_WORKER_PARENT", "")
    return parent.isdigit() and os.getppid() != int(parent)


def run_worker(*, batch: bool) -> None:
    """Pass after pass until stopped (``batch``: one pass, then return)."""
    from django.conf import settings

    while True:
        work_once()
        if batch or parent_gone():
            return
        time.sleep(float(settings.KINLINK_WORKER_INTERVAL))
