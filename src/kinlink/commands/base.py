"""Shared helpers for command modules: Django set-up, progress bars and error reporting."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pathlib and getpass are imported where used: `kinlink dna lr` starts without them
    from pathlib import Path

T = TypeVar("T")


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, exit status 1."""


def setup_django(check_migrations: bool = True, web_statement_timeout: bool = False) -> None:
    """Configure Django for a CLI command and make sure the database schema is up to date.

    The database is ``DATABASE_URL`` when set, otherwise ``var/kinlink.sqlite3``. Commands never migrate
    it themselves: a database with unapplied migrations (or none at all) stops the command with a
    :class:`CommandError` that says to run ``kinlink migrate``. A command (an import, the worker) may run
    statements longer than a web request's limit (``KINLINK_DB_STATEMENT_TIMEOUT_MS``): its connections
    lift it, unless ``web_statement_timeout`` (the development server serves web requests in-process).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinlink.settings")
    import django

    django.setup()
    if not web_statement_timeout:
        from django.db.backends.signals import connection_created

        connection_created.connect(_lift_statement_timeout, dispatch_uid="kinlink-cli-statement-timeout")
    if check_migrations:
        pending = unapplied_migrations()
        if pending:
            shown = ", ".join(pending[:3]) + (f" and {len(pending) - 3} more" if len(pending) > 3 else "")
            raise CommandError(
                f"the database ({database_label()}) has {len(pending)} unapplied migration(s) ({shown}): "
                "run `kinlink migrate` first"
            )


def _lift_statement_timeout(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On PostgreSQL, no statement timeout for this command's connections (the connection still has the
    connect timeout)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")


def database_label() -> str:
    """The database a command works on, for messages: the engine and its name (never a password)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    engine = str(db["ENGINE"]).rsplit(".", 1)[-1]
    host = f"{db.get('HOST')}/" if db.get("HOST") else ""
    return f"{engine} {host}{db['NAME']}"


def unapplied_migrations() -> list[str]:
    """The migrations the database still lacks, as ``app.name``, in the order they would apply."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        raise CommandError(f"cannot read the database ({database_label()}): {exc}".strip()) from exc
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]


def migrate_database() -> list[str]:
    """Apply every unapplied migration (all or, on failure, up to the one that failed); returns what it
    applied as ``app.name``. The SQLite database's folder is created when missing."""
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    if str(db["ENGINE"]).endswith("sqlite3"):
        Path(str(db["NAME"])).parent.mkdir(parents=True, exist_ok=True)
    pending = unapplied_migrations()
    if pending:
        call_command("migrate", interactive=False, verbosity=0)
    return pending


def progress(
    iterable: Iterable[T], total: int | None = None, desc: str = "", unit: str = "it"
) -> Iterator[T]:
    """Wrap long work in a progress bar on stderr; KINLINK_PROGRESS=0 silences it."""
    from tqdm import tqdm

    disable = os.environ.get("KINLINK_PROGRESS") == "0"
    yield from tqdm(
        iterable, total=total, desc=desc, unit=unit, file=sys.stderr, disable=disable, leave=False
    )


def progress_rows(
    chunks: Iterable[Sequence[T]], total: int, desc: str = "", unit: str = "row"
) -> Iterator[Sequence[T]]:
    """A progress bar on stderr over chunks of rows that counts rows (so its rate is rows per second);
    KINLINK_PROGRESS=0 silences it."""
    from tqdm import tqdm

    disable = os.environ.get("KINLINK_PROGRESS") == "0"
    with tqdm(
        total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr, disable=disable, leave=False
    ) as bar:
        for chunk in chunks:
            yield chunk
            bar.update(len(chunk))


def output_file(path: str | os.PathLike[str]) -> Path:
    """The file an ``--out`` option names; its folder must exist (a typo must not create folders)."""
    from pathlib import Path

    out = Path(path)
    folder = out.parent
    if not folder.is_dir():
        raise CommandError(f"{out}: the output folder {folder} does not exist (create it first)")
    return out


def add_operator_argument(parser: argparse.ArgumentParser) -> None:
    """``--operator NAME``: who runs an audited command (default: the operating system's user name)."""
    parser.add_argument(
        "--operator",
        default=None,
        metavar="NAME",
        help="your name for the audit trail (default: the operating system user running the command)",
    )


def operator_label(args: argparse.Namespace) -> str:
    """How the audit trail names the person at the command line: ``cli:NAME`` (``--operator``, else the
    operating system user), never the bare ``cli``."""
    name = (getattr(args, "operator", None) or "").strip()
    if not name:
        import getpass

        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no user name in the environment or the password database
            name = f"uid {os.getuid()}"
    return f"cli:{name}"[:200]


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by its owner only (mode 0600, whatever the umask), atomically:
    a ``.part`` file created with that mode, then renamed over ``path``."""
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
