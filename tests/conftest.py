"""Shared test configuration."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pytest

from kinlink.lib.personlist import PERSON_LIST_COLUMNS
from tests.factories import WriteList

os.environ.setdefault("KINLINK_PROGRESS", "0")
# Documents refuse a localhost verification link when DEBUG is off (as in tests): the tests' instance, and
# the `kinlink documents render` subprocesses they start, have a public address.
TEST_BASE_URL = "https://kinlink.example.org"
os.environ.setdefault("KINLINK_BASE_URL", TEST_BASE_URL)
# No KINLINK_FIELD_KEY in tests: the development key derived from the secret key, allowed explicitly
# (production refuses it, registry.crypto.FieldKeyMissing); subprocesses the tests start inherit the flag.
os.environ.setdefault("KINLINK_DEVELOPMENT_KEYS", "1")

# Subprocesses the tests start (`python -m kinlink ...`, `python -c ...`) import the tests' own kinlink:
# pytest puts src/ first (pyproject `pythonpath`), a child process would otherwise get whatever kinlink the
# virtualenv has installed (another checkout's, in a shared virtualenv), and could migrate the test database
# with that checkout's migrations.
_SRC = str(Path(__file__).resolve().parents[1] / "src")
if os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] != _SRC:
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (_SRC, os.environ.get("PYTHONPATH"))))

pytest_plugins = ["tests.demo.fixtures"]  # the demo, built once per session


@pytest.fixture
def write_list(tmp_path: Path) -> WriteList:
    """Write rows (dicts, missing columns blank) to a person list CSV and return its path."""

    def write(
        rows: list[dict[str, str]],
        name: str = "list.csv",
        columns: tuple[str, ...] = PERSON_LIST_COLUMNS,
        encoding: str = "utf-8",
    ) -> Path:
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({c: row.get(c, "") for c in columns})
        return path

    return write


@pytest.fixture(autouse=True, scope="session")
def _development_field_key() -> None:
    """The settings were loaded before this file: allow the derived development key there too."""
    from django.conf import settings

    settings.KINLINK_DEVELOPMENT_KEYS = True


@pytest.fixture(autouse=True, scope="session")
def _own_code_check_slots(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The family code check's hashing slots are lock files shared by the machine's processes: each test
    process (each xdist worker, each concurrent run) gets its own, so that another one's checks never make
    its checks wait or turn them away as busy."""
    from django.conf import settings

    settings.FAMILY_CODE_SLOT_DIR = tmp_path_factory.mktemp("code-check-slots")


@pytest.fixture(autouse=True, scope="session")
def _own_fragment_locks(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The cached fragments' locks are lock files shared by the machine's processes (one database's): each
    test process has its own database, so its own locks. Sharing them, a fragment another xdist worker was
    computing under the same name (organisation 1 in both databases) made this one serve its last value,
    from before a write, instead of computing it."""
    from django.conf import settings

    settings.KINLINK_FRAGMENT_LOCK_DIR = tmp_path_factory.mktemp("fragment-locks")
    # A fragment computed in a thread of its own reads the committed rows only, not a test's transaction:
    # off, but in the tests of that thread (tests/portal/test_fragments.py).
    settings.KINLINK_FRAGMENT_BACKGROUND = False


@pytest.fixture(autouse=True)
def _run_background_tasks_inline(settings: Any) -> None:
    """Tasks run immediately in tests; production uses the database backend and `kinlink worker`."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _language_of_the_settings() -> Any:
    """Each test starts in the settings' language: a request through the test client leaves the language
    its LocaleMiddleware activated on the thread, which would leak into the next test's messages."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: a cached page or fragment (``portal.publiccache``,
    ``portal.fragments``, ``portal.pagecache``) of an earlier test holds rows that test's rollback removed."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _public_base_url(settings: Any) -> None:
    """Documents issued in tests print a public verification address (see ``TEST_BASE_URL``)."""
    if not settings.KINLINK_BASE_URL:
        settings.KINLINK_BASE_URL = TEST_BASE_URL


def uses_database(item: pytest.Item) -> bool:
    """Whether a test touches the database: a ``django_db`` mark, or a fixture built on the test database."""
    return item.get_closest_marker("django_db") is not None or "django_db_setup" in getattr(
        item, "fixturenames", ()
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``KINLINK_TEST_DATABASE_ONLY=1`` (scripts/run-tests' PostgreSQL pass) keeps only the tests that use
    the database: the others (the pure engines) ran in the SQLite pass and would only repeat it."""
    if os.environ.get("KINLINK_TEST_DATABASE_ONLY") != "1":
        return
    keep = [item for item in items if uses_database(item)]
    if len(keep) < len(items):
        kept = set(map(id, keep))
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
        items[:] = keep
