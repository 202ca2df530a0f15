"""API tokens expire (a default lifetime, `kinlink api-token create --days N`), every read of the API is
audited, and the docs page renders under the strict CSP with local assets only."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from kinlink.api.models import ApiToken
from kinlink.cli import main
from kinlink.registry.models import AuditEntry
from tests.api import test_api_endpoints
from tests.api.test_api_endpoints import call

world = test_api_endpoints.world  # the API tests' world (organisations, a request, tokens)

pytestmark = pytest.mark.django_db


def _create(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(
        ["api-token", "create", "--org", "poisk", "--name", "partner", "--scope", "read:cases", *extra]
    )
    out = capsys.readouterr()
    return code, out.out.strip(), out.err


def test_a_token_expires_after_the_default_lifetime(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, token, err = _create(capsys)
    assert code == 0 and "expires" in err
    row = ApiToken.objects.get(prefix=token.split("_")[1])
    assert row.expires_at is not None
    lifetime = row.expires_at - timezone.now()
    assert (
        dt.timedelta(days=settings.KINLINK_API_TOKEN_DAYS - 1)
        < lifetime
        <= dt.timedelta(days=settings.KINLINK_API_TOKEN_DAYS)
    )
    assert call("get", "/api/v1/persons", token).status_code == 200
    # A day past its end (the clock moved on: the row's end is set back, as time would have done).
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = call("get", "/api/v1/persons", token)
    assert response.status_code == 401
    assert main(["api-token", "list"]) == 0
    assert re.search(rf"{row.prefix} .* expired\s+expires", capsys.readouterr().out)


def test_the_lifetime_is_chosen_on_the_command_line_and_audited(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, token, _err = _create(capsys, "--days", "7")
    assert code == 0
    row = ApiToken.objects.get(prefix=token.split("_")[1])
    assert row.expires_at is not None
    assert dt.timedelta(days=6) < row.expires_at - timezone.now() <= dt.timedelta(days=7)
    entry = AuditEntry.objects.get(action="create_api_token", object_id=str(row.pk))
    assert entry.detail["expires_at"] == row.expires_at.isoformat()
    code, _token, err = _create(capsys, "--days", "0")
    assert code == 1 and "at least one day" in err


def test_every_api_read_of_persons_requests_sources_and_remains_is_audited(world: dict[str, Any]) -> None:
    token = world["read"]
    uid = str(world["person"].uid)
    reads = [
        ("/api/v1/persons", "api_read_persons"),
        (f"/api/v1/persons/{uid}", "api_read_persons"),
        (f"/api/v1/persons/{uid}/claims", "api_read_persons"),
        ("/api/v1/requests", "api_read_requests"),
        (f"/api/v1/requests/{world['request']}", "api_read_requests"),
        (f"/api/v1/sources/{world['source'].pk}", "api_read_source"),
        ("/api/v1/remains", "api_read_remains"),
        ("/api/v1/remains/R-1", "api_read_remains"),
    ]
    for path, action in reads:
        before = AuditEntry.objects.filter(action=action).count()
        assert call("get", path, token).status_code == 200, path
        assert AuditEntry.objects.filter(action=action).count() == before + 1, path
    listing = AuditEntry.objects.filter(action="api_read_persons", object_id="*").get()
    assert listing.detail["ids"] == [uid] and listing.actor_label.startswith("api token ")
    before = AuditEntry.objects.filter(action="api_read_sample").count()
    assert call("get", "/api/v1/samples", world["lab"]).status_code == 200
    assert AuditEntry.objects.filter(action="api_read_sample").count() == before + 1


def test_the_api_docs_render_with_local_assets_under_the_strict_csp() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "cdn" not in csp
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    styles = re.findall(r'<link[^>]*href="([^"]+)"', page)
    assert scripts and all(src.startswith("/static/") for src in scripts + styles), (scripts, styles)
    assert "cdn." not in page and "//unpkg" not in page and "jsdelivr" not in page
    # No inline script runs: every <script> either loads a local file or is inert JSON data.
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    for url in scripts + styles:
        assert finders.find(url.removeprefix("/static/")), url
        assert Client().get(url).status_code == 200, url
