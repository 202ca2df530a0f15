"""The database part of a backup, per vendor: a consistent copy with its row counts and migration state,
and its restore into an empty database with the counts checked before anything is kept.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database into a private
  temporary file (one consistent snapshot); the counts are read from that copy. Restore checks the copy
  (integrity and counts) before copying it into the target in one step.
- PostgreSQL: one REPEATABLE READ snapshot is exported; the counts are read in it and
  ``pg_dump --format=custom --snapshot`` dumps exactly it. Restore pipes ``pg_restore`` into ``psql``
  inside one transaction that ends with the row-count check: a failure anywhere leaves the database empty.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db import connection

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


class DatabaseRefused(Exception):
    """The database cannot be backed up or restored as asked (named in the message)."""


@dataclass
class Snapshot:
    """What the manifest says of the database, read in the same snapshot as the dump."""

    vendor: str
    tables: dict[str, int]
    migrations: list[list[str]]


def vendor() -> str:
    if connection.vendor == "sqlite":
        return SQLITE
    if connection.vendor == "postgresql":
        return POSTGRESQL
    raise DatabaseRefused(f"backups support SQLite and PostgreSQL, not {connection.vendor}")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_environ() -> dict[str, str]:
    """libpq's environment for pg_dump, pg_restore and psql: the database Django is connected to."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, value in {
        "PGDATABASE": db.get("NAME"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGHOST": db.get("HOST"),
        "PGPORT": str(db.get("PORT") or ""),
    }.items():
        if value:
            env[key] = str(value)
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DatabaseRefused(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _counts(cursor: Any, tables: Iterable[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _migrations(cursor: Any, tables: Iterable[str]) -> list[list[str]]:
    if "django_migrations" not in set(tables):
        return []
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [[str(app), str(name)] for app, name in cursor.fetchall()]


# ---- what is in the target database now ----


def current_state() -> Snapshot:
    """The target database's tables and applied migrations (for the emptiness check)."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return Snapshot(vendor(), _counts(cursor, tables), _migrations(cursor, tables))


def refuse_unless_empty() -> None:
    state = current_state()
    filled = [f"{name} ({count})" for name, count in state.tables.items() if count]
    if state.migrations or filled:
        raise DatabaseRefused(
            "refusing to restore: the database named by DATABASE_URL is not empty "
            f"({len(state.migrations)} applied migration(s); "
            f"tables with rows: {', '.join(filled[:8]) or 'none'}"
            f"{', ...' if len(filled) > 8 else ''}). Restore into a new, empty database."
        )
    if state.tables:
        raise DatabaseRefused(
            "refusing to restore: the database named by DATABASE_URL already holds tables "
            f"({', '.join(list(state.tables)[:8])}). Restore into a new, empty database."
        )


# ---- backup ----


@contextmanager
def dump(workdir: Path) -> Iterator[tuple[Snapshot, Iterator[bytes]]]:
    """The database's snapshot and its dump as blocks (read them inside the ``with``)."""
    kind = vendor()
    if kind == SQLITE:
        with _sqlite_dump(workdir) as result:
            yield result
    else:
        with _postgres_dump() as result:
            yield result


@contextmanager
def _sqlite_dump(workdir: Path) -> Iterator[tuple[Snapshot, Iterator[bytes]]]:
    source_path = str(connection.settings_dict["NAME"])
    copy_path = workdir / "database.sqlite3"
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(copy_path)
        try:
            source.backup(copy)  # one consistent snapshot, taken online
            cursor = copy.cursor()
            cursor.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
            tables = [str(row[0]) for row in cursor.fetchall()]
            snapshot = Snapshot(SQLITE, _counts(cursor, tables), _migrations(cursor, tables))
        finally:
            copy.close()
    finally:
        source.close()
    os.chmod(copy_path, 0o600)
    try:
        with copy_path.open("rb") as handle:
            yield snapshot, _blocks(handle)
    finally:
        copy_path.unlink(missing_ok=True)


def _blocks(handle: IO[bytes], size: int = 256 * 1024) -> Iterator[bytes]:
    while block := handle.read(size):
        yield block


@contextmanager
def _postgres_dump() -> Iterator[tuple[Snapshot, Iterator[bytes]]]:
    pg_dump = _tool("pg_dump")
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        with raw.cursor() as cursor:  # a web request's statement timeout is not a backup's
            cursor.execute("SET statement_timeout = 0")
            cursor.execute("SET idle_in_transaction_session_timeout = 0")
        raw.autocommit = False
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = str(cursor.fetchone()[0])
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = [str(row[0]) for row in cursor.fetchall()]
            snapshot = Snapshot(POSTGRESQL, _counts(cursor, tables), _migrations(cursor, tables))
            process = subprocess.Popen(
                [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot_id}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_pg_environ(),
            )
            assert process.stdout is not None and process.stderr is not None
            errors: list[bytes] = []
            reader = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)  # type: ignore[union-attr]
            reader.start()

            def blocks() -> Iterator[bytes]:
                yield from _blocks(process.stdout)  # type: ignore[arg-type]
                if process.wait() != 0:
                    reader.join()
                    message = b"".join(errors).decode(errors="replace").strip()
                    raise DatabaseRefused(f"pg_dump failed: {message}")

            try:
                yield snapshot, blocks()
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
                reader.join(timeout=5)
        raw.rollback()
    finally:
        raw.close()


# ---- restore ----


def restore(
    vendor_of_backup: str, blocks: Iterator[bytes], expected: Mapping[str, int], workdir: Path
) -> None:
    """Restore the dump into the (empty) database and check every table's row count, all or nothing."""
    kind = vendor()
    if vendor_of_backup != kind:
        raise DatabaseRefused(
            f"this backup is of a {vendor_of_backup} database and DATABASE_URL names a {kind} one: "
            "restore into the same kind of database"
        )
    connection.close()
    try:
        if kind == SQLITE:
            _sqlite_restore(blocks, expected, workdir)
        else:
            _postgres_restore(blocks, expected, workdir)
    finally:
        connection.close()


def _count_problems(actual: Mapping[str, int], expected: Mapping[str, int]) -> list[str]:
    problems = []
    for table in sorted(set(actual) | set(expected)):
        if actual.get(table) != expected.get(table):
            problems.append(
                f"{table}: {actual.get(table, 'missing')} row(s), manifest {expected.get(table, 'none')}"
            )
    return problems


def _sqlite_restore(blocks: Iterator[bytes], expected: Mapping[str, int], workdir: Path) -> None:
    copy_path = workdir / "restore.sqlite3"
    fd = os.open(copy_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for block in blocks:
            out.write(block)
    try:
        copy = sqlite3.connect(copy_path)
        try:
            cursor = copy.cursor()
            try:
                (verdict,) = cursor.execute("PRAGMA integrity_check").fetchone()
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                )
                tables = [str(row[0]) for row in cursor.fetchall()]
                problems = _count_problems(_counts(cursor, tables), expected)
            except sqlite3.DatabaseError as exc:
                raise DatabaseRefused(f"the backup's database cannot be read: {exc}") from exc
            if verdict != "ok":
                raise DatabaseRefused(f"the backup's database fails SQLite's integrity check: {verdict}")
            if problems:
                raise DatabaseRefused(
                    "the backup's database does not match its manifest: " + "; ".join(problems)
                )
            target_path = Path(str(connection.settings_dict["NAME"]))
            target_path.parent.mkdir(parents=True, exist_ok=True)
            target = sqlite3.connect(target_path, timeout=30)
            try:
                copy.backup(target)  # one step: the target is either untouched or the whole copy
            finally:
                target.close()
        finally:
            copy.close()
    finally:
        copy_path.unlink(missing_ok=True)


def _postgres_restore(blocks: Iterator[bytes], expected: Mapping[str, int], workdir: Path) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    env = _pg_environ()
    errors_path = workdir / "restore-errors.txt"
    with errors_path.open("wb") as errors:
        script = subprocess.Popen(
            [pg_restore, "--no-owner", "--no-privileges", "--file=-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        loader = subprocess.Popen(
            [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--file=-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
        )
        assert script.stdin is not None and script.stdout is not None and loader.stdin is not None
        feed_error: list[BaseException] = []

        def feed() -> None:
            try:
                for block in blocks:
                    script.stdin.write(block)  # type: ignore[union-attr]
            except BaseException as exc:
                feed_error.append(exc)
            finally:
                with contextlib.suppress(OSError):
                    script.stdin.close()  # type: ignore[union-attr]

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        try:
            loader.stdin.write(b"BEGIN;\n")
            for block in _blocks(script.stdout):
                loader.stdin.write(block)
            feeder.join()
            script_status = script.wait()
            if feed_error or script_status != 0:
                loader.stdin.close()  # no COMMIT: psql ends, the transaction rolls back
                loader.kill()
                loader.wait()
                if feed_error and not isinstance(feed_error[0], BrokenPipeError):
                    raise feed_error[0]
                raise DatabaseRefused(f"pg_restore failed: {_tail(errors_path)}")
            loader.stdin.write(_count_check(expected).encode() + b"\nCOMMIT;\n")
            loader.stdin.close()
        except BrokenPipeError:
            pass
        finally:
            if script.poll() is None:
                script.kill()
            script.wait()
            feeder.join(timeout=5)
        if loader.wait() != 0:
            raise DatabaseRefused(f"the restore was rolled back: {_tail(errors_path)}")


def _count_check(expected: Mapping[str, int]) -> str:
    """SQL that raises (and so rolls the restore back) unless every table holds its manifest's row count."""
    lines = [
        "DO $kinlink_check$ DECLARE n bigint; BEGIN",
        "  IF (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') <> "
        f"{len(expected)} THEN RAISE EXCEPTION 'the restored tables differ from the manifest'; END IF;",
    ]
    for table, count in sorted(expected.items()):
        literal = table.replace("'", "''")
        lines.append(
            f"  SELECT count(*) INTO n FROM public.{quote(table)}; IF n <> {int(count)} THEN "
            f"RAISE EXCEPTION 'table % holds % row(s), the manifest says {int(count)}', '{literal}', n; "
            "END IF;"
        )
    lines.append("END $kinlink_check$;")
    return "\n".join(lines)


def _tail(path: Path, limit: int = 2000) -> str:
    text = path.read_text(errors="replace").strip()
    return text[-limit:] or "no message"


def private_workdir(near: Path) -> tempfile.TemporaryDirectory[str]:
    """A 0700 folder beside ``near`` for the transient copies (same disk, same protection)."""
    near.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=".kinlink-backup-", dir=near)
