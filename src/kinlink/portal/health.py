"""Probes for the process supervisor and the load balancer.

``/healthz``: the process is alive and answers (200; touches nothing else, so a database outage does not get
the web processes restarted). ``/readyz``: this instance can do its work: the database answers (within the
connection timeout, ``KINLINK_DB_CONNECT_TIMEOUT``) and the worker keeps up with the queue (no ready task
and no queued screening run older than ``KINLINK_READY_QUEUE_MAX_AGE`` seconds). 200 when both hold, 503
naming the failed check otherwise. The body is JSON holding check names, states and ages only: never
personal data, never an error text (which could quote a query).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("readyz: the database does not answer", exc_info=True)
        connection.close_if_unusable_or_obsolete()
        return {"ok": False}
    return {"ok": True}


def _age(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since else 0.0


def _queue() -> dict[str, Any]:
    """The oldest work waiting for the worker: a ready django-tasks task, a queued screening run."""
    from django_tasks_db.models import DBTaskResult

    from kinlink.identification.models import ScreeningRun

    now = timezone.now()
    limit = float(settings.KINLINK_READY_QUEUE_MAX_AGE)
    oldest_task = DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True)
    oldest_run = (
        ScreeningRun.objects.filter(status=ScreeningRun.Status.QUEUED)
        .order_by("created")
        .values_list("created", flat=True)
    )
    task_age = _age(oldest_task.first(), now)
    run_age = _age(oldest_run.first(), now)
    oldest = max(task_age, run_age)
    return {"ok": oldest <= limit, "oldest_waiting_s": round(oldest), "max_age_s": round(limit)}


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    checks: dict[str, dict[str, Any]] = {"database": _database()}
    if checks["database"]["ok"]:
        try:
            checks["queue"] = _queue()
        except DatabaseError:
            logger.warning("readyz: the queue cannot be read", exc_info=True)
            checks["queue"] = {"ok": False}
    else:
        checks["queue"] = {"ok": False, "skipped": True}  # unknown without the database
    failed = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "unavailable" if failed else "ready", "failed": failed, "checks": checks}
    return JsonResponse(body, status=503 if failed else 200)
