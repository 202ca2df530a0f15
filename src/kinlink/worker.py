"""The background worker: what ``kinlink worker`` (and the worker ``kinlink serve`` starts) runs.

django-tasks' database worker runs every queued task (list linkage, screening after a lab upload); in
batch mode it stops when the queue is empty, and then any screening run still queued (its task lost) is
run too. With the immediate task backend (tests), tasks already ran when they were queued.
"""

from __future__ import annotations


def run_worker(*, batch: bool) -> None:
    from django.core.management import call_command
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    if isinstance(task_backends["default"], DatabaseBackend):
        call_command("db_worker", batch=batch, interval=1.0)
    if batch:
        from kinlink.identification.services import run_pending

        run_pending()
