"""Which worker processes are alive: each beats a :class:`~kinlink.registry.models.WorkerHeartbeat` row.

A worker is alive while it beats (``KINLINK_WORKER_HEARTBEAT``); once silent for two beats, a worker on
this host is alive while its process exists (a worker killed with ``kill -9`` is dead at once; one whose
beats a long SQLite transaction holds back is not), one on another machine while its row was seen
within the lease (``KINLINK_WORKER_LEASE``). The tasks and screening runs a dead worker
claimed are orphaned (:func:`kinlink.registry.actions.recover_orphaned_tasks`,
:func:`kinlink.identification.actions.requeue_orphaned_screenings`).
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.conf import settings
from django.utils import timezone

from kinlink.registry.models import WorkerHeartbeat

#: The id of the worker running in this process (set by :func:`register`); blank outside a worker.
_current: dict[str, str] = {"worker_id": ""}


def current_worker_id() -> str:
    """The worker id of this process (blank when no worker runs here: tests, web requests)."""
    return _current["worker_id"]


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(settings.KINLINK_WORKER_LEASE))


def register(worker_id: str) -> WorkerHeartbeat:
    """Start beating as ``worker_id`` (this process, this host)."""
    now = timezone.now()
    row, _ = WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": socket.gethostname(), "pid": os.getpid(), "started": now, "last_seen": now},
    )
    _current["worker_id"] = worker_id
    return row


def beat(worker_id: str) -> None:
    """The worker is still alive (called every ``KINLINK_WORKER_HEARTBEAT`` seconds, even mid-job)."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=timezone.now())


def forget(worker_id: str) -> None:
    """The worker stops: its row goes (what it claimed and did not finish is orphaned)."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
    if _current["worker_id"] == worker_id:
        _current["worker_id"] = ""


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user: it exists
        return True
    return True


def is_alive(row: WorkerHeartbeat, *, now: dt.datetime | None = None) -> bool:
    """Whether the worker of ``row`` still runs: it beat within two heartbeats (wherever it runs); or,
    silent since (a long SQLite transaction holds back its beats), on this host its process exists, and
    elsewhere it beat within the lease."""
    now = now or timezone.now()
    if row.last_seen >= now - 2 * dt.timedelta(seconds=float(settings.KINLINK_WORKER_HEARTBEAT)):
        return True
    if row.hostname == socket.gethostname():
        if row.pid == os.getpid():  # this process: alive only if it is the worker running here
            return row.worker_id == current_worker_id()
        return _process_exists(row.pid)
    return row.last_seen >= now - lease()


def live_worker_ids() -> set[str]:
    """The ids of the workers alive now."""
    now = timezone.now()
    return {row.worker_id for row in WorkerHeartbeat.objects.all() if is_alive(row, now=now)}


def known_worker_ids() -> set[str]:
    """The ids of every worker with a heartbeat row, alive or not."""
    return set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))


def forget_dead() -> int:
    """Delete the rows of dead workers (after their orphans were recovered); returns how many."""
    live = live_worker_ids()
    return WorkerHeartbeat.objects.exclude(worker_id__in=live).delete()[0]
