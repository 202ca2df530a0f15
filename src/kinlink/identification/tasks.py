"""Background tasks (django-tasks): screening after a lab upload, run by ``kinlink worker``."""

from __future__ import annotations

from django_tasks import task

from kinlink.identification.models import ScreeningRun


@task()
def screen_after_upload(run_id: int) -> int:
    """Run a queued screening run (skipped when a worker already ran it); returns candidates created."""
    from kinlink.identification.actions import run_screening

    run = ScreeningRun.objects.get(pk=run_id)
    if run.status != ScreeningRun.Status.QUEUED:
        return 0
    return run_screening(run).candidates_created
