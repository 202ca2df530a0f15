"""``kinlink backup`` and ``kinlink restore`` (issue 17): built through the actions, backed up, destroyed,
restored into a fresh empty database; every table's row count, every stored file's checksum and the
decrypted contact fields read the same. Refusals: a wrong key, a non-empty database, an altered backup, and
a backup that fails half-way leaves nothing restored.

The tests commit for real (``transaction=True``): pg_dump and the SQLite online backup read what another
connection would. They run on SQLite and on PostgreSQL (``DATABASE_URL``)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from kinlink.cli import main
from kinlink.documents.actions import issue_document
from kinlink.documents.models import IssuedDocument
from kinlink.identification.actions import store_lab_profiles
from kinlink.registry import actions
from kinlink.registry.backup import archive
from kinlink.registry.backup.actions import NOT_STORAGE_ROOTS, STORAGE_ROOT_SETTINGS
from kinlink.registry.models import Attachment, AuditEntry, Sample, TracingRequest
from kinlink.registry.services.family_intake import FamilyRequest, UploadedFile
from tests.portal.portal_world import build_world

pytestmark = pytest.mark.django_db(transaction=True)

FIELD_KEY = "3q2-7wEjRDGQzUUpVn2DkCxeETg0xRE8Z6wNlYQ5C4A="  # a Fernet key for these tests only
FREQUENCIES = (
    Path(__file__).resolve().parents[2] / "src/kinlink/identification/data/synthetic_frequencies.csv"
)
OTHER_KEY = "Wm1Ya2JHbGhjMkZ6WkdGemRHVnpkR3RsZVhSbGMzUT0="


@pytest.fixture
def instance(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test's storage root and field key; afterwards the test database has its schema again, whatever
    the test destroyed."""
    monkeypatch.setenv("KINLINK_FIELD_KEY", FIELD_KEY)
    monkeypatch.delenv("KINLINK_BACKUP_KEY_FILE", raising=False)
    settings.FIELD_ENCRYPTION_KEY = FIELD_KEY
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.KINLINK_DNA_FREQUENCIES = str(FREQUENCIES)
    yield tmp_path
    connection.close()
    if "django_migrations" not in connection.introspection.table_names():
        call_command("migrate", verbosity=0)


def _photo(n: int) -> UploadedFile:
    # a real JPEG (uploads are decoded and re-encoded without their metadata), different for each n
    import io

    from PIL import Image

    out = io.BytesIO()
    seed = hashlib.sha256(str(n).encode()).digest()
    Image.frombytes("RGB", (16, 16), (seed * 25)[: 16 * 16 * 3]).save(out, format="JPEG")
    return UploadedFile(f"photo-{n}.jpg", out.getvalue())


