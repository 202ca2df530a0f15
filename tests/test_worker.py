"""Workers that do not lose work: a worker killed with ``kill -9`` in the middle of a job leaves its task
(or screening run) RUNNING; the next worker re-queues it when the job may run twice and finishes it, or
fails it with the reason; a worker still alive keeps its tasks."""

from __future__ import annotations

import datetime as dt
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kinlink.identification.models import ScreeningRun
from kinlink.matching.models import CandidateLink, PendingLinkage
from kinlink.matching.tasks import link_new_persons
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, WorkerHeartbeat
from kinlink.registry.services import workers
from kinlink.worker import recover_orphans, run_worker, work_once
from tests.commands.test_registry_commands import database_url

HEARTBEAT = 0.2  # seconds: a killed worker is silent for two beats well within a test
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
FREQUENCIES = Path(__file__).parent / "data" / "genetics" / "frequencies" / "norSTR" / "europeDB.csv"


def _worker(*args: str, pause: str = "") -> subprocess.Popen[str]:
    """``kinlink worker`` in a child process on the test database (``pause``: ``KINLINK_FAULT_PAUSE``)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "KINLINK_PROGRESS": "0",
        "KINLINK_WORKER_INTERVAL": "0.1",
        "KINLINK_WORKER_HEARTBEAT": str(HEARTBEAT),
        "KINLINK_DNA_FREQUENCIES": str(FREQUENCIES),
        "KINLINK_FAULT_PAUSE": pause,
    }
    env.pop("KINLINK_TASK_BACKEND", None)
    return subprocess.Popen(
        [sys.executable, "-m", "kinlink", "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_pause(process: subprocess.Popen[str], point: str, timeout: float = 60.0) -> None:
    """Read the worker's stderr until it says it pauses at ``point`` (the fault hook)."""
    assert process.stderr is not None
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.5)
        if ready:
            line = process.stderr.readline()
            seen.append(line)
            if f"pausing at {point}" in line:
                return
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"the worker never reached {point}: {''.join(seen)[-2000:]}")


