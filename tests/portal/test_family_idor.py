"""IDOR probes on the family's pages: altered request numbers and access codes, another family's documents.

A wrong number, a wrong code, another family's code, a number one off: each gets the same answer as a
number that does not exist, opens nothing, and never shows another family's data.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from kinlink.documents.actions import issue_document, release_document
from kinlink.documents.models import IssuedDocument
from kinlink.matching.actions import merge_persons
from kinlink.portal.roles import FAMILY_SESSION_KEY
from kinlink.registry import actions
from kinlink.registry.services.family_intake import FamilyRequest
from tests.portal.portal_world import World, build_world, family_client


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def _one_off(number: str) -> str:
    """The request number with its last character changed (the next or previous request's, often)."""
    last = number[-1]
    return number[:-1] + ("0" if last != "0" else "1")


def _altered_pairs(world: World) -> dict[str, tuple[str, str]]:
    a, b = world.a, world.b
    return {
        "another family's code": (a.request.number, b.code),
        "another family's number": (b.request.number, a.code),
        "a number one off": (_one_off(a.request.number), a.code),
        # another character of the alphabet: an "x" for a code ending in "X" is the same code (case ignored)
        "a code one off": (a.request.number, a.code[:-1] + ("Y" if a.code[-1].upper() != "Y" else "Z")),
        "a code cut short": (a.request.number, a.code[:-1]),
        "an empty-looking code": (a.request.number, "%20"),
        "a number that exists nowhere": ("TR-9999-999999", a.code),
    }


def _signed_in(client: Client) -> bool:
    return FAMILY_SESSION_KEY in client.session


def test_altered_numbers_and_codes_in_the_private_link_open_nothing_and_say_the_same(world: World) -> None:
    b_private = ["Private news for family B only", world.b.request.contact]
    answers = set()
    for what, (number, code) in _altered_pairs(world).items():
        cache.clear()  # below the wrong-code limit each time: the answer, not the lockout, is compared
        client = Client()
        response = client.get(reverse("portal:follow_link", kwargs={"number": number, "code": code}))
        assert response.status_code == 302 and response["Location"].endswith("/request/follow"), what
        assert not _signed_in(client), what
        page = client.get(response["Location"])
        text = page.content.decode()
        assert not [s for s in b_private if s in text], what
        # the retired link with the code in its address checks nothing: every pair gets the same answer
        assert "Links with the access code in them no longer work." in text, what
        answers.add((page.status_code, "request-number" in text))
    assert len(answers) == 1, answers


def test_altered_numbers_and_codes_in_the_form_open_nothing_and_say_the_same(world: World) -> None:
    answers = set()
    for what, (number, code) in _altered_pairs(world).items():
        cache.clear()
        client = Client()
        response = client.post(reverse("portal:follow"), {"number": number, "code": code})
        text = response.content.decode()
        assert response.status_code == 200 and not _signed_in(client), what
        assert "The request number or the access code is not right." in text, what
        assert world.b.request.contact not in text and "Private news for family B only" not in text
        answers.add(response.status_code)
    assert answers == {200}


def test_a_family_downloads_its_released_documents_only(world: World) -> None:
    a, b = world.a, world.b
    released_a = issue_document("certificate", a.case, "en", user=None)
    release_document(released_a, None)
    kept_a = issue_document("certificate", a.case, "ru", user=None)  # not released to the family
    released_b = issue_document("certificate", b.case, "en", user=None)
    release_document(released_b, None)
    client = family_client(a)
    url = lambda document: reverse("documents:download", kwargs={"number": document.number})  # noqa: E731
    assert client.get(url(released_a)).status_code == 200
    missing = client.get(reverse("documents:download", kwargs={"number": "KL-C-2026-ZZZZZZZZZZ"}))
    assert missing.status_code == 404
    for document in (kept_a, released_b):
        response = client.get(url(document))
        assert response.status_code == 404, document.number  # exactly as a number never issued
        assert not response.streaming
    assert IssuedDocument.objects.count() == 3


def test_another_family_of_the_same_person_does_not_get_the_first_familys_document(world: World) -> None:
    a = world.a
    document = issue_document("certificate", a.case, "en", user=None)
    release_document(document, None)
    other_request, other_code = actions.submit_tracing_request(
        FamilyRequest(
            surname="Иванов",
            given_name="Сергей",
            sex="M",
            birth_date="1998-04-17",
            relationship="brother",
            contact="+7 900 111 11 11",
            enquirer_name="Brother of the soldier",
            consent_organisations=[world.b.org],
        )
    )
    # the two requests name one man: a caseworker of B accepts the link, the persons are merged
    merge_persons(None, a.person, other_request.person, reason="same man")
    other_request.refresh_from_db()
    assert other_request.person_id == a.person.pk
    cache.clear()
    client = Client()
    assert (
        client.post("/en/request/follow", {"number": other_request.number, "code": other_code}).status_code
        == 302
    )
    response = client.get(reverse("documents:download", kwargs={"number": document.number}))
    assert response.status_code == 404


def test_the_family_session_cannot_be_pointed_at_another_request(world: World, settings: Any) -> None:
    """The session stores the request the code opened; a second sign-in with a wrong code keeps it, and
    signing in as B replaces it (never both)."""
    client = family_client(world.a)
    response = client.post("/en/request/follow", {"number": world.b.request.number, "code": world.a.code})
    assert response.status_code == 200
    assert client.session[FAMILY_SESSION_KEY] == world.a.request.pk
    page = client.get("/en/request/follow").content.decode()
    assert "Private news for family B only" not in page
