"""The API's person listing built from plain rows: the same answer as one person's, a bounded number of
queries per page, its read audited; a token's last use written once a minute, not on every request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kinlink.api.models import ApiToken
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Organisation
from kinlink.registry.services.family_intake import FamilyRequest

pytestmark = pytest.mark.django_db


def _request(org: Organisation, surname: str, other_names: tuple[str, ...] = ()) -> Any:
    request, _code = actions.submit_tracing_request(
        FamilyRequest(
            surname=surname,
            given_name="Алексей",
            other_names=list(other_names),
            sex="M",
            relationship="mother",
            contact="+7 900 000-00-00",
            enquirer_name="Мария",
            consent_organisations=[org],
        )
    )
    return request


@pytest.fixture
def org(db: Any) -> Organisation:
    return Organisation.objects.create(name="Поиск", slug="poisk")


def _get(path: str, token: str) -> Any:
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_listing_answers_each_person_as_the_person_endpoint_does(org: Organisation) -> None:
    first = _request(org, "Кузнецов", other_names=("Kuznetsov Aleksei", "Kusnezow Alexej"))
    second = _request(org, "Петренко")
    _row, token = ApiToken.issue(org, "reader", ["read:cases"])
    listed = _get("/api/v1/persons", token).json()
    assert [p["uid"] for p in listed] == [str(first.person.uid), str(second.person.uid)]
    for person in listed:
        assert _get(f"/api/v1/persons/{person['uid']}", token).json() == person
    # every name, in the order the registry recorded them
    names = [n["full_name"] or n["surname"] for n in listed[0]["names"]]
    assert (
        names == [n.full_name or n.surname for n in first.person.names.order_by("pk")]
        and "Kusnezow Alexej" in names
    )
    assert set(listed[0]) == {
        "uid",
        "sex",
        "birth_date",
        "birth_place",
        "service_number",
        "unit",
        "rank",
        "region",
        "names",
        "fate",
        "fate_confidence",
    }
    assert set(listed[0]["names"][0]) == {
        "full_name",
        "surname",
        "given_name",
        "patronymic",
        "script",
        "language",
    }
    audit = AuditEntry.objects.filter(action="api_read_persons", object_id="*").latest("pk")
    assert audit.detail["ids"] == [str(first.person.uid), str(second.person.uid)]


def test_a_page_costs_the_same_queries_whatever_its_size(org: Organisation) -> None:
    _request(org, "Кузнецов", other_names=("Kuznetsov Aleksei",))
    _row, token = ApiToken.issue(org, "reader", ["read:cases"])
    _get("/api/v1/persons", token)  # the token's last use is written now, not in the counted requests

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert _get("/api/v1/persons?limit=500", token).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for i in range(6):
        _request(org, f"Сидоров{i}", other_names=("Sidorov", "Sydorov"))
    queries()  # the organisation's list of ids read again after the writes (api.endpoints._paged)
    assert queries() == few


def test_a_listing_pages_the_same_rows_from_its_kept_ids_or_from_the_database(
    org: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page read by id from the organisation's kept list of ids is the page the database would give; a
    write shows on the next call; an organisation that sees too many rows is paged by the database."""
    from kinlink.api import endpoints

    for i in range(7):
        _request(org, f"Сидоров{i}", other_names=("Sidorov",))
    _row, token = ApiToken.issue(org, "reader", ["read:cases"])

    def pages() -> list[list[str]]:
        return [
            [p["uid"] for p in _get(f"/api/v1/persons?limit=3&offset={offset}", token).json()]
            for offset in (0, 3, 6, 9)
        ]

    kept = pages()
    assert [len(p) for p in kept] == [3, 3, 1, 0]
    monkeypatch.setattr(endpoints, "LISTED_IDS_MAX", 2)
    cache.clear()
    assert pages() == kept  # paged by the database: the same rows
    monkeypatch.undo()
    cache.clear()
    pages()
    _request(org, "Новиков", other_names=())
    grown = pages()
    assert [len(p) for p in grown] == [3, 3, 2, 0] and grown[:2] == kept[:2]


def test_a_tokens_last_use_is_written_once_a_minute(org: Organisation) -> None:
    row, token = ApiToken.issue(org, "reader", ["read:cases"])
    assert row.last_used_at is None
    _get("/api/v1/persons", token)
    row.refresh_from_db()
    first_use = row.last_used_at
    assert first_use is not None
    with CaptureQueriesContext(connection) as captured:
        _get("/api/v1/persons", token)
    assert not any(q["sql"].startswith("UPDATE") for q in captured.captured_queries)
    row.refresh_from_db()
    assert row.last_used_at == first_use
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    _get("/api/v1/persons", token)
    row.refresh_from_db()
    assert row.last_used_at is not None and timezone.now() - row.last_used_at < timedelta(seconds=30)
