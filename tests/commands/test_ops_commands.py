"""``kinlink migrate`` (the one command that changes the schema) and ``kinlink check --deploy`` (exits
non-zero naming each failed check when production settings are unsafe, zero when they are sound).

Settings are read from the environment when Django starts, so each case runs the CLI in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
SOUND = {
    "KINLINK_SECRET_KEY": "rotating-production-secret-" + "k7Q2xZ" * 8,
    "KINLINK_FIELD_KEY": Fernet.generate_key().decode(),
    "KINLINK_ALLOWED_HOSTS": "kinlink.example.org",
    "KINLINK_BASE_URL": "https://kinlink.example.org",
}
#: Variables of the tests' own process that would change what a fresh instance computes.
CLEARED = (
    # set by the Playwright tests when collected in the same test process; production never has it
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "KINLINK_SECRET_KEY",
    "KINLINK_SECRET_KEY_FALLBACKS",
    "KINLINK_FIELD_KEY",
    "KINLINK_ALLOWED_HOSTS",
    "KINLINK_BASE_URL",
    "KINLINK_DEBUG",
    "KINLINK_INSECURE_COOKIES",
    "KINLINK_LOCAL_BASE_URL",
)


def kinlink(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    clean.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'instance.sqlite3'}",
        KINLINK_VAR_DIR=str(tmp_path),
        PYTHONPATH=str(ROOT / "src"),
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "kinlink", *args], env=clean, capture_output=True, text=True, timeout=180
    )


def failed_ids(stderr: str) -> list[str]:
    return sorted(line.split()[1].rstrip(":") for line in stderr.splitlines() if line.startswith("FAILED "))


def test_check_deploy_names_each_unsafe_setting_and_exits_non_zero(tmp_path: Path) -> None:
    done = kinlink(tmp_path, "check", "--deploy")
    assert done.returncode == 1, done.stderr
    # the development defaults: public secret key, no field key, localhost only, no base URL
    assert failed_ids(done.stderr) == ["kinlink.E001", "kinlink.E003", "kinlink.E006", "kinlink.E007"]
    for variable in ("KINLINK_SECRET_KEY", "KINLINK_FIELD_KEY", "KINLINK_ALLOWED_HOSTS", "KINLINK_BASE_URL"):
        assert variable in done.stderr
    assert "Traceback" not in done.stderr


def test_check_deploy_passes_sound_settings_and_warns_about_sqlite(tmp_path: Path) -> None:
    done = kinlink(tmp_path, "check", "--deploy", **SOUND)
    assert done.returncode == 0, done.stderr
    assert "All deployment checks passed" in done.stdout
    assert "FAILED" not in done.stderr
    assert "warning: kinlink.W001: the database is SQLite" in done.stderr  # a warning, not a failure


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"KINLINK_SECRET_KEY": "short-but-set"}, ["kinlink.E001", "security.W009"]),
        (
            {"KINLINK_SECRET_KEY_FALLBACKS": "kinlink-insecure-development-key-change-me-in-production"},
            ["kinlink.E002"],
        ),
        ({"KINLINK_FIELD_KEY": "not-a-fernet-key"}, ["kinlink.E004"]),
        ({"KINLINK_ALLOWED_HOSTS": "*"}, ["kinlink.E005"]),
        ({"KINLINK_ALLOWED_HOSTS": "localhost,127.0.0.1"}, ["kinlink.E006"]),
        ({"KINLINK_BASE_URL": "http://kinlink.example.org"}, ["kinlink.E007"]),
        ({"KINLINK_BASE_URL": "https://localhost:8443"}, ["kinlink.E007"]),
        (
            {"KINLINK_INSECURE_COOKIES": "1"},
            ["kinlink.E009", "kinlink.E010", "security.W004", "security.W012", "security.W016"],
        ),
        (
            {"KINLINK_DEBUG": "1"},
            [
                "kinlink.E008",
                "kinlink.E009",
                "kinlink.E010",
                "security.W004",
                "security.W012",
                "security.W016",
                "security.W018",
            ],
        ),
    ],
)
def test_check_deploy_fails_on_each_unsafe_setting(
    tmp_path: Path, change: dict[str, str], expected: list[str]
) -> None:
    done = kinlink(tmp_path, "check", "--deploy", **{**SOUND, **change})
    assert done.returncode == 1, done.stderr
    assert failed_ids(done.stderr) == sorted(expected)


def test_commands_refuse_an_unmigrated_database_until_kinlink_migrate(tmp_path: Path) -> None:
    refused = kinlink(tmp_path, "case", "list")
    assert refused.returncode == 1
    assert "unapplied migration(s)" in refused.stderr and "run `kinlink migrate`" in refused.stderr
    assert "Traceback" not in refused.stderr
    # the refusal created no table: nothing migrated behind the operator's back
    import sqlite3

    with sqlite3.connect(tmp_path / "instance.sqlite3") as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == []

    migrated = kinlink(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    applied = [line.split()[1] for line in migrated.stdout.splitlines() if line.startswith("applied ")]
    assert "registry.0001_initial" in applied and "sessions.0001_initial" in applied
    assert "migration(s) applied" in migrated.stdout

    again = kinlink(tmp_path, "migrate")
    assert again.returncode == 0 and "no migrations to apply" in again.stdout
    assert not [line for line in again.stdout.splitlines() if line.startswith("applied ")]

    listed = kinlink(tmp_path, "case", "list")
    assert listed.returncode == 0, listed.stderr


def test_serve_production_refuses_to_start_on_the_same_failures(tmp_path: Path) -> None:
    unmigrated = kinlink(tmp_path, "serve", "--production", **SOUND)
    assert unmigrated.returncode == 1 and "run `kinlink migrate`" in unmigrated.stderr
    assert kinlink(tmp_path, "migrate").returncode == 0
    refused = kinlink(tmp_path, "serve", "--production", **{**SOUND, "KINLINK_BASE_URL": "http://localhost"})
    assert refused.returncode == 1
    assert "refusing to start production" in refused.stderr
    assert failed_ids(refused.stderr.replace("\n  kinlink.", "\nFAILED kinlink.")) == ["kinlink.E007"]
