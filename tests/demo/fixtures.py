"""The demo, built once per test session (it is expensive) for the tests that only read it.

``demo`` builds it outside the tests' transactions, with the database task backend so that the list
linkage and the screening run in the worker, as in ``kinlink demo``; tests that use it run last in the
session (``pytest_collection_modifyitems`` below), so that the tests that expect an empty database never
see it, and it is flushed at the end. A test that writes is rolled back as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from kinlink.demo import DemoSummary, build_demo

DEMO_FIXTURES = ("demo",)


@pytest.fixture(scope="session")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoSummary]:
    with django_db_blocker.unblock():
        with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
            summary = build_demo("small")
        yield summary
        call_command("flush", interactive=False, verbosity=0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that use the demo run last (stable order otherwise)."""
    items.sort(key=lambda item: any(f in getattr(item, "fixturenames", ()) for f in DEMO_FIXTURES))
