"""Shared helpers for command modules: Django set-up, progress bars and error reporting."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

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


def output_file(path: str | os.PathLike[str]) -> Path:
    """The file an ``--out`` option names; its folder must exist (a typo must not create folders)."""
    out = Path(path)
    folder = out.parent
    if not folder.is_dir():
        raise CommandError(f"{out}: the output folder {folder} does not exist (create it first)")
    return out


def find_case(value: str) -> Any:
    """The case a ``--case`` option names: its number (C-000001) or its id (see ``kinlink case list``)."""
    from kinlink.registry.models import Case

    text = value.strip()
    case = Case.objects.filter(number__iexact=text).first()
    if case is None and text.isdigit():
        case = Case.objects.filter(pk=int(text)).first()
    if case is None and text.isdigit():
        raise CommandError(f"no case with id {text} or number {text!r} (see `kinlink case list`)")
    if case is None:
        raise CommandError(f"no case with number {text!r} (see `kinlink case list`)")
    return case
