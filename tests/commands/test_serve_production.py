"""``kinlink serve --production``: gunicorn and the worker from the environment's settings, refused
without them, and both stopped by one SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kinlink.commands.registry import production_command

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorn_configuration_follows_the_machine_and_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = production_command("127.0.0.1", 9000, cpus=2)
    assert command[command.index("--workers") + 1] == "3"
    assert command[command.index("--threads") + 1] == "4"
    assert "--access-logfile" not in command  # a URL may carry a family's private link
    monkeypatch.setenv("KINLINK_WEB_WORKERS", "5")
    assert production_command("127.0.0.1", 9000, cpus=2)[command.index("--workers") + 1] == "5"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


@pytest.mark.slow
def test_serves_with_gunicorn_and_stops_its_worker(tmp_path: Path) -> None:
    env = {
        # without the Playwright tests' DJANGO_ALLOW_ASYNC_UNSAFE, which `check --deploy` rightly refuses
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "KINLINK_VAR_DIR": str(tmp_path),
        "KINLINK_SECRET_KEY": "a-production-secret-" + "x" * 40,
        "KINLINK_ALLOWED_HOSTS": "kinlink.example.org,127.0.0.1",
        "KINLINK_FIELD_KEY": "a2lubGluay10ZXN0LWZpZWxkLWtleS0zMi1ieXRlcyE=",
        "KINLINK_BASE_URL": "https://kinlink.example.org",
        "PYTHONPATH": str(ROOT / "src"),
        "KINLINK_WEB_WORKERS": "1",
    }
    env.pop("KINLINK_DEBUG", None)
    refused = subprocess.run(
        [sys.executable, "-m", "kinlink", "serve", "--production"],
        env={k: v for k, v in env.items() if k != "KINLINK_SECRET_KEY"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "run `kinlink migrate`" in refused.stderr
    migrated = subprocess.run(
        [sys.executable, "-m", "kinlink", "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    refused = subprocess.run(
        [sys.executable, "-m", "kinlink", "serve", "--production"],
        env={k: v for k, v in env.items() if k != "KINLINK_SECRET_KEY"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "KINLINK_SECRET_KEY" in refused.stderr
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "left-over").write_text("a fragment of the database before")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kinlink", "serve", "--production", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    status = response.status
                    server_header = response.headers.get("Server", "")
            except OSError:
                time.sleep(0.5)
        assert status == 200
        assert "gunicorn" in server_header.lower() or server_header == ""
        children = _children(server.pid)
        assert len(children) == 2  # gunicorn's arbiter and the worker
        # one cache for every process (the consoles' fragments), emptied at start
        assert (tmp_path / "cache").is_dir() and not (tmp_path / "cache" / "left-over").exists()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    time.sleep(0.5)
    for child in children:
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)