def _kill_9(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    time.sleep(3 * HEARTBEAT)  # silent for two beats: dead, now that its process is gone
    connection.close()  # the next query opens a fresh connection (SQLite: sees the rolled-back journal)


def _twins() -> list[int]:
    """Two records of one man (same name, birth date and place): linkage proposes the pair."""
    ids = []
    for n in range(2):
        person = actions.add_person(
            None,
            names=[
                {
                    "surname": "Коваленко",
                    "given_name": "Андрей",
                    "patronymic": "Викторович",
                    "is_primary": True,
                }
            ],
            reason=f"record {n}",
            birth_date="1985-02-11",
            birth_place="Полтава",
        )
        ids.append(person.pk)
    return ids


@pytest.mark.slow  # a worker process killed, a worker restarted: about 5 s
@pytest.mark.django_db(transaction=True)
def test_linkage_killed_by_kill_9_is_resumed_by_the_next_worker(settings: Any) -> None:
    settings.TASKS = DATABASE_TASKS  # production: the database queue, run by `kinlink worker`
    settings.KINLINK_WORKER_HEARTBEAT = HEARTBEAT
    with transaction.atomic():
        persons = _twins()  # on commit: waiting for linkage, and a task in the queue
    assert DBTaskResult.objects.filter(task_path=link_new_persons.module_path).count() == 2  # one a person
    first = _worker(pause="linkage:120")
    _wait_for_pause(first, "linkage")  # in the job's transaction: queue locked, nothing committed
    _kill_9(first)

    task = DBTaskResult.objects.get(status=TaskResultStatus.RUNNING)  # what kill -9 leaves behind
    assert sorted(PendingLinkage.objects.values_list("person_id", flat=True)) == sorted(persons)
    assert not CandidateLink.objects.exists()  # the killed run wrote nothing

    run_worker(batch=True)  # the restarted worker: what `kinlink worker --batch` runs
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL, task.traceback
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    assert len(task.worker_ids) == 2  # claimed by the killed worker, then by the restarted one
    assert not PendingLinkage.objects.exists()
    link = CandidateLink.objects.get()
    assert {link.person_a_id, link.person_b_id} == set(persons)
    entry = AuditEntry.objects.get(action="recover_orphaned_tasks")
    assert entry.detail == {"requeued": [str(task.pk)], "failed": []}
    assert not WorkerHeartbeat.objects.exists()  # both workers are gone: no row left


@pytest.mark.slow  # a worker process killed, a worker restarted: about 5 s
@pytest.mark.django_db(transaction=True)
def test_screening_killed_by_kill_9_is_run_again_by_the_next_worker(settings: Any) -> None:
    settings.KINLINK_WORKER_HEARTBEAT = HEARTBEAT
    # direct write: a queued run whose task was lost (the worker's second step runs it)
    run = ScreeningRun.objects.create(reason="lab upload")
    first = _worker(pause="screening:120")
    _wait_for_pause(first, "screening")
    dead = WorkerHeartbeat.objects.get()
    _kill_9(first)
    run.refresh_from_db()
    assert run.status == ScreeningRun.Status.RUNNING and run.worker_id == dead.worker_id

    settings.TASKS = DATABASE_TASKS
    settings.KINLINK_DNA_FREQUENCIES = str(FREQUENCIES)
    run_worker(batch=True)  # the restarted worker: what `kinlink worker --batch` runs
    run.refresh_from_db()
    assert run.status == ScreeningRun.Status.DONE, run.notes
    assert run.worker_id != dead.worker_id and run.finished is not None
    assert AuditEntry.objects.get(action="requeue_orphaned_screenings").detail == {"runs": [run.pk]}


def _running(task_path: str, worker_id: str, started: dt.datetime, attempts: int = 1) -> DBTaskResult:
    """A task row as a worker leaves it when it claimed the task (what ``DBTaskResult.claim`` writes)."""
    # direct write: the state a worker process leaves behind, which no action of ours produces
    return DBTaskResult.objects.create(
        task_path=task_path,
        args_kwargs={"args": [[1], "test"], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
        status=TaskResultStatus.RUNNING,
        started_at=started,
        worker_ids=[f"w{n}" for n in range(attempts - 1)] + [worker_id],
    )


@pytest.mark.django_db
def test_a_live_worker_keeps_its_task_and_an_unknown_one_keeps_it_for_the_lease(settings: Any) -> None:
    settings.KINLINK_WORKER_LEASE = 600
    workers.register("alive-here")  # this process, beating
    try:
        now = timezone.now()
        # direct write: a worker of this host whose beats a long transaction held back (its process runs)
        WorkerHeartbeat.objects.create(
            worker_id="busy-here",
            hostname=socket.gethostname(),
            pid=os.getppid(),
            last_seen=now - dt.timedelta(hours=1),
        )
        busy = _running(link_new_persons.module_path, "busy-here", now - dt.timedelta(hours=2))
        mine = _running(link_new_persons.module_path, "alive-here", now - dt.timedelta(hours=5))
        young = _running(link_new_persons.module_path, "a-bare-db-worker", now - dt.timedelta(seconds=60))
        assert recover_orphans() == ({"requeued": [], "failed": []}, [])
        settings.KINLINK_WORKER_LEASE = 30  # the unknown worker's lease has run out; ours beats
        tasks, _ = recover_orphans()
        assert tasks == {"requeued": [str(young.pk)], "failed": []}
        mine.refresh_from_db()
        young.refresh_from_db()
        busy.refresh_from_db()
        assert mine.status == busy.status == TaskResultStatus.RUNNING
        assert young.status == TaskResultStatus.READY and young.started_at is None
    finally:
        workers.forget("alive-here")


@pytest.mark.django_db
def test_a_dead_workers_other_task_fails_with_the_reason_and_a_repeat_killer_is_not_requeued(
    settings: Any,
) -> None:
    now = timezone.now()
    # direct write: a worker on another machine that stopped beating an hour ago
    WorkerHeartbeat.objects.create(
        worker_id="gone", hostname="another-host", pid=4242, last_seen=now - dt.timedelta(hours=1)
    )
    other = _running("kinlink.some.tasks.send_letters", "gone", now - dt.timedelta(minutes=1))
    killer = _running(link_new_persons.module_path, "gone", now - dt.timedelta(minutes=1), attempts=3)
    tasks, _ = recover_orphans()
    assert sorted(tasks["failed"]) == sorted([str(other.pk), str(killer.pk)]) and not tasks["requeued"]
    other.refresh_from_db()
    killer.refresh_from_db()
    assert other.status == killer.status == TaskResultStatus.FAILED
    assert "may not run twice" in other.traceback and other.exception_class_path.endswith("OrphanedTask")
    assert "attempt 3 of 3" in killer.traceback
    assert not WorkerHeartbeat.objects.filter(worker_id="gone").exists()  # forgotten once recovered


@pytest.mark.django_db
def test_a_worker_pass_leaves_finished_and_queued_work_alone() -> None:
    # direct writes: a queued run and a finished one, with no upload behind them
    queued = ScreeningRun.objects.create(reason="waiting")
    done = ScreeningRun.objects.create(reason="done", status=ScreeningRun.Status.DONE)
    assert recover_orphans() == ({"requeued": [], "failed": []}, [])
    assert work_once() == 1  # the queued run ran (no frequency table in the test settings: it failed)
    done.refresh_from_db()
    queued.refresh_from_db()
    assert done.status == ScreeningRun.Status.DONE
    assert queued.status in (ScreeningRun.Status.DONE, ScreeningRun.Status.FAILED)
    assert not AuditEntry.objects.filter(action__in=["recover_orphaned_tasks", "requeue_orphaned_screenings"])
