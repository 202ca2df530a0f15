"""`kinlink keys rotate`: every data key rewrapped with the new operator key, in batches, resumable and
audited; after it the old key is dropped and everything still reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from kinlink.cli import main
from kinlink.registry import actions, crypto
from kinlink.registry.models import Attachment, AuditEntry, DataKey, TracingRequest
from kinlink.registry.services.attachments import read_attachment

pytestmark = pytest.mark.django_db

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63382127f71f0004ba02"
    "043e571fc70000000049454e44ae426082"
)


def submit(contact: str) -> TracingRequest:
    form = actions.FamilyRequest(
        surname="Коваленко",
        given_name="Андрей",
        relationship="wife",
        contact=contact,
        circumstances="Позвонил 12 мая из-под Н.",
        photos=[actions.UploadedFile("andrey.png", PNG_1PX)],
    )
    request, _code = actions.submit_tracing_request(form)
    actions.send_message(None, request, f"Вопрос от семьи {contact}", from_family=True)
    return request


def raw(column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM registry_tracingrequest WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def set_raw(column: str, pk: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE registry_tracingrequest SET {column} = %s WHERE id = %s", [value, pk])


def test_rotate_then_drop_the_old_key_and_everything_still_reads(
    settings: Any, tmp_path: Path, capsys: Any
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.KINLINK_KEY_DIR = tmp_path / "keys"
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    crypto.forget_key()
    requests = [submit(f"+380 50 000-00-0{n}") for n in range(3)]
    # a request from before envelope encryption: contact under the operator key itself, circumstances plain
    legacy = requests[0]
    former = crypto.PREFIX + Fernet(old.encode()).encrypt(b"legacy@example.org").decode()
    set_raw("contact", legacy.pk, former)
    set_raw("circumstances", legacy.pk, "Старый текст без шифрования")
    keys = DataKey.objects.count()
    assert keys >= 3

    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"
    # an interrupted run: the first batch only
    first = next(actions.rotate_data_keys(None, batch_size=1, label="test"))
    assert first.rewrapped == 1
    assert main(["keys", "rotate", "--batch-size", "2"]) == 0
    out = capsys.readouterr().out
    assert "encrypted again: 2" in out and f"done: {keys - 1} keys rewrapped" in out
    assert AuditEntry.objects.filter(action="rotate_keys", object_type="datakey").count() == 1 + -(-keys // 2)
    assert AuditEntry.objects.filter(action="rotate_keys", object_id="legacy").exists()
    assert raw("contact", legacy.pk).startswith(f"kl1:{legacy.data_key.key_id.hex}:")
    assert raw("circumstances", legacy.pk).startswith("kl1:")
    assert main(["keys", "rotate"]) == 0, "a second run finds nothing to do"
    assert "done: 0 keys rewrapped" in capsys.readouterr().out

    settings.FIELD_ENCRYPTION_KEY = new  # the old key is gone
    crypto.forget_key()
    for key in DataKey.objects.all():
        assert crypto.wrapped_with_primary(crypto.read_wrapped_key(key.key_id))
    reloaded = {r.pk: r for r in TracingRequest.objects.filter(pk__in=[r.pk for r in requests])}
    assert reloaded[legacy.pk].contact == "legacy@example.org"
    assert reloaded[legacy.pk].circumstances == "Старый текст без шифрования"
    assert reloaded[requests[2].pk].contact == "+380 50 000-00-02"
    assert [m.body for m in reloaded[requests[1].pk].messages.all()] == ["Вопрос от семьи +380 50 000-00-01"]
    for attachment in Attachment.objects.all():
        assert read_attachment(attachment).startswith(b"\x89PNG")
    assert main(["keys", "status"]) == 0
    status = capsys.readouterr().out
    assert "to rotate  0" in status and f"current    {keys}" in status


def test_rotation_without_the_old_key_listed_fails_clearly(
    settings: Any, tmp_path: Path, capsys: Any
) -> None:
    settings.KINLINK_KEY_DIR = tmp_path / "keys"
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    crypto.forget_key()
    submit("+380 50 111-11-11")
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()  # the old key forgotten
    crypto.forget_key()
    assert main(["keys", "rotate"]) == 1
    assert "is the old key still listed" in capsys.readouterr().err
