"""The registry CLI: import-list (including a kill -9 in the middle), export, demo."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from kinlink.cli import main
from kinlink.demo import DemoSummary
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Claim, ListRecord, Person, Source, TracingRequest
from kinlink.scenario.model import PERSON_LIST_COLUMNS
from tests.factories import WriteList, person_row


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    auth = f"{user}@" if user else ""
    host = settings.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}{host}:{settings.get('PORT') or 5432}/{settings['NAME']}"


@pytest.mark.django_db
def test_import_list_reports_refused_rows(write_list: WriteList, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_list([person_row(1), person_row(2, birth_date="1990-02-30")])
    code = main(["import-list", str(path), "--source-kind", "obituary", "--source-name", "Obituaries"])
    assert code == 1
    err = capsys.readouterr().err
    assert "list.csv: row 3, column 'birth_date'" in err
    assert "nothing was written" in err
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_import_list_twice_changes_nothing(write_list: WriteList, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_list([person_row(1), person_row(2)])
    args = ["import-list", str(path), "--source-kind", "prisoner_list", "--source-name", "POW list"]
    assert main(args) == 0
    assert "2 new" in capsys.readouterr().out
    assert main(args) == 0
    assert "already imported" in capsys.readouterr().out
    assert Person.objects.count() == 2 and ListRecord.objects.count() == 2


@pytest.mark.django_db
def test_export_json_leaves_contacts_out_unless_asked(
    demo: DemoSummary, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--format", "json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert {"persons", "sources", "claims", "events", "sites", "remains", "tracing_requests"} <= set(exported)
    assert len(exported["persons"]) == Person.objects.count()
    assert len(exported["claims"]) == Claim.objects.count()
    assert "contact" not in exported["tracing_requests"][0]
    assert "+7 900" not in json.dumps(exported)
    assert main(["export", "--format", "json", "--include-contacts"]) == 0
    with_contacts = json.loads(capsys.readouterr().out)
    assert with_contacts["tracing_requests"][0]["contact"].startswith("+7")
    assert AuditEntry.objects.filter(action="export_contacts").count() == 1


@pytest.mark.django_db
def test_export_csv_table(tmp_path: Path) -> None:
    actions.add_source(None, kind="obituary", name="Obituaries", date="2022-05")
    out = tmp_path / "sources.csv"
    assert main(["export", "--format", "csv", "--table", "sources", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["name"] == "Obituaries" and rows[0]["date"] == "2022-05"


@pytest.mark.django_db
def test_demo_no_serve_prints_a_login_per_role(demo: DemoSummary, capsys: pytest.CaptureFixture[str]) -> None:
    """On the demo's database (built once per session), ``kinlink demo`` fills nothing again and prints
    the logins, the seed request, how to get a sign-in code and the seed case."""
    persons = Person.objects.count()
    assert main(["demo", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "already filled" in out
    for role in ("caseworker", "supervisor", "lab_analyst", "administrator", "family"):
        assert role in out
    assert f"request {demo.seed_request_number}" in out
    assert "kinlink totp USERNAME" in out
    assert f"Seed case: {demo.seed_case_number}" in out
    assert Person.objects.count() == persons
    assert TracingRequest.objects.get(number=demo.seed_request_number).contact == "+7 900 000-00-00"


def test_help_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("demo", "serve", "import-list", "export"):
        with pytest.raises(SystemExit) as exited:
            main([command, "--help"])
        assert exited.value.code == 0
        assert "usage: kinlink " + command in capsys.readouterr().out


@pytest.mark.slow  # > 5 s
@pytest.mark.django_db(transaction=True)
def test_kill_9_in_the_middle_of_an_import_leaves_the_database_unchanged(tmp_path: Path) -> None:
    actions.add_person(None, names=[], reason="the registry before the import", birth_date="1980")
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PERSON_LIST_COLUMNS))
        writer.writeheader()
        for n in range(60_000):
            writer.writerow(person_row(n, surname=f"Шевчук{n}"))
    env = {**os.environ, "DATABASE_URL": database_url(), "KINLINK_PROGRESS": "0"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kinlink",
            "import-list",
            str(path),
            "--source-kind",
            "obituary",
            "--source-name",
            "Big list",
        ],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    assert line.startswith("importing 60000 rows"), line
    time.sleep(1.5)  # well inside the write phase, which takes several seconds for 60,000 rows
    assert process.poll() is None, "the import finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    connection.close()
    assert Person.objects.count() == 1
    assert Source.objects.count() == 0
    assert ListRecord.objects.count() == 0
    # The database is usable afterwards: a later import into the same list succeeds.
    small = tmp_path / "small.csv"
    with small.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PERSON_LIST_COLUMNS))
        writer.writeheader()
        writer.writerow(person_row(1))
    done = subprocess.run(
        [*process.args[:4], str(small), *process.args[5:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert ListRecord.objects.count() == 1
