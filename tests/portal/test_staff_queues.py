"""The caseworker's home shows each queue as a short list (``HOME_LIST_LIMIT`` rows) with its real count and a
link to the whole queue, which is paged (``QUEUE_PAGE_SIZE`` rows a page). The home's queues are a cached
fragment per organisation, language and data version: another organisation never sees them, and a change
made through an action shows at once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kinlink.portal import staff
from kinlink.registry import actions
from kinlink.registry.models import Case
from kinlink.registry.services.family_intake import FamilyRequest
from tests.portal.portal_world import Side, World, verified_client


def _open_cases(side: Side, count: int) -> list[Case]:
    """``count`` families' requests to ``side``'s organisation, each with a case opened on it."""
    cases = []
    for i in range(count):
        request, _code = actions.submit_tracing_request(
            FamilyRequest(
                surname=f"Queue{i:02d}",
                given_name="Иван",
                sex="M",
                birth_date="1990",
                relationship="mother",
                contact=f"+7 900 {i:07d}",
                enquirer_name=f"Mother {i}",
                consent_organisations=[side.org],
            )
        )
        cases.append(actions.open_case(None, request.person, side.org))
    return cases


def _section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def _client(side: Side) -> Client:
    return verified_client(side.users["caseworker"], side.devices["caseworker"])


def test_home_lists_the_newest_of_each_queue_and_links_to_the_whole_queue(world: World) -> None:
    opened = _open_cases(world.a, staff.HOME_LIST_LIMIT + 3)
    total = Case.objects.filter(organisation=world.a.org, status=Case.Status.OPEN).count()
    page = _client(world.a).get("/en/staff/").content.decode()
    cases = _section(page, "q-cases")
    assert f"Open cases ({total})" in cases
    shown = re.findall(r'/staff/cases/(\d+)/"', cases)
    assert len(shown) == staff.HOME_LIST_LIMIT
    assert [int(pk) for pk in shown] == [c.pk for c in reversed(opened)][: staff.HOME_LIST_LIMIT]
    assert f"The newest {staff.HOME_LIST_LIMIT} of {total} are shown." in cases
    assert 'href="/en/staff/queues/cases/">See the whole queue</a>' in cases
    requests = _section(page, "q-requests")
    assert len(re.findall(r"/staff/requests/\d+/", requests)) == staff.HOME_LIST_LIMIT
    assert 'href="/en/staff/queues/requests/"' in requests


def test_a_short_queue_has_no_link_to_more(world: World) -> None:
    page = _client(world.a).get("/en/staff/").content.decode()
    assert "See the whole queue" not in _section(page, "q-cases")
    assert world.a.case.number in _section(page, "q-cases")


def test_the_whole_queue_is_paged(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(staff, "QUEUE_PAGE_SIZE", 5)
    _open_cases(world.a, 6)  # with the world's own case: 7 open cases, pages of 5 and 2
    client = _client(world.a)
    first = client.get("/en/staff/queues/cases/").content.decode()
    assert "<h1>Open cases (7)</h1>" in first
    assert len(re.findall(r'/staff/cases/\d+/"', first)) == 5
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    second = client.get("/en/staff/queues/cases/?page=2").content.decode()
    assert len(re.findall(r'/staff/cases/\d+/"', second)) == 2 and world.a.case.number in second
    assert client.get("/en/staff/queues/cases/?page=x").status_code == 200


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("requests", "New tracing requests"),
        ("messages", "Messages from families"),
        ("claims", "New claims"),
        ("cases", "Open cases"),
    ],
)
def test_every_queue_has_its_page(world: World, queue: str, expected: str) -> None:
    actions.send_message(None, world.a.request, "Any news?", from_family=True)
    page = _client(world.a).get(f"/en/staff/queues/{queue}/").content.decode()
    assert f"<h1>{expected} (" in page
    assert "This queue is empty." not in page or queue == "claims"


def test_unknown_queue_and_other_roles_are_refused(world: World) -> None:
    assert _client(world.a).get("/en/staff/queues/persons/").status_code == 404
    lab = verified_client(world.a.users["lab_analyst"], world.a.devices["lab_analyst"])
    assert lab.get("/en/staff/queues/cases/").status_code == 403
    assert Client().get("/en/staff/queues/cases/").status_code == 302


def test_another_organisation_never_sees_the_queues_of_the_first(world: World) -> None:
    a_page = _client(world.a).get("/en/staff/").content.decode()  # the fragment of a's organisation
    assert world.a.case.number in a_page
    b_client = _client(world.b)
    b_page = b_client.get("/en/staff/").content.decode()
    assert world.a.case.number not in b_page and world.b.case.number in b_page
    b_queue = b_client.get("/en/staff/queues/cases/").content.decode()
    assert world.a.case.number not in b_queue and world.b.case.number in b_queue


def test_home_is_served_from_its_fragment_and_renewed_by_any_change(world: World) -> None:
    client = _client(world.a)
    client.get("/en/staff/")
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/en/staff/").content.decode()
    assert len(captured.captured_queries) <= 8  # the session and the sign-in's, the reader's organisations
    assert world.a.case.number in _section(page, "q-cases")
    (opened,) = _open_cases(world.a, 1)  # an action's write: the next view shows it
    page = client.get("/en/staff/").content.decode()
    assert opened.number in _section(page, "q-cases")


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_queue_pages_are_translated(world: World, language: str) -> None:
    _open_cases(world.a, staff.HOME_LIST_LIMIT)
    client = _client(world.a)
    home = client.get(f"/{language}/staff/").content.decode()
    queue = client.get(f"/{language}/staff/queues/cases/").content.decode()
    empty = client.get(f"/{language}/staff/queues/messages/").content.decode()
    for english in ("See the whole queue", "The newest", "Open cases", "This queue is empty."):
        assert english not in home + queue + empty
    words = {"ru": ("Вся очередь", "Открытые дела"), "uk": ("Уся черга", "Відкриті справи")}[language]
    assert words[0] in home and words[1] in queue


def test_new_claims_are_those_on_the_persons_the_reader_sees(world: World) -> None:
    """``_new_claims`` matches the claims' persons in the visibility subqueries (a plan PostgreSQL cannot
    turn into a nested loop over every visible person): the same claims as ``persons_visible_to``."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from kinlink.registry.models import Claim, SourceKind
    from kinlink.registry.services.access import persons_visible_to

    since = timezone.now() - dt.timedelta(days=staff.QUEUE_DAYS)
    admin = get_user_model().objects.create_superuser("queues-root", "root@example.org", "x" * 20)
    for user in (world.a.users["caseworker"], world.b.users["caseworker"], admin):
        expected = set(
            Claim.objects.filter(person__in=persons_visible_to(user), created__gte=since)
            .exclude(source__kind=SourceKind.FAMILY_REPORT)
            .values_list("pk", flat=True)
        )
        assert set(staff._new_claims(user, since).values_list("pk", flat=True)) == expected
    a_claims = set(staff._new_claims(world.a.users["caseworker"], since).values_list("pk", flat=True))
    assert world.a.claim.pk in a_claims and world.b.claim.pk not in a_claims
