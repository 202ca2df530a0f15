"""Envelope encryption: a data key per tracing request, wrapped by the operator's key, kept outside the
database; shredding it makes the request's ciphertext unreadable for ever."""

from __future__ import annotations

import io
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection

from kinlink.registry import actions, crypto
from kinlink.registry.models import Attachment, AuditEntry, DataKey, Organisation, TracingRequest
from kinlink.registry.services.attachments import attachment_path, read_attachment

pytestmark = pytest.mark.django_db


def submit(contact: str = "+7 900 123-45-67", enquirer: str = "Ирина Петрова") -> TracingRequest:
    form = actions.FamilyRequest(
        surname="Петров",
        given_name="Сергей",
        relationship="mother",
        contact=contact,
        enquirer_name=enquirer,
        circumstances="Последний звонок 3 марта из Н.",
    )
    request, _code = actions.submit_tracing_request(form)
    return request


def stored(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def test_wrap_and_unwrap_with_the_operator_keys_and_an_older_key_still_unwraps(settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    data_key = Fernet.generate_key()
    wrapped = crypto.wrap(data_key)
    assert data_key not in wrapped.encode() and crypto.unwrap(wrapped) == data_key
    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"
    assert crypto.unwrap(wrapped) == data_key
    assert not crypto.wrapped_with_primary(wrapped)
    assert crypto.wrapped_with_primary(crypto.wrap(data_key))
    settings.FIELD_ENCRYPTION_KEY = new
    with pytest.raises(crypto.DecryptionError):
        crypto.unwrap(wrapped)


def test_a_request_has_its_own_data_key_outside_the_database() -> None:
    first, second = submit(), submit(contact="other@example.org")
    assert first.data_key is not None and second.data_key is not None
    assert first.data_key.key_id != second.data_key.key_id
    assert first.data_key.scope == DataKey.Scope.REQUEST
    raw_contact = stored("registry_tracingrequest", "contact", first.pk)
    assert raw_contact.startswith(f"kl1:{first.data_key.key_id.hex}:")
    assert "900" not in raw_contact
    assert crypto.key_path(first.data_key.key_id).exists()
    reloaded = TracingRequest.objects.get(pk=first.pk)
    assert reloaded.contact == "+7 900 123-45-67" and reloaded.enquirer_name == "Ирина Петрова"
    # the wrapped key is in no column of the key's row
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_datakey WHERE id = %s", [first.data_key.pk])
        row = cursor.fetchone()
    wrapped = crypto.key_path(first.data_key.key_id).read_text()
    assert all(wrapped not in str(value) for value in row)


def test_shredding_the_request_key_makes_its_data_unreadable_and_is_audited() -> None:
    request, other = submit(), submit(contact="kept@example.org")
    key_id = request.data_key.key_id
    assert crypto.shred_request_key(request, reason="consent withdrawn") is True
    assert not crypto.key_path(key_id).exists()
    assert DataKey.objects.get(key_id=key_id).shredded_at is not None
    entry = AuditEntry.objects.get(action="shred_key")
    assert entry.object_id == str(request.pk) and entry.detail["key"] == key_id.hex
    assert entry.detail["reason"] == "consent withdrawn"
    crypto.forget_key()
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact FROM registry_tracingrequest WHERE id = %s", [request.pk])
        (stored,) = cursor.fetchone()
    with pytest.raises(crypto.KeyShredded):
        crypto.decrypt_text(stored)
    # the model reads a shredded value as gone (pages of a withdrawn request do not fail)
    assert TracingRequest.objects.get(pk=request.pk).contact == ""
    assert TracingRequest.objects.get(pk=other.pk).contact == "kept@example.org"
    assert crypto.shred_request_key(request) is False, "a second shredding finds nothing"
    assert AuditEntry.objects.filter(action="shred_key").count() == 1


def test_production_without_a_field_key_refuses_rather_than_derives(settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEY = ""
    settings.DEBUG = False
    settings.KINLINK_DEVELOPMENT_KEYS = False
    with pytest.raises(crypto.FieldKeyMissing, match="KINLINK_FIELD_KEY is not set"):
        crypto.wrap(b"x")
    settings.KINLINK_DEVELOPMENT_KEYS = True
    assert crypto.unwrap(crypto.wrap(b"x")) == b"x"


def test_unwrapped_keys_are_cached_so_a_page_does_not_unwrap_per_field() -> None:
    request = submit()
    crypto.forget_key()
    before = crypto.unwrap_count()
    for _ in range(5):
        reloaded = TracingRequest.objects.get(pk=request.pk)
        assert reloaded.contact and reloaded.enquirer_name and reloaded.circumstances
    assert crypto.unwrap_count() - before == 1


# --- crypto-shredding against a copy of the database ------------------------------------------------------


def photo_with_gps_exif() -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera, the time, GPS coordinates, and an orientation."""
    from PIL import Image

    image = Image.new("RGB", (40, 20), (120, 160, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12 Pro"  # Model
    exif[0x0132] = "2022:03:03 17:45:00"  # DateTime
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (50.0, 35.0, 12.0), 3: "E", 4: (30.0, 12.0, 36.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def raw_copy_of_the_database(target: Path) -> dict[str, list[tuple[Any, ...]]]:
    """A copy of every table as stored: on SQLite a dump (``.dump``, SQL text) loaded into a database file
    of its own, on PostgreSQL every row as the server holds it (what ``pg_dump`` writes, read on this
    transaction: the test's rows are not committed)."""
    tables = connection.introspection.table_names()
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        script = "\n".join(connection.connection.iterdump())
        copy = sqlite3.connect(target)
        try:
            copy.executescript(script)
            return {t: copy.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}
        finally:
            copy.close()
    dump: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            dump[table] = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in cursor]
    target.write_text(repr(dump))
    return dump


def ciphertexts_of(dump: dict[str, list[tuple[Any, ...]]], key_id: uuid.UUID) -> list[str]:
    marker = f"{crypto.ENVELOPE_PREFIX}{key_id.hex}:"
    return [
        v
        for rows in dump.values()
        for row in rows
        for v in row
        if isinstance(v, str) and v.startswith(marker)
    ]


def opens_with_any_key_the_instance_holds(stored: str) -> bool:
    token = stored.split(":", 2)[2].encode()
    candidates = [*crypto.operator_keys()._fernets]
    for key in DataKey.objects.filter(shredded_at__isnull=True):
        candidates.append(crypto.data_fernet(key.key_id))
    for fernet in candidates:
        try:
            fernet.decrypt(token)
        except InvalidToken:
            continue
        return True
    return False


def test_a_shredded_request_is_unreadable_in_a_copy_of_the_database_taken_before(
    settings: Any, tmp_path: Path
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    org = Organisation.objects.create(name="Поиск", slug="poisk")
    form = actions.FamilyRequest(
        surname="Петров",
        given_name="Сергей",
        relationship="mother",
        contact="+7 900 123-45-67",
        enquirer_name="Ирина Петрова",
        circumstances="Последний звонок 3 марта из Н.",
        photos=[actions.UploadedFile("sergey.jpg", photo_with_gps_exif())],
    )
    request, _code = actions.submit_tracing_request(form)
    actions.send_message(None, request, "Есть ли новости о сыне?", from_family=True)
    actions.release_update(None, request, "Мы направили запрос в часть.")
    case = actions.open_case(None, request.person, org, request=request)
    actions.add_case_note(None, case, "Сослуживец видел его 4 марта у моста.")
    kept = submit(contact="kept@example.org")
    photo = Attachment.objects.get(source__reference=request.number)

    copy = raw_copy_of_the_database(tmp_path / "copy.sqlite3")
    files_copy = {p.name: p.read_bytes() for p in Path(settings.ATTACHMENT_ROOT).rglob("*") if p.is_file()}
    key_id = request.data_key.key_id
    sealed = ciphertexts_of(copy, key_id)
    plain = {crypto.decrypt_text(v) for v in sealed}
    assert {
        "+7 900 123-45-67",
        "Ирина Петрова",
        "Последний звонок 3 марта из Н.",  # the request's circumstances and the family's claim
        "Есть ли новости о сыне?",
        "Мы направили запрос в часть.",
        "Сослуживец видел его 4 марта у моста.",
    } <= plain, "before shredding, the copy opens: the test could fail"
    flat = repr(copy)
    assert "900 123" not in flat and "моста" not in flat and "новости" not in flat
    assert crypto.decrypt_bytes(files_copy[photo.sha256]).startswith(b"\xff\xd8")

    assert crypto.shred_request_key(request, reason="consent withdrawn") is True
    crypto.forget_key()
    assert AuditEntry.objects.filter(action="shred_key", object_id=str(request.pk)).count() == 1
    for value in sealed:
        assert not opens_with_any_key_the_instance_holds(value)
        with pytest.raises(crypto.KeyShredded):
            crypto.decrypt_text(value)
    with pytest.raises(crypto.KeyShredded):
        crypto.decrypt_bytes(files_copy[photo.sha256])
    # the copy holds no key material: nothing in it opens the request's data
    wrapped_keys = [p.read_text() for p in crypto.key_dir().glob("*.key")]
    assert not any(w in flat for w in wrapped_keys)
    # the other family's data still reads
    assert TracingRequest.objects.get(pk=kept.pk).contact == "kept@example.org"


def test_photos_lose_their_exif_on_upload_and_keep_their_orientation(settings: Any, tmp_path: Path) -> None:
    from PIL import Image

    settings.ATTACHMENT_ROOT = tmp_path
    original = photo_with_gps_exif()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825)[2] == (50.0, 35.0, 12.0), (
            "the upload carries its GPS position"
        )
    assert b"Phone 12 Pro" in original
    form = actions.FamilyRequest(
        surname="Петров",
        given_name="Сергей",
        relationship="mother",
        photos=[actions.UploadedFile("sergey.jpg", original)],
    )
    request, _code = actions.submit_tracing_request(form)
    attachment = Attachment.objects.get(source__reference=request.number)
    stored = read_attachment(attachment)
    assert b"Phone 12 Pro" not in stored and b"Exif" not in stored and b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif() and "exif" not in image.info and not image.getexif().get_ifd(0x8825)
        assert image.size == (20, 40), "the orientation is applied to the pixels (90° turn)"
    assert attachment.size == len(stored)
    assert b"Phone 12 Pro" not in attachment_path(attachment.sha256).read_bytes()


def test_encrypt_many_makes_fernet_tokens_that_decrypt_text_opens() -> None:
    key = crypto.instance_key()
    plains = ["", "a", "x" * 15, "y" * 16, "z" * 17, "Обіт, record R1", "日本語" * 40, "Obits, record R1"]
    stored = crypto.encrypt_many(key, [*plains, "Obits, record R1"])
    assert [crypto.decrypt_text(s) for s in stored] == [*plains, "Obits, record R1"]
    assert stored[-1] != stored[-2]  # a new IV for each value
    assert all(crypto.key_id_of(s) == key.key_id for s in stored)
    token = stored[1].split(":", 2)[2].encode("ascii")
    assert crypto.data_fernet(key.key_id).decrypt(token, ttl=60) == b"a"  # a Fernet token, time included
    assert crypto.encrypt_many(key, []) == []
