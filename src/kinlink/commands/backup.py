"""``kinlink backup --out FILE`` and ``kinlink restore FILE``: the instance in one encrypted archive."""

from __future__ import annotations

import argparse
from pathlib import Path

from kinlink.commands.base import CommandError, setup_django

KEY_HELP = (
    "The archive is encrypted and authenticated (AES-256-GCM) with a key derived from KINLINK_FIELD_KEY, or "
    "from the secret in the file KINLINK_BACKUP_KEY_FILE names (docs/operator.md, 'Backups')."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="write one encrypted backup of the database and the stored files",
        description="Write one encrypted, consistent backup of the database DATABASE_URL names (SQLite: the "
        "online backup API; PostgreSQL: pg_dump in one snapshot) and of every folder of stored files "
        "(attachments), with a manifest: format and kinlink version, database vendor, applied migrations, "
        "each table's row count and each file's SHA-256. Written to a temporary file and renamed at the end, "
        "mode 0600. " + KEY_HELP,
    )
    backup.add_argument("--out", type=Path, required=True, metavar="FILE")
    backup.set_defaults(handler=run_backup)

    restore = subparsers.add_parser(
        "restore",
        help="restore a backup into an empty database",
        description="Restore a backup written by `kinlink backup` into the empty database DATABASE_URL names "
        "(of the same kind: SQLite or PostgreSQL) and the stored-file folders. Refused, with nothing "
        "written, "
        "when the database is not empty, the key does not open the backup or the backup does not verify "
        "against its manifest; every table's row count and every file's SHA-256 are checked, and a failure "
        "leaves the database empty. " + KEY_HELP,
    )
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    setup_django(check_migrations=False)
    from kinlink.registry.backup.actions import BackupRefused, back_up

    try:
        summary = back_up(args.out, label="cli")
    except BackupRefused as exc:
        raise CommandError(str(exc)) from exc
    print(
        f"{summary.path}: {summary.vendor} database ({summary.tables} tables, {summary.rows} rows) and "
        f"{summary.files} stored file(s), {summary.size} bytes, encrypted"
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    setup_django(check_migrations=False)
    from kinlink.registry.backup.actions import BackupRefused, restore_backup

    try:
        summary = restore_backup(args.file, label="cli")
    except BackupRefused as exc:
        raise CommandError(str(exc)) from exc
    print(
        f"{args.file}: restored the {summary.vendor} database of {summary.created} (kinlink "
        f"{summary.kinlink_version}: {summary.tables} tables, {summary.rows} rows) and "
        f"{summary.files} stored file(s); row counts and checksums verified"
    )
    for note in summary.notes:
        print(f"note: {note}")
    return 0
