"""Back up and restore an instance: its database and every stored file, in one encrypted archive.

The two transitions (docs/architecture.md): :func:`back_up` (``kinlink backup --out FILE``) and
:func:`restore_backup` (``kinlink restore FILE``). Each appends one audit entry: the backup's after its
snapshot was taken (so it is not in the backup it records), the restore's in the restored database once
everything was checked.

The key is derived from ``KINLINK_BACKUP_KEY_FILE`` (a file holding a secret) when it is set, else from
``KINLINK_FIELD_KEY`` (its first key; a restore tries each key the variable lists). Without either a
backup is refused: a backup under a key derived from the source's default secret would protect nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import DatabaseError

from kinlink import __version__
from kinlink.registry.backup import database
from kinlink.registry.backup.archive import (
    FORMAT_VERSION,
    ArchiveError,
    ArchiveWriter,
    file_blocks,
    read_entries,
)
from kinlink.registry.services import audit

#: Every setting that names a folder of stored files: a backup holds each one (the one list of them).
#: A new storage root is added here; tests/commands/test_backup.py fails on a ``*_ROOT`` setting missing.
STORAGE_ROOT_SETTINGS: tuple[str, ...] = ("ATTACHMENT_ROOT",)
#: Settings ending in ``_ROOT`` that hold no data to back up (collected static files are rebuilt).
NOT_STORAGE_ROOTS: tuple[str, ...] = ("STATIC_ROOT", "MEDIA_ROOT")
#: Files being written (a temporary name before the rename) are not part of the store yet.
PARTIAL_PREFIXES = (".part-",)


class BackupRefused(Exception):
    """A backup or restore refused, with the reason an operator can act on."""


@dataclass
class BackupSummary:
    path: Path
    vendor: str
    tables: int
    rows: int
    files: int
    size: int


@dataclass
class RestoreSummary:
    vendor: str
    tables: int
    rows: int
    files: int
    created: str
    kinlink_version: str
    notes: list[str] = field(default_factory=list)


# ---- keys and storage roots ----


def _key_file() -> Path | None:
    name = os.environ.get("KINLINK_BACKUP_KEY_FILE", "")
    return Path(name) if name else None


def _secrets() -> list[bytes]:
    key_file = _key_file()
    if key_file is not None:
        try:
            secret = key_file.read_bytes().strip()
        except OSError as exc:
            raise BackupRefused(f"KINLINK_BACKUP_KEY_FILE {key_file}: {exc.strerror}") from exc
        if len(secret) < 32:
            raise BackupRefused(f"KINLINK_BACKUP_KEY_FILE {key_file} holds fewer than 32 characters")
        return [secret]
    keys = str(getattr(settings, "FIELD_ENCRYPTION_KEY", "") or os.environ.get("KINLINK_FIELD_KEY", ""))
    secrets = [key.strip().encode() for key in keys.split(",") if key.strip()]
    if not secrets:
        raise BackupRefused(
            "backups are encrypted with a key derived from KINLINK_FIELD_KEY or from the file "
            "KINLINK_BACKUP_KEY_FILE names; set one of them (docs/operator.md, 'Backups')"
        )
    return secrets


def storage_roots() -> dict[str, Path]:
    """The stored-file folders this instance's settings name, by setting."""
    roots = {}
    for name in STORAGE_ROOT_SETTINGS:
        value = getattr(settings, name, None)
        if value:
            roots[name] = Path(value)
    return roots


