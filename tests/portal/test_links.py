"""The candidate-link review queue: side-by-side comparison, accept (merge), reject, and access."""

from __future__ import annotations

from django.test import Client

from kinlink.matching.models import CandidateLink
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Person
from tests.portal.portal_world import Side, World, verified_client

EXPLANATION = [
    {"field": "surname", "status": "agree", "level": "Exact match on surname_key", "match_weight": 6.25},
    {"field": "given name", "status": "agree", "level": "Exact match on given_key", "match_weight": 4.5},
    {"field": "patronymic", "status": "missing", "level": "patronymic missing", "match_weight": 0.0},
    {"field": "birth date", "status": "agree", "level": "exact date", "match_weight": 8.75},
    {"field": "birth place", "status": "disagree", "level": "All other comparisons", "match_weight": -1.5},
    {"field": "unit", "status": "missing", "level": "unit_key is NULL", "match_weight": 0.0},
    {"field": "event date", "status": "missing", "level": "event_date is NULL", "match_weight": 0.0},
    {"field": "event place", "status": "missing", "level": "event_place_key is NULL", "match_weight": 0.0},
]


def _listed_duplicate(side: Side) -> CandidateLink:
    """A prisoner-list record (no case: only linkage knows it) that may be the side's person."""
    prisoners = actions.add_source(None, kind="prisoner_list", name="Prisoners 2022", reference="list")
    listed = actions.add_person(
        None,
        names=[{"full_name": "Ivanov Sergei", "script": "Latn", "source": prisoners, "is_primary": True}],
        reason="prisoner list",
        birth_date="1998-04-17",
        birth_place="Kursk",
    )
    actions.add_claim(None, listed, prisoners, fate="detained", date="2022-04-02")
    # direct write: a candidate with these exact figures (linkage computes its own)
    return CandidateLink.objects.create(
        person_a=side.person,
        person_b=listed,
        match_probability=0.987,
        match_weight=17.0,
        explanation=EXPLANATION,
        fingerprint="f" * 64,
    )


def _caseworker(side: Side) -> Client:
    return verified_client(side.users["caseworker"], side.devices["caseworker"])


def test_queue_and_side_by_side_comparison(world: World) -> None:
    link = _listed_duplicate(world.a)
    client = _caseworker(world.a)
    queue = client.get("/en/staff/links/").content.decode()
    assert f"/en/staff/links/{link.pk}/" in queue and "0.987" in queue
    home = client.get("/en/staff/").content.decode()
    assert f"/en/staff/links/{link.pk}/" in home
    page = client.get(f"/en/staff/links/{link.pk}/").content.decode()
    for text in ("Иванов", "Ivanov Sergei", "Prisoners 2022", "1998-04-17", "Kursk", "8.75", "-1.50"):
        assert text in page, text
    for label in ("Date of birth", "Place of birth", "Rank", "agree", "disagree", "missing", "not compared"):
        assert label in page, label
    assert 'name="csrfmiddlewaretoken"' in page
    assert f"/en/staff/links/{link.pk}/accept" in page and f"/en/staff/links/{link.pk}/reject" in page
    assert AuditEntry.objects.filter(action="view_link", object_id=str(link.pk)).exists()
    russian = client.get(f"/ru/staff/links/{link.pk}/").content.decode()
    assert "Дата рождения" in russian and "Принять и объединить" in russian


def test_foreign_organisation_gets_404_and_an_empty_queue(world: World) -> None:
    link = _listed_duplicate(world.a)
    client = _caseworker(world.b)
    assert client.get(f"/en/staff/links/{link.pk}/").status_code == 404
    assert client.post(f"/en/staff/links/{link.pk}/accept", {"reason": "x"}).status_code == 404
    assert client.post(f"/en/staff/links/{link.pk}/reject", {"reason": "x"}).status_code == 404
    assert f"/en/staff/links/{link.pk}/" not in client.get("/en/staff/links/").content.decode()
    link.refresh_from_db()
    assert link.status == CandidateLink.Status.PROPOSED
    lab = verified_client(world.a.users["lab_analyst"], world.a.devices["lab_analyst"])
    assert lab.get(f"/en/staff/links/{link.pk}/").status_code == 403


def test_accept_merges_and_redirects_to_the_kept_person(world: World) -> None:
    link = _listed_duplicate(world.a)
    client = _caseworker(world.a)
    response = client.post(f"/en/staff/links/{link.pk}/accept", {"reason": "same date and place of birth"})
    assert response.status_code == 302 and response["Location"] == f"/en/staff/persons/{world.a.person.pk}/"
    link.refresh_from_db()
    assert link.status == CandidateLink.Status.ACCEPTED and link.decided_by == world.a.users["caseworker"]
    assert Person.objects.get(pk=link.person_b_id).merged_into_id == world.a.person.pk
    page = client.get(f"/en/staff/persons/{world.a.person.pk}/").content.decode()
    assert "Ivanov Sergei" in page
    assert f"/en/staff/links/{link.pk}/" not in client.get("/en/staff/links/").content.decode()
    again = client.post(f"/en/staff/links/{link.pk}/reject", {"reason": "changed my mind"})
    assert again.status_code == 302
    link.refresh_from_db()
    assert link.status == CandidateLink.Status.ACCEPTED


def test_reject_needs_a_reason_and_is_remembered(world: World) -> None:
    link = _listed_duplicate(world.a)
    client = _caseworker(world.a)
    assert client.post(f"/en/staff/links/{link.pk}/reject", {"reason": " "}).status_code == 400
    response = client.post(
        f"/en/staff/links/{link.pk}/reject", {"reason": "the mother says he was never held"}
    )
    assert response.status_code == 302 and response["Location"] == "/en/staff/links/"
    link.refresh_from_db()
    assert link.status == CandidateLink.Status.REJECTED
    assert link.reason == "the mother says he was never held"
    assert Person.objects.get(pk=link.person_b_id).merged_into_id is None
    page = client.get(f"/en/staff/links/{link.pk}/").content.decode()
    assert "the mother says he was never held" in page and "/accept" not in page
    assert client.get(f"/en/staff/links/{link.pk}/accept").status_code == 405
