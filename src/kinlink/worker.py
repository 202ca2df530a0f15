"""The background worker: what ``kinlink worker`` (and the worker ``kinlink serve`` starts) runs.

Each pass runs every ready django-tasks task (database backend: list and request linkage, screening after
a lab upload), then every screening run still queued (one whose task was lost), and once every
``KINLINK_RETENTION_INTERVAL_HOURS`` (first on its first pass) the retention run (``kinlink retention
run``: withdrawals and expiries). With the immediate task
backend (tests), tasks already ran when they were queued. A failing job logs its traceback and records
its failure; the worker goes on.
"""

from __future__ import annotations

import time

#: When this worker last ran retention (``time.monotonic()``), or None before its first pass.
_retention_ran_at: float | None = None


def run_retention_when_due() -> bool:
    """Run retention when the interval has passed since this worker's last run; True when it ran."""
    global _retention_ran_at
    from django.conf import settings

    from kinlink.registry.services.retention import run_retention

    hours = float(settings.KINLINK_RETENTION_INTERVAL_HOURS)
    now = time.monotonic()
    if hours <= 0 or (_retention_ran_at is not None and now - _retention_ran_at < hours * 3600):
        return False
    _retention_ran_at = now
    run_retention()
    return True


def work_once() -> int:
    """One pass of the worker; returns the number of screening runs its second step ran."""
    from django.core.management import call_command
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    from kinlink.identification.actions import run_queued_screenings

    if isinstance(task_backends["default"], DatabaseBackend):
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0)
    screened = len(run_queued_screenings())
    run_retention_when_due()
    return screened


def run_worker(*, batch: bool) -> None:
    """Pass after pass until stopped (``batch``: one pass, then return)."""
    from django.conf import settings

    while True:
        work_once()
        if batch:
            return
        time.sleep(float(settings.KINLINK_WORKER_INTERVAL))
