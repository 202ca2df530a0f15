"""Background tasks (django-tasks): screening after a lab upload, run by ``kinlink worker``."""

from __future__ import annotations

from django_tasks import task

from kinlink.identification.models import LabUpload, ScreeningRun


@task()
def screen_after_upload(run_id: int) -> int:
    """Run a queued screening run (skipped when a worker already ran it); returns candidates created."""
    from kinlink.identification.actions import run_screening

    run = ScreeningRun.objects.get(pk=run_id)
    if run.status != ScreeningRun.Status.QUEUED:
        return 0
    return run_screening(run).candidates_created


@task()
def store_queued_upload(upload_id: int) -> str:
    """Store the profiles of a queued lab upload (skipped when a worker already took it); its status."""
    from kinlink.identification.actions import run_lab_upload

    upload = LabUpload.objects.get(pk=upload_id)
    if upload.status != LabUpload.Status.QUEUED:
        return str(upload.status)
    return str(run_lab_upload(upload).status)
