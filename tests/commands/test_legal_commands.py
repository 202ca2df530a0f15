"""`kinlink legal plan FACTS.json`: the contract's JSON, a readable text form, and bad input as one line
naming the key with exit status 2. Pure: no database."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kinlink.cli import main

SRC = Path(__file__).resolve().parents[2] / "src"


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    return subprocess.run(
        [sys.executable, "-m", "kinlink", *args], capture_output=True, text=True, env=env, timeout=120
    )


def write(tmp_path: Path, facts: Any) -> str:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts) if not isinstance(facts, str) else facts, "utf-8")
    return str(path)


def test_plan_json_as_the_contract_says(tmp_path: Path) -> None:
    facts = {
        "jurisdiction": "RU-participant",
        "last_news": "2022-03",
        "status": "none",
        "threatening_circumstances": False,
        "hostilities_end": None,
        "as_of": "2023-06-01",
        "inquiries": [
            {"addressee": "commissariat", "sent": "2023-04-03", "received": "2023-04-07", "answered": None}
        ],
    }
    done = run(["legal", "plan", write(tmp_path, facts), "--format", "json"])
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    steps = out["steps"]
    assert all({"action", "date", "basis"} <= set(s) for s in steps)
    missing = next(s for s in steps if s["action"] == "recognise_missing")
    assert missing["date"] == "2023-05-15" and "120-FZ" in missing["basis"]
    reply = next(s for s in steps if s["action"] == "reply_due")
    # received 7 April, registered by 10 April, 30 days: 10 May; overdue on 1 June
    assert reply["date"] == "2023-05-10" and reply["overdue"] is True and "59-FZ" in reply["basis"]


def test_plan_defaults_and_text_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"jurisdiction": "RU-general", "last_news": "2024-02-10"})
    assert main(["legal", "plan", path, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["as_of"] == dt.date.today().isoformat()
    assert next(s for s in out["steps"] if s["action"] == "recognise_missing")["date"] == "2025-02-11"
    assert main(["legal", "plan", path]) == 0
    text = capsys.readouterr().out
    assert "2025-02-11  recognise_missing" in text and "not legal advice" in text


@pytest.mark.parametrize(
    ("facts", "key"),
    [
        ({"last_news": "2022-03"}, "jurisdiction"),
        ({"jurisdiction": "RU-general", "last_news": "March 2022"}, "last_news"),
        ({"jurisdiction": "RU-general", "status": "lost"}, "status"),
        ({"jurisdiction": "RU-general", "as_of": "2024-02-30"}, "as_of"),
        ({"jurisdiction": "RU-general", "inquiries": [{"addressee": "commissariat"}]}, "inquiries[0].sent"),
        ("{not json", "FACTS"),
    ],
)
def test_bad_input_is_one_line_naming_the_key_exit_2(tmp_path: Path, facts: Any, key: str) -> None:
    done = run(["legal", "plan", write(tmp_path, facts), "--format", "json"])
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {key}")


def test_a_missing_file_is_exit_2(tmp_path: Path) -> None:
    done = run(["legal", "plan", str(tmp_path / "nope.json")])
    assert done.returncode == 2 and "no such file" in done.stderr
