"""Command-line conventions: case numbers wherever a case is named, headers on tables, no silent folder
creation, a closed pipe ends quietly, and `kinlink unlock` lifts a sign-in lockout."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client

from kinlink.cli import main
from kinlink.registry.models import AuditEntry
from tests.portal.portal_world import PASSWORD, World, build_world, current_token


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def test_case_list_has_a_header(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["case", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "NUMBER", "STATUS", "PERSON"]
    assert any(world.a.case.number in line for line in lines[1:])


def test_render_takes_the_case_number(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "certificate.pdf"
    number = world.a.case.number
    assert main(["documents", "render", "certificate", "--case", number.lower(), "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    # the internal id still works
    case_id = str(world.a.case.pk)
    assert main(["documents", "render", "certificate", "--case", case_id, "--out", str(out)]) == 0
    assert main(["documents", "render", "certificate", "--case", "C-999999", "--out", str(out)]) == 1
    assert "no case with number 'C-999999'" in capsys.readouterr().err


def test_a_missing_output_folder_is_an_error(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no-such-folder" / "certificate.pdf"
    status = main(["documents", "render", "certificate", "--case", world.a.case.number, "--out", str(out)])
    assert status == 1
    assert "output folder" in capsys.readouterr().err
    assert not out.parent.exists()
    assert main(["export", "--format", "json", "--out", str(out.with_suffix(".json"))]) == 1
    assert main(["exchange", "pfif-export", "--out", str(out.with_suffix(".xml"))]) == 1
    assert not out.parent.exists()


class ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert main(["case", "list"]) == 141
    assert "Traceback" not in capsys.readouterr().err


def _wrong(device: Any) -> str:
    return f"{(int(current_token(device)) + 7) % 1_000_000:06d}"


def test_unlock_lifts_a_lockout_and_is_audited(
    world: World, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    device = world.a.devices["caseworker"]
    client = Client()
    client.post("/en/staff/login", {"username": "caseworker-a", "password": PASSWORD})
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/en/staff/login/code", {"token": _wrong(device)})
    assert response.status_code == 429
    response = client.post("/en/staff/login", {"username": "caseworker-a", "password": PASSWORD})
    assert response.status_code == 429

    assert main(["unlock", "caseworker-a"]) == 0
    assert "caseworker-a: unlocked" in capsys.readouterr().out
    assert not AccessAttempt.objects.filter(username="caseworker-a").exists()
    entry = AuditEntry.objects.get(action="unlock_account")
    assert entry.object_id == str(world.a.users["caseworker"].pk) and entry.actor_label == "cli"

    response = client.post("/en/staff/login", {"username": "caseworker-a", "password": PASSWORD})
    assert response.status_code == 302
    response = client.post("/en/staff/login/code", {"token": current_token(device)})
    assert response.status_code == 302 and response["Location"] == "/en/staff/"


def test_unlock_of_an_unknown_account_is_an_error(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["unlock", "nobody-at-all"]) == 1
    assert "no account" in capsys.readouterr().err
