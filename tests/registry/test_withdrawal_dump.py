"""Withdrawn data is unreadable, in the live database and in a dump taken before the withdrawal (issue 17).

The database is copied before the family withdraws (SQLite: an online copy of the file; PostgreSQL:
``pg_dump``); the family withdraws on the follow page, ``kinlink retention run`` runs; then the earlier
copy's ciphertext of the request opens with nothing the instance still holds (the operator's keys, every
data key in the key store), and the live database and the attachment store hold none of the request's
personal data.
"""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from kinlink.cli import main
from kinlink.registry import crypto
from kinlink.registry.actions import submit_tracing_request
from kinlink.registry.models import DataKey, TracingRequest
from kinlink.registry.services.family_intake import FamilyRequest, UploadedFile


def photo() -> bytes:
    """A real photo (uploads are re-encoded without their metadata)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (120, 90, 60)).save(out, format="PNG")
    return out.getvalue()


PERSONAL = (
    "Гордиенко Людмила Степановна",  # the enquirer
    "+380 67 555 12 34",  # her contact
    "Последний звонок с позиций у Бахмута",  # testimony
    "Гордиенко",  # the missing man's surname
    "Тарас",  # his given name
    "Кременчуг",  # his birth place
    "в/ч А4321",  # his unit
)
ENVELOPE = re.compile(r"kl1:([0-9a-f]{32}):([A-Za-z0-9_\-=]+)")


def dump_database(out: Path) -> str:
    """The whole database as SQL text, as a backup would hold it."""
    if connection.vendor == "sqlite":
        copy = out.with_suffix(".sqlite3")
        source = sqlite3.connect(str(connection.settings_dict["NAME"]))
        target = sqlite3.connect(str(copy))
        with target:
            source.backup(target)
        source.close()
        text = "\n".join(target.iterdump())
        target.close()
        return text
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    command = [
        "pg_dump",
        "--no-owner",
        "-h",
        str(db.get("HOST") or "127.0.0.1"),
        "-p",
        str(db.get("PORT") or 5432),
    ]
    if db.get("USER"):
        command += ["-U", str(db["USER"])]
    command.append(str(db["NAME"]))
    text = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    out.write_text(text, encoding="utf-8")
    return text


def keys_the_instance_holds() -> list[Fernet]:
    """The operator's keys and every data key left in the key store, unwrapped."""
    held = list(crypto.operator_keys()._fernets)
    for path in sorted(Path(django_settings.KINLINK_KEY_DIR).glob("*.key")):
        held.append(Fernet(crypto.unwrap(path.read_text(encoding="ascii"))))
    return held


@pytest.mark.django_db(transaction=True)  # real commits: the dump sees the rows, files go on commit
def test_a_withdrawn_request_is_unreadable_even_in_an_earlier_dump(
    settings: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.KINLINK_KEY_DIR = tmp_path / "keys"
    crypto.forget_key()
    request, code = submit_tracing_request(
        FamilyRequest(
            surname="Гордиенко",
            given_name="Тарас",
            birth_date="1989-11-02",
            birth_place="Кременчуг",
            unit="в/ч А4321",
            last_known_place="Бахмут",
            circumstances="Последний звонок с позиций у Бахмута",
            enquirer_name="Гордиенко Людмила Степановна",
            relationship="mother",
            contact="+380 67 555 12 34",
            consent_dna=True,
            photos=[UploadedFile("taras.png", photo())],
        )
    )
    key = DataKey.objects.get(pk=request.data_key_id)
    before = dump_database(tmp_path / "before.sql")
    # the earlier dump holds the request's ciphertext, and today it opens: the test can fail
    sealed = [token for key_hex, token in ENVELOPE.findall(before) if key_hex == key.key_id.hex]
    assert len(sealed) >= 2
    opened = {crypto.decrypt_text(f"kl1:{key.key_id.hex}:{token}") for token in sealed}
    assert {"Гордиенко Людмила Степановна", "+380 67 555 12 34"} <= opened
    stored_files = [p for p in settings.ATTACHMENT_ROOT.rglob("*") if p.is_file()]
    assert stored_files

    family = Client()
    assert family.post("/ru/request/follow", {"number": request.number, "code": code}).status_code == 302
    response = family.post("/ru/request/follow/withdraw/request", {"request-confirm": "on"})
    assert response.status_code == 302
    assert main(["retention", "run"]) == 0
    capsys.readouterr()

    # 1. the earlier dump's ciphertext opens with nothing the instance still holds
    key.refresh_from_db()
    assert key.shredded_at is not None
    held = keys_the_instance_holds()
    assert held  # the operator's key, other requests' and organisations' keys are all still here
    for token in sealed:
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt_text(f"kl1:{key.key_id.hex}:{token}")
        for fernet in held:
            with pytest.raises(InvalidToken):
                fernet.decrypt(token.encode("ascii"))

    # 2. the live database holds none of the request's personal data, in clear or under its key
    after = dump_database(tmp_path / "after.sql")
    for text in PERSONAL:
        assert text in before or text in opened  # what the family gave was there ...
        assert text not in after, text  # ... and is gone
    assert not [t for k, t in ENVELOPE.findall(after) if k == key.key_id.hex]
    assert TracingRequest.objects.get(pk=request.pk).withdrawn_at is not None

    # 3. nor does the attachment store: the photo's file is gone, and no other file is left
    assert not any(p.exists() for p in stored_files)
    assert not [p for p in settings.ATTACHMENT_ROOT.rglob("*") if p.is_file()]
