"""Shared helpers for command modules: Django set-up, progress bars and error reporting."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, exit status 1."""


def setup_django(migrate: bool = True) -> None:
    """Configure Django for a CLI command and bring the database schema up to date.

    The database is ``DATABASE_URL`` when set, otherwise ``var/kinlink.sqlite3``.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinlink.settings")
    import django
    from django.conf import settings

    django.setup()
    if migrate:
        from django.core.management import call_command

        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("sqlite3"):
            from pathlib import Path

            Path(str(db["NAME"])).parent.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)


def progress(
    iterable: Iterable[T], total: int | None = None, desc: str = "", unit: str = "it"
) -> Iterator[T]:
    """Wrap long work in a progress bar on stderr; KINLINK_PROGRESS=0 silences it."""
    from tqdm import tqdm

    disable = os.environ.get("KINLINK_PROGRESS") == "0"
    yield from tqdm(
        iterable, total=total, desc=desc, unit=unit, file=sys.stderr, disable=disable, leave=False
    )
