"""Claims, their retractions and audit entries are append-only at every level: model instances, querysets,
the admin, and (on PostgreSQL) the database itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import Client

from kinlink.registry import actions
from kinlink.registry.models import AppendOnlyError, AuditEntry, Claim, ClaimRetraction, Person, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim() -> Claim:
    person = Person.objects.create(sex="M")
    source = actions.add_source(None, kind="unit_notice", name="Notice 1", date="2022-04-02", reliability="B")
    return actions.add_claim(None, person, source, fate="dead", date="2022-03-30")


@pytest.fixture
def retracted(claim: Claim) -> Claim:
    return actions.retract_claim(None, claim, "wrong person")


def test_querysets_refuse_update_and_delete_of_claims(claim: Claim) -> None:
    with pytest.raises(AppendOnlyError):
        Claim.objects.filter(pk=claim.pk).update(fate="alive")
    with pytest.raises(AppendOnlyError):
        Claim.objects.filter(pk=claim.pk).delete()
    with pytest.raises(AppendOnlyError):
        Claim.objects.all().delete()
    claim.fate = "alive"
    with pytest.raises(AppendOnlyError):
        Claim.objects.bulk_update([claim], ["fate"])
    with pytest.raises(AppendOnlyError):
        claim.save()
    with pytest.raises(AppendOnlyError):
        claim.delete()
    assert Claim.objects.get(pk=claim.pk).fate == "dead"


def test_querysets_refuse_update_and_delete_of_audit_entries(claim: Claim) -> None:
    assert AuditEntry.objects.filter(action="add_claim").exists()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().update(action="nothing")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    entry = AuditEntry.objects.first()
    assert entry is not None
    entry.action = "nothing"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([entry], ["action"])
    assert not AuditEntry.objects.filter(action="nothing").exists()


def test_retractions_are_append_only_too(retracted: Claim) -> None:
    with pytest.raises(AppendOnlyError):
        ClaimRetraction.objects.all().update(reason="")
    with pytest.raises(AppendOnlyError):
        ClaimRetraction.objects.all().delete()
    assert ClaimRetraction.objects.get().reason == "wrong person"


def _refused(sql: str, params: list[Any]) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger exists on PostgreSQL only; SQLite keeps the rule in the managers, "
    "since its test teardown empties tables with DELETE",
)
def test_postgresql_refuses_raw_update_and_delete(retracted: Claim) -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    _refused("UPDATE registry_claim SET fate = 'alive' WHERE id = %s", [retracted.pk])
    _refused("DELETE FROM registry_claim WHERE id = %s", [retracted.pk])
    _refused("UPDATE registry_auditentry SET action = 'x' WHERE id = %s", [entry.pk])
    _refused("DELETE FROM registry_auditentry WHERE id = %s", [entry.pk])
    _refused("DELETE FROM registry_claimretraction WHERE claim_id = %s", [retracted.pk])
    assert Claim.objects.get(pk=retracted.pk).fate == "dead"
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def _admin_client() -> Client:
    user = get_user_model().objects.create_superuser("root-admin", "root@example.org", "a-long-password-1")
    client = Client()
    client.force_login(user)
    return client


def test_admin_shows_claims_and_audit_entries_read_only(retracted: Claim) -> None:
    client = _admin_client()
    base = "/en/admin/registry"
    page = client.get(f"{base}/claim/{retracted.pk}/change/")
    assert page.status_code == 200 and "Save" not in page.content.decode()
    posted = client.post(f"{base}/claim/{retracted.pk}/change/", {"fate": "alive", "date": "2024-01-01"})
    assert posted.status_code == 403
    assert client.get(f"{base}/claim/{retracted.pk}/delete/").status_code == 403
    assert client.post(f"{base}/claim/{retracted.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}/claim/add/").status_code == 403
    entry = AuditEntry.objects.first()
    assert entry is not None
    assert client.post(f"{base}/auditentry/{entry.pk}/change/", {"action": "x"}).status_code == 403
    assert client.post(f"{base}/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert (
        client.post(f"{base}/claimretraction/{retracted.retraction.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    source = Source.objects.get()
    assert client.post(f"{base}/source/{source.pk}/change/", {"name": "changed"}).status_code == 403
    assert client.post(f"{base}/person/{retracted.person_id}/delete/", {"post": "yes"}).status_code == 403
    assert Claim.objects.get(pk=retracted.pk).fate == "dead"
    assert Source.objects.get().name == "Notice 1"


def test_a_user_who_wrote_claims_or_audit_entries_cannot_be_deleted(claim: Claim) -> None:
    user = get_user_model().objects.create_user("writer", password="a-long-password-1")
    source = Source.objects.get()
    written = actions.add_claim(user, claim.person, source, fate="missing", date="2022-05")
    assert written.created_by == user and AuditEntry.objects.filter(actor=user).exists()
    with pytest.raises(ProtectedError):
        user.delete()
    assert Claim.objects.get(pk=written.pk).created_by == user
