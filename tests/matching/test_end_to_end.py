"""Two families ask about one man through the public form; linkage proposes the pair in the worker; a
caseworker (signed in with password and TOTP) merges them over HTTP, then undoes the merge."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from kinlink.matching.models import CandidateLink, PersonMerge
from kinlink.registry.models import AuditEntry, TracingRequest
from tests.portal.portal_world import World, build_world, request_form_token, signed_in_client


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def _family_request(
    world: World, capture: Any, enquirer: str, relationship: str, contact: str
) -> TracingRequest:
    """A family's request through the public form, as a browser sends it; on commit, the linkage task
    runs (the immediate backend stands for the worker)."""
    client = Client()
    data = {
        "surname": "Коваленко",
        "given_name": "Андрей",
        "patronymic": "Викторович",
        "sex": "M",
        "birth_date": "11.02.1985",
        "birth_place": "Полтава",
        "unit": "в/ч 54321",
        "last_contact": "03.2022",
        "last_known_place": "Изюм",
        "circumstances": "Связь пропала в конце марта.",
        "enquirer_name": enquirer,
        "relationship": relationship,
        "contact": contact,
        "consent_organisations": [world.a.org.pk],
    }
    data["form_token"] = request_form_token(client)
    with capture(execute=True):
        response = client.post("/ru/request/new", data)
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    number = re.search(r'id="request-number">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    return TracingRequest.objects.select_related("person").get(number=number)


def _state(request: TracingRequest) -> dict[str, Any]:
    person = request.person
    person.refresh_from_db()
    return {
        "merged_into": person.merged_into_id,
        "requests": sorted(person.tracing_requests.values_list("number", flat=True)),
        "names": sorted(person.names.values_list("pk", "is_primary")),
    }


def test_two_requests_for_one_man_are_linked_merged_and_unmerged(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    mother = _family_request(
        world, django_capture_on_commit_callbacks, "Коваленко Галина", "mother", "+7 900 1"
    )
    assert not CandidateLink.objects.exists()  # no one like him in the registry yet
    wife = _family_request(world, django_capture_on_commit_callbacks, "Коваленко Ольга", "wife", "+7 900 2")
    before = {"mother": _state(mother), "wife": _state(wife)}

    link = CandidateLink.objects.get()
    assert {link.person_a_id, link.person_b_id} == {mother.person_id, wife.person_id}
    assert link.status == CandidateLink.Status.PROPOSED and link.match_probability >= 0.99

    caseworker = signed_in_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    queue = caseworker.get("/en/staff/links/").content.decode()
    assert f"/en/staff/links/{link.pk}/" in queue and "Коваленко" in queue
    # Another organisation's caseworker sees neither request, so not the link either.
    other = signed_in_client(world.b.users["caseworker"], world.b.devices["caseworker"])
    assert f"/en/staff/links/{link.pk}/" not in other.get("/en/staff/links/").content.decode()

    response = caseworker.post(f"/en/staff/links/{link.pk}/accept", {"reason": "same name, birth date, unit"})
    assert response.status_code == 302
    merge = PersonMerge.objects.get()
    assert merge.keep_id == mother.person_id and merge.merged_id == wife.person_id
    assert _state(mother)["requests"] == sorted([mother.number, wife.number])
    assert _state(wife)["merged_into"] == mother.person_id

    page = caseworker.get(f"/en/staff/links/{link.pk}/").content.decode()
    assert f"/en/staff/merges/{merge.pk}/undo" in page
    assert other.post(f"/en/staff/merges/{merge.pk}/undo", {"undo-reason": "x"}).status_code == 404
    assert caseworker.post(f"/en/staff/merges/{merge.pk}/undo", {"undo-reason": " "}).status_code == 400
    response = caseworker.post(
        f"/en/staff/merges/{merge.pk}/undo", {"undo-reason": "the wife's husband is a namesake"}
    )
    assert response.status_code == 302 and response["Location"] == f"/en/staff/links/{link.pk}/"

    assert {"mother": _state(mother), "wife": _state(wife)} == before
    merge.refresh_from_db()
    link.refresh_from_db()
    assert merge.undone_at is not None and merge.undo_reason == "the wife's husband is a namesake"
    assert merge.undone_by == world.a.users["caseworker"]
    assert link.status == CandidateLink.Status.UNDONE
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"accept_link", "merge_person", "unmerge_person"} <= actions
    page = caseworker.get(f"/en/staff/links/{link.pk}/").content.decode()
    assert "the wife&#x27;s husband is a namesake" in page and f"/en/staff/merges/{merge.pk}/undo" not in page
    # Undone twice: refused, nothing changes.
    again = caseworker.post(f"/en/staff/merges/{merge.pk}/undo", {"undo-reason": "again"})
    assert again.status_code == 302 and {"mother": _state(mother), "wife": _state(wife)} == before
