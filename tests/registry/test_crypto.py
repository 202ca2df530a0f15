"""Envelope encryption: a data key per tracing request, wrapped by the operator's key, kept outside the
database; shredding it makes the request's ciphertext unreadable for ever."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from kinlink.registry import actions, crypto
from kinlink.registry.models import AuditEntry, DataKey, TracingRequest

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
