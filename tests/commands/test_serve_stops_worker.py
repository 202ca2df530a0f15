"""``kinlink serve`` (and ``kinlink demo``, which serves the same way) stop their task worker when they stop:
on SIGTERM, and when the port is busy. Processes are found through /proc (no psutil)."""

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

ROOT = Path(__file__).resolve().parents[2]


def _environ(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in env.items() if k not in ("KINLINK_BASE_URL", "KINLINK_DEBUG")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "KINLINK_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
    }


def workers_of(tmp_path: Path) -> list[int]:
    """Live kinlink worker processes started for this test's instance (its KINLINK_VAR_DIR)."""
    marker = f"KINLINK_VAR_DIR={tmp_path}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"kinlink" in cmdline and b"worker" in cmdline and marker in environ and state != "Z":
            found.append(int(entry.name))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def instance(tmp_path: Path) -> dict[str, str]:
    env = _environ(dict(os.environ), tmp_path)
    migrated = subprocess.run(
        [sys.executable, "-m", "kinlink", "migrate"], env=env, capture_output=True, text=True, timeout=180
    )
    assert migrated.returncode == 0, migrated.stderr
    return env


def _wait_until_served(port: int, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[1]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("the server never answered")


def _wait_gone(tmp_path: Path, seconds: float = 15) -> list[int]:
    deadline = time.monotonic() + seconds
    while workers_of(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    return workers_of(tmp_path)


@pytest.mark.slow
def test_sigterm_stops_serve_and_its_worker(instance: dict[str, str], tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kinlink", "serve", "--port", str(port)],
        env=instance,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_served(port, server)
        assert len(workers_of(tmp_path)) == 1  # the worker is running beside the server
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert _wait_gone(tmp_path) == []


@pytest.mark.slow
def test_a_busy_port_stops_serve_without_leaving_a_worker(instance: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "kinlink", "serve", "--port", str(port)],
            env=instance,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0
        assert f"127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
        assert _wait_gone(tmp_path, seconds=5) == []


def test_demo_refuses_a_busy_port_before_it_fills_the_database_or_starts_a_worker(tmp_path: Path) -> None:
    env = _environ(dict(os.environ), tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "kinlink", "demo", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "serve.sqlite3").exists() or (tmp_path / "serve.sqlite3").stat().st_size == 0
    assert workers_of(tmp_path) == []


@pytest.mark.slow
def test_the_worker_ends_with_a_server_killed_outright(instance: dict[str, str], tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kinlink", "serve", "--port", str(port)],
        env=instance,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_served(port, server)  # type: ignore[arg-type]
        assert len(workers_of(tmp_path)) == 1
        server.kill()  # SIGKILL: no handler runs; the kernel tells the worker (PR_SET_PDEATHSIG)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert _wait_gone(tmp_path) == []
