"""The anonymous pages served from the cache (portal.publiccache): no query, no session, and every visitor's
tokens their own."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from kinlink.portal import formtokens
from kinlink.portal.publiccache import CSRF_SLOT, FORM_TOKEN_SLOT, is_anonymous_visitor
from kinlink.registry.models import Organisation
from tests.portal.portal_world import World, family_client

PUBLIC_PAGES = ("/ru/", "/en/", "/ru/request/new", "/uk/request/new", "/ru/request/follow")
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_an_anonymous_page_makes_no_query_and_starts_no_session(world: World, path: str) -> None:
    Client().get(path)  # the first visitor's page is rendered (the form reads the organisations)
    sessions = Session.objects.count()
    for _visitor in range(3):
        with CaptureQueriesContext(connection) as queries:
            response = Client().get(path)
        assert response.status_code == 200
        assert [q["sql"] for q in queries.captured_queries] == []
        assert "sessionid" not in response.cookies
        page = response.content.decode()
        assert CSRF_SLOT not in page and FORM_TOKEN_SLOT not in page
    assert Session.objects.count() == sessions


@pytest.mark.parametrize("path", ["/ru/request/new", "/ru/request/follow"])
def test_each_visitor_gets_a_csrf_token_of_their_own_cookie(world: World, path: str) -> None:
    visitors = [Client(enforce_csrf_checks=True) for _ in range(3)]
    secrets = set()
    for visitor in visitors:
        response = visitor.get(path)
        masked = _CSRF_FIELD.findall(response.content.decode())
        assert len(masked) == 1
        cookie = response.cookies["csrftoken"].value
        assert _unmask_cipher_token(masked[0]) == cookie  # the page's token is this visitor's own
        secrets.add(cookie)
    assert len(secrets) == len(visitors)  # no two visitors share one


def test_each_visitor_gets_a_fresh_one_time_form_token(world: World) -> None:
    tokens = [_FORM_TOKEN.findall(Client().get("/ru/request/new").content.decode()) for _ in range(3)]
    assert all(len(found) == 1 for found in tokens)
    assert len({found[0] for found in tokens}) == 3
    assert all(formtokens.state(found[0]) is formtokens.TokenState.FRESH for found in tokens)


def test_a_form_from_the_cache_is_sent_with_its_tokens(world: World) -> None:
    """A browser that got the cached form sends it back with its CSRF token and form token: accepted."""
    Client().get("/ru/request/new")  # filled by another visitor
    family = Client(enforce_csrf_checks=True)
    page = family.get("/ru/request/new").content.decode()
    answer = family.post(
        "/ru/request/new",
        {
            "csrfmiddlewaretoken": _CSRF_FIELD.findall(page)[0],
            "form_token": _FORM_TOKEN.findall(page)[0],
            "surname": "Кешев",
            "given_name": "Иван",
            "sex": "M",
            "relationship": "mother",
            "enquirer_name": "Кешева Анна",
            "contact": "+7 900 000 11 22",
            "consent_organisations": [world.a.org.pk],
        },
    )
    assert answer.status_code == 200
    assert 'id="request-number"' in answer.content.decode()
    # another visitor's page (cached or not) carries neither the code nor the number just shown
    other = Client().get("/ru/request/new").content.decode()
    assert 'id="request-number"' not in other


def test_a_flash_message_is_shown_to_its_visitor_only(world: World) -> None:
    """The retired code link leaves a message for the next page: that visitor's page is rendered for them
    (never cached), and the next visitor's page has no message."""
    Client().get("/en/request/follow")  # the cached page, without a message
    visitor = Client()
    visitor.get(f"/en/request/follow/{world.a.request.number}/ABCD-EFGH")
    with_message = visitor.get("/en/request/follow").content.decode()
    assert "no longer work" in with_message
    for _ in range(2):
        assert "no longer work" not in Client().get("/en/request/follow").content.decode()


def test_a_signed_in_family_gets_its_own_page(world: World) -> None:
    Client().get("/en/request/follow")  # cached: the sign-in form
    family = family_client(world.a)
    followed = family.get("/en/request/follow").content.decode()
    assert world.a.request.number in followed  # the family's own request, not the cached sign-in form
    assert world.a.request.number not in Client().get("/en/request/follow").content.decode()


@pytest.mark.parametrize(
    ("method", "cookies", "anonymous"),
    [
        ("GET", {}, True),
        ("HEAD", {}, True),
        ("GET", {"csrftoken": "x" * 32}, True),  # a visitor who saw a form before: still nothing of theirs
        ("GET", {"sessionid": "abc"}, False),  # signed in (staff, family) or a message in the session
        ("GET", {"messages": "abc"}, False),  # a flash message waiting in its cookie
        ("POST", {}, False),
    ],
)
def test_who_gets_the_cached_page(method: str, cookies: dict[str, str], anonymous: bool) -> None:
    request = RequestFactory().generic(method, "/ru/")
    request.COOKIES.update(cookies)
    assert is_anonymous_visitor(request) is anonymous


def test_a_new_organisation_appears_on_the_cached_form(world: World) -> None:
    assert "Поисковый отряд Новый" not in Client().get("/ru/request/new").content.decode()
    Organisation.objects.create(name="Поисковый отряд Новый", slug="new-search")
    assert "Поисковый отряд Новый" in Client().get("/ru/request/new").content.decode()
