"""Static files in production: after ``collectstatic`` into ``KINLINK_STATIC_ROOT``, WhiteNoise serves the
hashed names compressed and cached for a year (immutable), the plain names for a short while."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

PRODUCTION_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
SHOW = "import django; django.setup(); from django.conf import settings; import json; " + (
    "print(json.dumps([settings.STORAGES['staticfiles']['BACKEND'], settings.WHITENOISE_USE_FINDERS,"
    " str(settings.STATIC_ROOT)]))"
)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KINLINK_") and key != "DJANGO_SETTINGS_MODULE"
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "kinlink.settings",
        "KINLINK_VAR_DIR": str(tmp_path / "var"),
        "KINLINK_DEVELOPMENT_KEYS": "1",
        **extra,
    }


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``collectstatic`` with the production settings (``KINLINK_STATIC_ROOT`` set), in a child process."""
    tmp = tmp_path_factory.mktemp("static")
    root = tmp / "static"
    env = _env(tmp, KINLINK_STATIC_ROOT=str(root))
    shown = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, check=True)
    assert json.loads(shown.stdout.strip().splitlines()[-1]) == [PRODUCTION_STORAGE, False, str(root)]
    # without KINLINK_STATIC_ROOT (demo, tests) files come from the apps, unhashed
    plain = subprocess.run([sys.executable, "-c", SHOW], env=_env(tmp), capture_output=True, text=True)
    assert json.loads(plain.stdout.strip().splitlines()[-1])[:2] == [
        "django.contrib.staticfiles.storage.StaticFilesStorage",
        True,
    ]
    subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        check=True,
        capture_output=True,
    )
    return root


def test_hashed_static_files_are_served_compressed_and_cached_for_a_year(collected: Path) -> None:
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
    hashed = manifest["portal/kinlink.css"]
    assert hashed != "portal/kinlink.css" and (collected / f"{hashed}.gz").is_file()
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": PRODUCTION_STORAGE},
    }
    with override_settings(
        STATIC_ROOT=collected, STORAGES=storages, WHITENOISE_USE_FINDERS=False, WHITENOISE_AUTOREFRESH=False
    ):
        client = Client()
        r = client.get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert r.status_code == 200
        assert r["Content-Encoding"] == "gzip"
        directives = {
            part.strip().partition("=")[0]: part.partition("=")[2] for part in r["Cache-Control"].split(",")
        }
        assert int(directives["max-age"]) >= 365 * 24 * 3600 and "immutable" in directives
        assert "Accept-Encoding" in r["Vary"]
        body = b"".join(r.streaming_content)  # type: ignore[attr-defined]
        assert body == (collected / f"{hashed}.gz").read_bytes()
        # a client that does not ask for compression gets the file as it is
        plain = client.get(f"/static/{hashed}")
        assert not plain.has_header("Content-Encoding")
        assert b"".join(plain.streaming_content) == (collected / hashed).read_bytes()  # type: ignore[attr-defined]
        # the unhashed name may change under the same address: cached briefly only
        unhashed = client.get("/static/portal/kinlink.css")
        assert unhashed.status_code == 200
        assert "immutable" not in unhashed["Cache-Control"]
        # and the pages name the hashed file
        assert f"/static/{hashed}".encode() in client.get("/en/").content
