"""The deploy/ folder and scripts/smoke (issue 17).

The configuration is checked here without containers or systemd: the compose file runs the documented
commands with the documented hardening, the units carry theirs, the Caddyfile is valid Caddy (when Caddy
is installed) and keeps no access log, and every variable the production settings read is in the example
environment. ``KINLINK_SMOKE=1`` also runs scripts/smoke, which starts the whole stack on this machine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def test_compose_runs_the_documented_stack() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "web", "worker", "caddy"}
    assert services["web"]["command"][:3] == ["kinlink", "serve", "--production"]
    assert services["worker"]["command"] == ["kinlink", "worker"]
    for name in ("web", "worker"):
        service = services[name]
        assert service["env_file"] == "kinlink.env" and service["read_only"] is True
        assert "no-new-privileges:true" in service["security_opt"] and service["cap_drop"] == ["ALL"]
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
    # only web and worker read the whole environment file (the secrets); the others get what they need
    assert "env_file" not in services["db"] and "env_file" not in services["caddy"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "USER kinlink" in dockerfile and "postgresql-client" in dockerfile


@pytest.mark.parametrize("unit", ["kinlink-web.service", "kinlink-worker.service", "kinlink-backup.service"])
def test_systemd_units_are_hardened(unit: str) -> None:
    text = (DEPLOY / "systemd" / unit).read_text()
    for option in (
        "User=kinlink",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "ProtectHome=yes",
        "CapabilityBoundingSet=\n",
        "EnvironmentFile=/etc/kinlink/kinlink.env",
    ):
        assert option in text, f"{unit}: {option.strip()} missing"
    if unit == "kinlink-web.service":
        assert "ExecStartPre=/opt/kinlink/venv/bin/kinlink check --deploy" in text


def test_the_example_environment_names_every_production_setting() -> None:
    example = (DEPLOY / "kinlink.env.example").read_text()
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    for needed in (
        "DATABASE_URL",
        "KINLINK_SECRET_KEY",
        "KINLINK_FIELD_KEY",
        "KINLINK_ALLOWED_HOSTS",
        "KINLINK_BASE_URL",
        "KINLINK_SITE_ADDRESS",
        "KINLINK_BACKUP_KEY_FILE",
    ):
        assert needed in names
    # no real secret ships in the example
    assert re.search(r"^KINLINK_(SECRET|FIELD)_KEY=$", example, flags=re.M)


def test_the_caddyfile_is_valid_and_keeps_no_access_log(tmp_path: Path) -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert not re.search(r"^\s*log\b", caddyfile, flags=re.M)  # the private follow link is in a path
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed (scripts/smoke installs it)")
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
        "KINLINK_SITE_ADDRESS": "kinlink.example.org",
        "KINLINK_UPSTREAM": "127.0.0.1:8000",
        "KINLINK_TLS": "",
    }
    adapted = subprocess.run(
        [caddy, "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert adapted.returncode == 0, adapted.stderr
    assert '"kinlink.example.org"' in adapted.stdout and '"127.0.0.1:8000"' in adapted.stdout


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("KINLINK_SMOKE") != "1", reason="KINLINK_SMOKE=1 runs scripts/smoke")
def test_smoke_brings_up_the_production_stack_and_restores_its_backup() -> None:
    """scripts/smoke from nothing: migrate, check --deploy, gunicorn, worker and Caddy; a family, a
    caseworker and a lab through TLS; a backup restored into a second database with nothing lost."""
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "smoke")],
        env={**os.environ, "KINLINK_SMOKE_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "PASS: smoke" in output
    for step in (
        "family: request",
        "caseworker: signed in with password and TOTP code",
        "lab: signed in, registered sample",
        "caseworker: issued a dossier and downloaded it",
        "row counts and checksums verified",
        "same row counts",
    ):
        assert step in output, step
    assert time.monotonic() - started < 900
