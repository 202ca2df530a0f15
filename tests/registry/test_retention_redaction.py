"""Retention may blank the personal columns of append-only rows, and nothing else (PostgreSQL's trigger)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Claim
from kinlink.registry.services.retention import redact_claims, redacting

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
    ),
]


@pytest.fixture
def claim() -> Claim:
    person = actions.add_person(None, names=[{"surname": "Шевчук", "given_name": "Олег"}], reason="test")
    source = actions.add_source(None, kind="testimony", name="Comrade", date="2022-04-01")
    return actions.add_claim(
        None, person, source, fate="dead", date="2022-03-30", place="Гостомель", circumstances="Видел сам"
    )


def _refused(sql: str, params: list[Any]) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        redacting(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_redaction_blanks_what_a_claim_said_and_nothing_else(claim: Claim) -> None:
    with transaction.atomic():
        redact_claims([claim.pk])
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.circumstances, stored.place) == ("", "")
    assert (stored.fate, stored.date, stored.person_id) == ("dead", "2022-03-30", claim.person_id)
    # even while redacting, the rest of the row and every delete stay refused
    _refused("UPDATE registry_claim SET fate = 'alive' WHERE id = %s", [claim.pk])
    _refused("UPDATE registry_claim SET circumstances = '', date = '2020' WHERE id = %s", [claim.pk])
    _refused("DELETE FROM registry_claim WHERE id = %s", [claim.pk])
    entry = AuditEntry.objects.first()
    assert entry is not None
    _refused("UPDATE registry_auditentry SET action = 'x', detail = '{}' WHERE id = %s", [entry.pk])
    _refused("DELETE FROM registry_auditentry WHERE id = %s", [entry.pk])


def test_without_redacting_even_the_personal_columns_stay(claim: Claim) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE registry_claim SET circumstances = '' WHERE id = %s", [claim.pk])
    assert Claim.objects.get(pk=claim.pk).circumstances == "Видел сам"
