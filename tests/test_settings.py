"""Database timeouts from the settings: on PostgreSQL a web process's statement that runs past
``KINLINK_DB_STATEMENT_TIMEOUT_MS`` is cancelled (fails fast instead of holding the request), while a CLI
command (an import, the worker) has no such limit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]

SLEEP = """
import sys, time
{setup}
from django.db import OperationalError, connection
started = time.monotonic()
try:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep({seconds})")
    print("finished", round(time.monotonic() - started, 2))
except OperationalError as exc:
    print("cancelled", type(exc.__cause__).__name__, round(time.monotonic() - started, 2))
"""
WEB = "import django; django.setup()"
CLI = "from kinlink.commands.base import setup_django; setup_django(check_migrations=False)"


def _run(setup: str, seconds: float, tmp_path: Path) -> list[str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kinlink.settings",
        "DATABASE_URL": url,
        "KINLINK_DB_STATEMENT_TIMEOUT_MS": "500",
        "KINLINK_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
    }
    code = SLEEP.format(setup=setup, seconds=seconds)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.django_db
def test_a_statement_past_the_web_timeout_is_cancelled_on_postgresql(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("statement timeouts are PostgreSQL's")
    outcome, error, took = _run(WEB, 10, tmp_path)
    assert (outcome, error) == ("cancelled", "QueryCanceled")
    assert float(took) < 3  # 0.5 s and the round trip, not the 10 s the statement asked for


@pytest.mark.django_db
def test_cli_commands_lift_the_statement_timeout(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("statement timeouts are PostgreSQL's")
    outcome, took = _run(CLI, 1.5, tmp_path)
    assert outcome == "finished" and float(took) >= 1.5


def test_postgresql_connections_have_connect_and_statement_timeouts(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "o = settings.DATABASES['default']['OPTIONS']; print(o['connect_timeout'], o['options'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kinlink.settings",
        "DATABASE_URL": "postgres://kinlink@db.invalid:5432/kinlink",
        "KINLINK_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
    }
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["5", "-c", "statement_timeout=30000"], done.stderr
