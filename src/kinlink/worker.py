"""The background worker: what ``kinlink worker`` (and the worker ``kinlink serve`` starts) runs.

Each pass first recovers the work of dead workers (a task or screening run still RUNNING whose worker was
killed: re-queued when the job may run twice, FAILED with the reason otherwise; see
:func:`kinlink.registry.actions.recover_orphaned_tasks`), then runs every ready django-tasks task
(database backend: list and request linkage, a large lab upload, screening after a lab upload), then every
large lab upload and every screening run still queued (one whose task was lost). With the immediate task
backend (tests), tasks already ran when they were queued. A failing job logs its traceback and records its
failure; the worker goes on.

A running worker beats a heartbeat row (``registry.WorkerHeartbeat``) from a thread of its own, every
``KINLINK_WORKER_HEARTBEAT`` seconds, also while a long job runs; the row goes when the worker stops.

Once every ``KINLINK_RETENTION_INTERVAL_HOURS`` (first on its first pass) a pass also runs retention
(``kinlink retention run``: withdrawals and expiries). Last, a pass recomputes the public figures when the
registry changed (``registry.services.figures.refresh_figures_when_due``: once the changes have settled for
``KINLINK_FIGURES_SETTLE_SECONDS``, or waited ``KINLINK_FIGURES_MAX_DELAY_SECONDS``; and once a day).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time

logger = logging.getLogger(__name__)
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


def recover_orphans() -> tuple[dict[str, list[str]], list[int]]:
    """Re-queue or fail the tasks and screening runs of dead workers, then forget those workers."""
    from kinlink.identification.actions import requeue_orphaned_screenings
    from kinlink.registry.actions import recover_orphaned_tasks
    from kinlink.registry.services.workers import forget_dead

    runs = requeue_orphaned_screenings()
    tasks = recover_orphaned_tasks()
    forget_dead()
    if runs or tasks["requeued"] or tasks["failed"]:
        logger.warning(
            "work of dead workers: %d task(s) re-queued, %d failed, %d screening run(s) re-queued",
            len(tasks["requeued"]),
            len(tasks["failed"]),
            len(runs),
        )
    return tasks, runs


def work_once(worker_id: str = "") -> int:
    """One pass of the worker; returns the number of screening runs its last step ran."""
    from django.core.management import call_command
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    from kinlink.identification.actions import run_queued_lab_uploads, run_queued_screenings

    recover_orphans()
    if isinstance(task_backends["default"], DatabaseBackend):
        call_command(
            "db_worker",
            batch=True,
            interval=0,
            startup_delay=False,
            reload=False,
            verbosity=0,
            worker_id=worker_id or secrets.token_hex(16),
        )
    run_queued_lab_uploads()  # a large lab file whose task was lost
    screened = len(run_queued_screenings())
    run_retention_when_due()
    refresh_figures()
    return screened


#: When this worker's last recomputation of the public figures failed (``time.monotonic()``), or None.
_figures_failed_at: float | None = None


def refresh_figures() -> bool:
    """Recompute the public figures when the registry changed (or none are stored yet, or a day began);
    True when it did. A failure is logged and the pass goes on: the page keeps the last snapshot, and this
    worker tries again after ``KINLINK_FIGURES_MAX_DELAY_SECONDS`` (not on every pass)."""
    global _figures_failed_at
    from kinlink.registry.services.figures import figures_max_delay_seconds, refresh_figures_when_due

    now = time.monotonic()
    if _figures_failed_at is not None and now - _figures_failed_at < figures_max_delay_seconds():
        return False
    try:
        done = refresh_figures_when_due() is not None
    except Exception:
        _figures_failed_at = now
        logger.exception("the public figures could not be recomputed; the last snapshot stays")
        return False
    _figures_failed_at = None
    return done


def parent_gone() -> bool:
    """Whether the server that started this worker (``KINLINK_WORKER_PARENT``, set by ``kinlink serve`` and
    ``kinlink demo``) has ended: the worker then stops too instead of running on under init."""
    parent = os.environ.get("KINLINK_WORKER_PARENT", "")
    return parent.isdigit() and os.getppid() != int(parent)


class Heartbeat(threading.Thread):
    """Beats the worker's row every ``every`` seconds until :meth:`stop` (its own database connection)."""

    def __init__(self, worker_id: str, every: float) -> None:
        super().__init__(name=f"heartbeat {worker_id}", daemon=True)
        self.worker_id, self.every = worker_id, every
        self._stopped = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from kinlink.registry.services.workers import beat

        try:
            while not self._stopped.wait(self.every):
                try:
                    beat(self.worker_id)
                except Exception:  # a busy database: the next beat tries again
                    logger.warning("worker %s could not beat its heartbeat", self.worker_id, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:32]}-{os.getpid()}-{secrets.token_hex(6)}"[:64]


def run_worker(*, batch: bool) -> None:
    """Pass after pass until stopped (``batch``: one pass, then return)."""
    from django.conf import settings

    from kinlink.registry.services.workers import forget, register

    worker_id = new_worker_id()
    register(worker_id)
    heartbeat = Heartbeat(worker_id, float(settings.KINLINK_WORKER_HEARTBEAT))
    heartbeat.start()
    logger.info("worker %s started", worker_id)
    try:
        while True:
            work_once(worker_id)
            if batch or parent_gone():
                return
            time.sleep(float(settings.KINLINK_WORKER_INTERVAL))
    finally:
        heartbeat.stop()
        forget(worker_id)
