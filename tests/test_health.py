"""``/healthz`` (the process answers) and ``/readyz`` (the database answers and the worker keeps up with the
queue; 503 naming the failed check otherwise, never a 500, never personal data)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_healthz_answers_ok_when_database_reachable(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.django_db
def test_healthz_asks_nothing_of_the_database(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_ready_with_a_database_and_an_empty_queue(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["failed"] == []
    assert body["checks"]["database"]["ok"] and body["checks"]["queue"]["ok"]


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_queue_when_work_waits_too_long(client: Client, settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from kinlink.identification.actions import queue_screening
    from kinlink.identification.models import ScreeningRun
    from kinlink.matching.tasks import link_new_persons

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.KINLINK_READY_QUEUE_MAX_AGE = 600
    link_new_persons.enqueue([], "readiness test")
    assert client.get("/readyz").status_code == 200  # a task that has just arrived is no alarm
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=15))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body == {
        "status": "unavailable",
        "failed": ["queue"],
        "checks": {
            "database": {"ok": True},
            "queue": {
                "ok": False,
                "oldest_waiting_s": body["checks"]["queue"]["oldest_waiting_s"],
                "max_age_s": 600,
            },
        },
    }
    assert 890 <= body["checks"]["queue"]["oldest_waiting_s"] <= 960
    DBTaskResult.objects.all().delete()
    queue_screening("readiness test")  # a screening run whose task was lost waits for the worker's pass
    ScreeningRun.objects.update(created=timezone.now() - timedelta(hours=2))
    assert client.get("/readyz").json()["failed"] == ["queue"]


def test_readyz_answers_503_quickly_when_the_database_does_not_answer(tmp_path: Path) -> None:
    """A PostgreSQL address that accepts nothing (a listening socket no one serves): /readyz answers 503
    naming the database within the connection timeout, not a 500 after the web timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(0)
        port = silent.getsockname()[1]
        script = (
            "import django, json; django.setup(); from django.test import Client; "
            "r = Client().get('/readyz'); print(r.status_code); print(r.content.decode())"
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kinlink.settings",
            "DATABASE_URL": f"postgres://kinlink:secret-password@127.0.0.1:{port}/kinlink",
            "KINLINK_DB_CONNECT_TIMEOUT": "2",
            "KINLINK_VAR_DIR": str(tmp_path),
            "PYTHONPATH": str(ROOT / "src"),
        }
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
        )
        took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    status, body = done.stdout.split("\n", 1)
    assert status == "503"
    assert json.loads(body) == {
        "status": "unavailable",
        "failed": ["database", "queue"],
        "checks": {"database": {"ok": False}, "queue": {"ok": False, "skipped": True}},
    }
    assert "secret-password" not in body and "kinlink" not in body
    assert took < 15  # the 2 s connect timeout and Django's start, not a hang
