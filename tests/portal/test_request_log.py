"""The request log: one JSON line per request with method, route name, status, duration and request id,
and nothing a person wrote or a family's secret: no path, no query string, no name, no access code."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from kinlink.lib.logs import JsonFormatter
from kinlink.portal.middleware import RedactRequestPath
from tests.portal.portal_world import World, verified_client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """The request log and Django's request log as the production configuration formats them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactRequestPath())
    loggers = [logging.getLogger(name) for name in ("kinlink.request", "django.request")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield stream
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_each_request_is_one_json_line_without_path_query_names_or_codes(
    world: World, request_log: io.StringIO
) -> None:
    a = world.a
    surname = "Иванов"  # side A's missing person (portal_world)
    assert a.person.names.filter(surname=surname).exists()
    staff = verified_client(a.users["caseworker"], a.devices["caseworker"])
    staff.get(f"/en/staff/search?q={surname}&birth=1998")
    family = Client()
    family.get(f"/en/request/follow/{a.request.number}/{a.code}")  # the private link
    Client().post(
        "/ru/request/new",
        {"surname": "Шевчишин", "given_name": "Остап", "enquirer_name": "Шевчишина Ганна", "contact": "+380"},
    )
    Client().get("/en/no/such/page?token=abc123secret")

    text = request_log.getvalue()
    lines = _lines(request_log)
    assert len(lines) >= 4
    for line in lines:
        assert line["logger"] in ("kinlink.request", "django.request")
    requests = [line for line in lines if line["logger"] == "kinlink.request"]
    assert len(requests) == 4
    for line in requests:
        assert set(line) >= {"time", "level", "method", "route", "status", "duration_ms", "request_id"}
        assert isinstance(line["duration_ms"], float) and len(str(line["request_id"])) >= 8
    assert [line["method"] for line in requests] == ["GET", "GET", "POST", "GET"]
    assert requests[1]["status"] == 302 and requests[3]["status"] == 404 and requests[3]["route"] == "-"
    assert str(requests[1]["route"]).startswith("portal:")
    for secret in (
        "?",
        "q=",
        "token",
        "abc123secret",
        a.request.number,
        a.code,
        a.code.replace("-", ""),
        surname,
        "Шевчишин",
        "Ганна",
        "/request/",
        "/staff/",
    ):
        assert secret not in text, secret


def test_the_response_names_its_request_id_and_a_proxys_id_is_kept(
    world: World, request_log: io.StringIO
) -> None:
    response = Client().get("/en/", HTTP_X_REQUEST_ID="proxy-0123456789")
    assert response["X-Request-ID"] == "proxy-0123456789"
    forged = Client().get("/en/", HTTP_X_REQUEST_ID="<script>Иванов</script>")
    assert forged["X-Request-ID"] != "<script>Иванов</script>" and len(forged["X-Request-ID"]) == 32
    ids = [line["request_id"] for line in _lines(request_log) if line["logger"] == "kinlink.request"]
    assert ids == ["proxy-0123456789", forged["X-Request-ID"]]


def test_kinlink_log_format_json_configures_json_lines(tmp_path: Path) -> None:
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('kinlink.request').info('GET portal:home 200', "
        "extra={'method': 'GET', 'route': 'portal:home', 'status': 200}); "
        "logging.getLogger('kinlink.worker').warning('a job failed')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kinlink.settings",
        "KINLINK_LOG_FORMAT": "json",
        "KINLINK_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("kinlink.request", "INFO"),
        ("kinlink.worker", "WARNING"),
    ]
    assert lines[0]["route"] == "portal:home" and lines[0]["status"] == 200