def _stored_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under ``root`` (sorted; links and partial writes left out), with its path in it."""
    if not root.is_dir():
        return
    for folder, subfolders, names in os.walk(root, followlinks=False):
        subfolders.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if name.startswith(PARTIAL_PREFIXES) or path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path


def _safe_relative(text: str) -> PurePosixPath:
    relative = PurePosixPath(text)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise BackupRefused(f"the backup names a file outside its folder: {text!r}")
    return relative


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in file_blocks(handle):
            digest.update(block)
    return digest.hexdigest()


# ---- backup ----


def back_up(out: Path, *, label: str = "cli") -> BackupSummary:
    """Write one encrypted, consistent backup of the database and every storage root to ``out`` (0600).

    The database is copied first (one snapshot), then the files: attachments are written before the rows
    that name them, so every file a backed-up row names is in the backup."""
    secret = _secrets()[0]
    out = Path(out)
    if not out.parent.is_dir():
        raise BackupRefused(f"{out}: the folder {out.parent} does not exist (create it first)")
    roots = storage_roots()
    for setting, root in roots.items():
        if out.resolve().is_relative_to(root.resolve()):
            raise BackupRefused(f"{out}: a backup cannot be written inside a folder it backs up ({setting})")
    fd, part_name = tempfile.mkstemp(prefix=f".{out.name}.part-", dir=out.parent)
    part = Path(part_name)
    os.chmod(part, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle, database.private_workdir(out.parent) as work:
            archive = ArchiveWriter(handle, secret)
            with database.dump(Path(work)) as (snapshot, blocks):
                archive.add({"name": "database", "kind": "database", "vendor": snapshot.vendor}, blocks)
            files: list[dict[str, Any]] = []
            for setting, root in roots.items():
                for relative, path in _stored_files(root):
                    with path.open("rb") as stored:
                        written = archive.add(
                            {
                                "name": f"files/{setting}/{relative}",
                                "kind": "file",
                                "root": setting,
                                "path": relative,
                            },
                            file_blocks(stored),
                        )
                    files.append({"root": setting, "path": relative, **written})
            manifest = {
                "format": FORMAT_VERSION,
                "kinlink_version": __version__,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "database": {"vendor": snapshot.vendor, **archive.written["database"]},
                "migrations": snapshot.migrations,
                "tables": snapshot.tables,
                "storage_roots": list(roots),
                "files": files,
                "entries": archive.written,
            }
            archive.add(
                {"name": "manifest", "kind": "manifest"}, [json.dumps(manifest, sort_keys=True).encode()]
            )
            archive.close()
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, out)
    except database.DatabaseRefused as exc:
        part.unlink(missing_ok=True)
        raise BackupRefused(str(exc)) from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    summary = BackupSummary(
        path=out,
        vendor=snapshot.vendor,
        tables=len(snapshot.tables),
        rows=sum(snapshot.tables.values()),
        files=len(files),
        size=out.stat().st_size,
    )
    audit.record(
        None,
        audit.Action.BACKUP_INSTANCE,
        object_type="backup",
        object_id=out.name,
        label=label,
        vendor=summary.vendor,
        tables=summary.tables,
        rows=summary.rows,
        files=summary.files,
    )
    return summary


# ---- restore ----


def verify_backup(path: Path, secrets: list[bytes] | None = None) -> dict[str, Any]:
    """Read the whole archive (authenticating every chunk) and check it against its manifest.

    Writes nothing."""
    secrets = secrets if secrets is not None else _secrets()
    seen: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    try:
        with Path(path).open("rb") as handle:
            for entry in read_entries(handle, secrets):
                if manifest is not None:
                    raise BackupRefused("the backup has entries after its manifest")
                if entry.meta.get("kind") == "manifest":
                    manifest = json.loads(b"".join(entry.blocks))
                    continue
                for _block in entry.blocks:
                    pass
                seen[str(entry.meta.get("name"))] = {"sha256": entry.digest.hexdigest(), "size": entry.size}
    except OSError as exc:
        raise BackupRefused(f"{path}: {exc.strerror}") from exc
    except (ArchiveError, ValueError) as exc:
        raise BackupRefused(f"{path}: {exc}") from exc
    if manifest is None:
        raise BackupRefused(f"{path}: the backup has no manifest")
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupRefused(
            f"{path}: backup format {manifest.get('format')} (this kinlink reads {FORMAT_VERSION})"
        )
    if manifest.get("entries") != seen:
        raise BackupRefused(f"{path}: the backup's contents do not match its manifest")
    declared = {
        f"files/{f['root']}/{f['path']}": {"sha256": f["sha256"], "size": f["size"]}
        for f in manifest["files"]
    }
    if {name: value for name, value in seen.items() if name != "database"} != declared:
        raise BackupRefused(f"{path}: the backup's files do not match its manifest")
    return manifest


def _refuse_unknown_migrations(manifest: dict[str, Any]) -> None:
    from django.db.migrations.loader import MigrationLoader

    known = {
        f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    }
    unknown = sorted(f"{app}.{name}" for app, name in manifest["migrations"] if f"{app}.{name}" not in known)
    if unknown:
        raise BackupRefused(
            f"the backup was made by a newer kinlink ({manifest['kinlink_version']}): its migrations "
            f"{', '.join(unknown[:5])} are unknown here; restore with that version or a later one"
        )


def restore_backup(path: Path, *, label: str = "cli") -> RestoreSummary:
    """Restore a backup into the empty database ``DATABASE_URL`` names and into the storage roots.

    Refused, with nothing written, when the key does not open it, when it does not verify against its
    manifest, when the database is not empty or when a stored file differs from the backup's. The files are
    staged first, the database restored in one transaction with its row counts checked, and only then the
    files moved into place and checked: a failure leaves the database empty and the storage roots as
    they were."""
    path = Path(path)
    secrets = _secrets()
    manifest = verify_backup(path, secrets)
    try:
        current = database.vendor()
        if manifest["database"]["vendor"] != current:
            raise BackupRefused(
                f"this backup is of a {manifest['database']['vendor']} database and DATABASE_URL names a "
                f"{current} one: restore into the same kind of database"
            )
        _refuse_unknown_migrations(manifest)
        database.refuse_unless_empty()
    except database.DatabaseRefused as exc:
        raise BackupRefused(str(exc)) from exc
    roots = storage_roots()
    targets: dict[str, Path] = {}
    for item in manifest["files"]:
        if item["root"] not in roots:
            raise BackupRefused(
                f"the backup holds files of {item['root']}, which this instance's settings do not name"
            )
        target = roots[item["root"]] / _safe_relative(item["path"])
        if target.exists() and _sha256(target) != item["sha256"]:
            raise BackupRefused(
                f"{target} exists and differs from the backup's file: restore into empty folders"
            )
        targets[f"files/{item['root']}/{item['path']}"] = target
    staging: dict[str, Path] = {}
    try:
        for setting, root in roots.items():
            root.parent.mkdir(parents=True, exist_ok=True)
            staging[setting] = Path(tempfile.mkdtemp(prefix=f".{root.name}.restoring-", dir=root.parent))
        staged = _stage_files(path, secrets, manifest, staging)
        workdir_near = _workdir_near(path)
        with database.private_workdir(workdir_near) as work, path.open("rb") as handle:
            for entry in read_entries(handle, secrets):
                if entry.meta.get("kind") == "database":
                    database.restore(
                        manifest["database"]["vendor"], entry.blocks, manifest["tables"], Path(work)
                    )
                    break
        for name, source in staged.items():
            target = targets[name]
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    except database.DatabaseRefused as exc:
        raise BackupRefused(str(exc)) from exc
    except ArchiveError as exc:
        raise BackupRefused(f"{path}: {exc}") from exc
    finally:
        for folder in staging.values():
            shutil.rmtree(folder, ignore_errors=True)
    damaged = [
        str(targets[name]) for name, item in _declared(manifest).items() if _sha256(targets[name]) != item
    ]
    if damaged:
        raise BackupRefused(f"restored files do not match their checksums: {', '.join(damaged[:5])}")
    summary = RestoreSummary(
        vendor=manifest["database"]["vendor"],
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        files=len(manifest["files"]),
        created=manifest["created"],
        kinlink_version=manifest["kinlink_version"],
    )
    try:
        audit.record(
            None,
            audit.Action.RESTORE_INSTANCE,
            object_type="backup",
            object_id=path.name,
            label=label,
            created=summary.created,
            tables=summary.tables,
            rows=summary.rows,
            files=summary.files,
        )
    except DatabaseError:
        summary.notes.append(
            "the restore could not be written to the audit trail until `kinlink migrate` brings the "
            "schema up to date"
        )
    return summary


def _declared(manifest: dict[str, Any]) -> dict[str, str]:
    return {f"files/{f['root']}/{f['path']}": str(f["sha256"]) for f in manifest["files"]}


def _workdir_near(backup: Path) -> Path:
    """Where the restore's transient database copy goes: beside the SQLite database, else the backup."""
    if database.vendor() == database.SQLITE:
        from django.db import connection

        return Path(str(connection.settings_dict["NAME"])).parent
    return backup.resolve().parent


def _stage_files(
    path: Path, secrets: list[bytes], manifest: dict[str, Any], staging: dict[str, Path]
) -> dict[str, Path]:
    """Decrypt every file of the backup into its root's staging folder, each checked against the manifest."""
    declared = _declared(manifest)
    staged: dict[str, Path] = {}
    with path.open("rb") as handle:
        for entry in read_entries(handle, secrets):
            if entry.meta.get("kind") != "file":
                continue
            name = str(entry.meta["name"])
            target = staging[str(entry.meta["root"])] / f"{len(staged):08d}"
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                for block in entry.blocks:
                    out.write(block)
            if entry.digest.hexdigest() != declared.get(name):
                raise BackupRefused(f"{name} does not match its checksum in the manifest")
            staged[name] = target
    return staged