def build_instance() -> None:
    """A tracing request with photos, cases, DNA profiles and an issued document, all through the actions."""
    world = build_world()
    actions.submit_tracing_request(
        FamilyRequest(
            surname="Коваленко",
            given_name="Андрій",
            relationship="mother",
            contact="+380 67 000 11 22, вул. Садова 3",
            enquirer_name="Олена Коваленко",
            consent_organisations=[world.a.org],
            consent_dna=True,
            photos=[_photo(1), _photo(2)],
        )
    )
    store_lab_profiles(
        None,
        world.a.lab,
        "genotypes.csv",
        b"sample,marker,allele1,allele2\nBC-a-001,D3S1358,15,16\nBC-a-001,TH01,9.3,9.3\n",
        label="test",
    )
    issue_document("dossier", world.a.case, "en", user=None)


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def file_checksums(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def contacts() -> list[tuple[str, str, str]]:
    return [(r.number, r.enquirer_name, r.contact) for r in TracingRequest.objects.order_by("pk")]


def destroy_instance() -> None:
    """The database and the stored files are gone: every table of the test database dropped (a fresh, empty
    database) and every attachment deleted."""
    for path in Path(django_settings.ATTACHMENT_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        connection.close()
    else:
        name = Path(str(connection.settings_dict["NAME"]))
        connection.close()
        name.unlink()


def _backup(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", "--out", str(out)]) == 0, capsys.readouterr().err
    capsys.readouterr()


def test_backup_destroy_restore_reads_the_same(
    instance: Path, capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    build_instance()
    assert Attachment.objects.count() >= 2 and IssuedDocument.objects.count() == 1
    assert Sample.objects.exclude(profile="").exists()
    counts, files, decrypted = table_counts(), file_checksums(settings.ATTACHMENT_ROOT), contacts()
    assert len(files) >= 2 and "+380 67 000 11 22, вул. Садова 3" in {c for _n, _e, c in decrypted}
    out = instance / "kinlink.backup"
    _backup(out, capsys)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert AuditEntry.objects.filter(action="backup_instance").count() == 1
    raw = out.read_bytes()
    assert b"+380 67 000 11 22" not in raw and b"Olena" not in raw and _photo(1).content[:64] not in raw
    assert not list(instance.glob(".kinlink.backup.part-*"))  # the temporary file was renamed

    destroy_instance()
    assert main(["restore", str(out)]) == 0, capsys.readouterr().err
    assert "row counts and checksums verified" in capsys.readouterr().out

    restored = table_counts()
    # the restore appends its own audit entry to the restored trail, and marks the public figures stale
    # (the restored data may differ from what they were computed on); nothing else differs
    assert restored.pop("registry_auditentry") == counts.pop("registry_auditentry") + 1
    assert restored.pop("registry_figureschange") == counts.pop("registry_figureschange") + 1
    assert restored == counts
    assert file_checksums(settings.ATTACHMENT_ROOT) == files
    assert contacts() == decrypted
    assert AuditEntry.objects.filter(action="restore_instance", actor_label="cli").count() == 1
    assert bytes(IssuedDocument.objects.get().pdf).startswith(b"%PDF")


def test_restore_refuses_a_database_that_is_not_empty(
    instance: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_instance()
    out = instance / "kinlink.backup"
    _backup(out, capsys)
    before = table_counts()
    assert main(["restore", str(out)]) == 1
    error = capsys.readouterr().err
    assert "not empty" in error and "applied migration" in error
    assert table_counts() == before


def test_a_wrong_key_and_an_altered_backup_are_refused(
    instance: Path, capsys: pytest.CaptureFixture[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_instance()
    out = instance / "kinlink.backup"
    _backup(out, capsys)
    destroy_instance()
    monkeypatch.setenv("KINLINK_FIELD_KEY", OTHER_KEY)
    settings.FIELD_ENCRYPTION_KEY = OTHER_KEY
    assert main(["restore", str(out)]) == 1
    assert "the key does not open this backup" in capsys.readouterr().err
    monkeypatch.setenv("KINLINK_FIELD_KEY", FIELD_KEY)
    settings.FIELD_ENCRYPTION_KEY = FIELD_KEY

    raw = bytearray(out.read_bytes())
    altered = instance / "altered.backup"
    raw[len(raw) // 2] ^= 0x01
    altered.write_bytes(bytes(raw))
    truncated = instance / "truncated.backup"
    truncated.write_bytes(out.read_bytes()[: -archive.CHUNK // 4])
    for bad, reason in ((altered, "altered"), (truncated, "cut short")):
        assert main(["restore", str(bad)]) == 1
        assert reason in capsys.readouterr().err
    assert connection.introspection.table_names() == []
    assert not file_checksums(settings.ATTACHMENT_ROOT)


def _rewrite(source: Path, target: Path, change: Any) -> None:
    """A backup re-sealed with the right key after ``change(entries)``: one the writer itself got wrong."""
    with source.open("rb") as handle:
        entries = [(e.meta, b"".join(e.blocks)) for e in archive.read_entries(handle, [FIELD_KEY.encode()])]
    entries = change(entries)
    with target.open("wb") as out:
        writer = archive.ArchiveWriter(out, FIELD_KEY.encode())
        for meta, data in entries[:-1]:
            writer.add(meta, [data])
        manifest = json.loads(entries[-1][1])
        manifest["entries"] = writer.written
        manifest["database"].update(writer.written["database"])
        writer.add(entries[-1][0], [json.dumps(manifest).encode()])
        writer.close()


def test_a_restore_that_fails_half_way_leaves_nothing_restored(
    instance: Path, capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    build_instance()
    out = instance / "kinlink.backup"
    _backup(out, capsys)
    destroy_instance()
    root = Path(settings.ATTACHMENT_ROOT)

    def wrong_count(entries: list[tuple[dict[str, Any], bytes]]) -> list[tuple[dict[str, Any], bytes]]:
        manifest = json.loads(entries[-1][1])
        manifest["tables"]["registry_person"] += 1
        return [*entries[:-1], (entries[-1][0], json.dumps(manifest).encode())]

    def cut_database(entries: list[tuple[dict[str, Any], bytes]]) -> list[tuple[dict[str, Any], bytes]]:
        meta, data = entries[0]
        return [(meta, data[: len(data) * 2 // 3]), *entries[1:]]

    for name, change, reason in (
        ("count.backup", wrong_count, "registry_person"),
        ("cut.backup", cut_database, ""),
    ):
        bad = instance / name
        _rewrite(out, bad, change)
        assert main(["restore", str(bad)]) == 1
        error = capsys.readouterr().err
        assert reason in error, error
        connection.close()
        assert connection.introspection.table_names() == [], name  # the database is still empty
        assert not file_checksums(root), name  # no file was put in place
        assert not [p for p in root.parent.iterdir() if p.name.startswith(".attachments.restoring-")]
    # the good backup still restores into that empty database
    assert main(["restore", str(out)]) == 0, capsys.readouterr().err


def test_a_key_file_replaces_the_field_key(
    instance: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = instance / "backup.key"
    key_file.write_text(os.urandom(32).hex())
    monkeypatch.setenv("KINLINK_BACKUP_KEY_FILE", str(key_file))
    out = instance / "kinlink.backup"
    _backup(out, capsys)
    with out.open("rb") as handle, pytest.raises(archive.ArchiveError, match="key does not open"):
        next(archive.read_entries(handle, [FIELD_KEY.encode()]))
    with out.open("rb") as handle:
        names = [e.meta["name"] for e in archive.read_entries(handle, [key_file.read_text().encode()])]
    assert names[0] == "database" and names[-1] == "manifest"


def test_no_backup_without_a_key_or_inside_a_storage_root(
    instance: Path, capsys: pytest.CaptureFixture[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without KINLINK_FIELD_KEY or a key file there is no backup (a key derived from the source's default
    secret would protect nothing), and no file is left behind; nor is one written into the folder it backs
    up (it would hold itself)."""
    monkeypatch.delenv("KINLINK_FIELD_KEY")
    settings.FIELD_ENCRYPTION_KEY = ""
    assert main(["backup", "--out", str(instance / "kinlink.backup")]) == 1
    assert "KINLINK_BACKUP_KEY_FILE" in capsys.readouterr().err
    assert not [p.name for p in instance.iterdir() if "backup" in p.name]
    monkeypatch.setenv("KINLINK_FIELD_KEY", FIELD_KEY)
    settings.FIELD_ENCRYPTION_KEY = FIELD_KEY
    inside = Path(settings.ATTACHMENT_ROOT) / "kinlink.backup"
    inside.parent.mkdir(parents=True, exist_ok=True)
    assert main(["backup", "--out", str(inside)]) == 1
    assert "inside a folder it backs up" in capsys.readouterr().err and not inside.exists()


def test_every_storage_root_the_settings_name_is_backed_up() -> None:
    roots = {name for name in dir(django_settings) if name.endswith("_ROOT")} - set(NOT_STORAGE_ROOTS)
    assert roots <= set(STORAGE_ROOT_SETTINGS), (
        f"add {roots - set(STORAGE_ROOT_SETTINGS)} to STORAGE_ROOT_SETTINGS"
    )


def test_the_stream_is_sealed_in_chunks_and_never_whole() -> None:
    """A multi-chunk stream reads back; chunks moved or the last one dropped are refused."""
    out = io.BytesIO()
    writer = archive.ArchiveWriter(out, b"k" * 32)
    payload = os.urandom(archive.CHUNK * 2 + 123)
    writer.add(
        {"name": "big", "kind": "file"}, [payload[i : i + 65536] for i in range(0, len(payload), 65536)]
    )
    writer.close()
    data = out.getvalue()
    entries = archive.read_entries(io.BytesIO(data), [b"k" * 32])
    assert b"".join(next(entries).blocks) == payload
    header = archive.HEADER_BYTES
    first = 4 + int.from_bytes(data[header : header + 4], "big")
    swapped = data[:header] + data[header + first : header + 2 * first] + data[header : header + first]
    swapped += data[header + 2 * first :]
    with pytest.raises(archive.ArchiveError):
        list(archive.decrypted_chunks(io.BytesIO(swapped), [b"k" * 32]))
    without_last = data[: header + 2 * first]
    with pytest.raises(archive.ArchiveError, match="cut short"):
        list(archive.decrypted_chunks(io.BytesIO(without_last), [b"k" * 32]))
