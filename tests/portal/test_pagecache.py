"""Kept pages (``portal.pagecache``): the case page served again to its reader while nothing changed,
its read audited on every view, renewed by any write to the domain (by whatever path), never kept with a
message to show, and its forms' tokens the reader's own."""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY

from kinlink.portal import fragments
from kinlink.registry.models import AuditEntry, CaseNote, CaseTask, Event, Role
from kinlink.registry.services.audit import Action
from tests.portal.portal_world import World, verified_client


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _case_url(world: World) -> str:
    return reverse("portal:case", kwargs={"pk": world.a.case.pk})


def _views(world: World) -> int:
    return AuditEntry.objects.filter(
        action=Action.VIEW_CASE, object_type="case", object_id=str(world.a.case.pk)
    ).count()


def _get(client: Client, url: str) -> tuple[int, str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, response.content.decode(), len(queries.captured_queries)


def _reader(world: World, role: str = Role.CASEWORKER, side: str = "a") -> Client:
    """A verified staff client that has been given its CSRF cookie (a page is kept for one cookie)."""
    chosen = getattr(world, side)
    client = verified_client(chosen.users[role], chosen.devices[role])
    client.get(reverse("portal:staff_home"))
    return client


def _notes(world: World) -> list[str]:
    return [note.body for note in CaseNote.objects.filter(case=world.a.case)]


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_a_case_page_viewed_again_is_kept_and_its_read_audited_each_time(world: World) -> None:
    client = _reader(world)
    url = _case_url(world)
    status, first, built = _get(client, url)
    assert status == 200 and _views(world) == 1
    status, again, kept = _get(client, url)
    assert status == 200
    assert again == first  # the same page, its tokens included (the same reader)
    assert kept < built / 2, (kept, built)
    assert _views(world) == 2  # the read is in the trail again
    entry = AuditEntry.objects.filter(action=Action.VIEW_CASE).order_by("-pk").first()
    assert entry is not None and entry.actor == world.a.users[Role.CASEWORKER]


def test_a_change_made_by_a_bulk_update_shows_on_the_next_view(world: World) -> None:
    client = _reader(world)
    url = _case_url(world)
    task = CaseTask.objects.create(case=world.a.case, title="Telephone the morgue in Rostov")
    first = _get(client, url)
    assert "Telephone the morgue in Rostov" in first[1]
    assert _get(client, url)[2] < first[2]  # kept now
    # a QuerySet.update() sends no signal: the connection's watch on the domain's writes sees it
    CaseTask.objects.filter(pk=task.pk).update(title="Telephone the morgue in Luhansk")
    page = _get(client, url)[1]
    assert "Telephone the morgue in Luhansk" in page and "Telephone the morgue in Rostov" not in page


def test_after_an_action_the_page_shows_its_message_and_the_change(world: World) -> None:
    client = _reader(world)
    url = _case_url(world)
    event = Event.objects.create(name="Battle for hill 312", date="2023-02-11")
    _get(client, url)
    _get(client, url)
    linked = client.post(
        reverse("portal:case_link_event", kwargs={"pk": world.a.case.pk}), {"event": event.pk}
    )
    assert linked.status_code == 302
    page = client.get(url).content.decode()
    assert "The event was linked." in page  # the action's message: that page was not kept
    assert "<li>Battle for hill 312 " in page  # among the linked events, not only in the list to link
    again = client.get(url).content.decode()
    assert "The event was linked." not in again  # shown once
    added = client.post(
        reverse("portal:case_add_note", kwargs={"pk": world.a.case.pk}), {"body": "Called the unit"}
    )
    assert added.status_code == 302 and _notes(world) == ["Called the unit"]
    assert "Called the unit" in client.get(url).content.decode()


def test_another_reader_gets_their_own_page_and_no_reader_sees_a_case_hidden_from_them(world: World) -> None:
    url = _case_url(world)
    caseworker = _reader(world)
    _get(caseworker, url)
    _get(caseworker, url)
    supervisor = _reader(world, Role.SUPERVISOR)
    status, theirs, _queries = _get(supervisor, url)
    assert status == 200
    assert _without_tokens(theirs) != _without_tokens(_get(caseworker, url)[1])  # the supervisor's own forms
    other = _reader(world, side="b")
    assert other.get(url).status_code == 404
    assert other.get(url).status_code == 404


def test_a_kept_pages_form_tokens_are_its_readers(world: World) -> None:
    user, device = world.a.users[Role.CASEWORKER], world.a.devices[Role.CASEWORKER]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    url = _case_url(world)
    client.get(url)  # the CSRF cookie set
    first = client.get(url).content.decode()  # built for this cookie
    kept = client.get(url).content.decode()
    assert kept == first
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', kept)
    assert token is not None
    added = client.post(
        reverse("portal:case_add_note", kwargs={"pk": world.a.case.pk}),
        {"body": "Posted from a kept page", "csrfmiddlewaretoken": token.group(1)},
    )
    assert added.status_code == 302
    assert _notes(world) == ["Posted from a kept page"]


def test_no_page_is_kept_when_the_setting_is_zero(world: World, settings: Any) -> None:
    settings.KINLINK_PAGE_CACHE_SECONDS = 0
    client = _reader(world)
    url = _case_url(world)
    _get(client, url)
    _status, _page, queries = _get(client, url)
    _status, _page, again = _get(client, url)
    assert again == queries > 15


def test_the_watch_counts_writes_to_the_domain_only(world: World) -> None:
    before = fragments.data_version()
    AuditEntry.objects.create(action="view_case", object_type="case", object_id="1")
    CaseTask.objects.filter(pk=-1).update(title="nothing")  # matched nothing: changed nothing
    assert fragments.data_version() == before
    task = CaseTask.objects.create(case=world.a.case, title="Telephone the morgue in Rostov")
    created = fragments.data_version()
    assert created > before
    CaseTask.objects.filter(pk=task.pk).update(title="Telephone the morgue in Luhansk")
    assert fragments.data_version() > created


def test_on_postgresql_another_processs_write_renews_the_page(world: World) -> None:
    """Another process's writes bump the database's sequence: a kept page is built again at once."""
    if connection.vendor != "postgresql":
        pytest.skip("the data version is a sequence on PostgreSQL only (SQLite keeps it in the cache)")
    import psycopg

    client = _reader(world)
    url = _case_url(world)
    built = _get(client, url)[2]
    assert _get(client, url)[2] < built / 2  # kept
    cfg = connection.settings_dict
    with psycopg.connect(
        dbname=cfg["NAME"],
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        autocommit=True,
    ) as other:  # what another process's Django does when it writes (fragments.bump_version)
        other.execute("SELECT nextval('kinlink_data_version')")
    assert _get(client, url)[2] >= built - 1


def test_a_page_kept_in_the_shared_cache_is_sealed(world: World, settings: Any) -> None:
    """Where the processes share the cache (files), a kept page is there only encrypted."""
    from django.core.cache import caches

    settings.KINLINK_PAGE_CACHE_SHARED = True
    client = _reader(world)
    url = _case_url(world)
    status, first, built = _get(client, url)
    assert status == 200 and world.a.person.primary_name().split()[0] in first
    kept = _get(client, url)
    assert kept[1] == first and kept[2] < built / 2
    shared = caches["default"]
    # the raw values of the in-memory stand-in for the shared files (pickled, as files hold them)
    raw = shared._cache  # type: ignore[attr-defined]
    sealed = [pickle.loads(value) for key, value in raw.items() if "kinlink:page:" in key]
    assert sealed and all(isinstance(v, bytes) for v in sealed), "the page is in the shared cache, sealed"
    surname = world.a.person.primary_name().split()[0].encode()
    assert all(surname not in v and b"<!doctype" not in v for v in sealed)


def test_the_lab_console_is_kept_and_shows_a_new_sample_at_once(world: World) -> None:
    from kinlink.identification import actions as lab_actions

    client = _reader(world, Role.LAB_ANALYST)
    url = reverse("portal:lab_home")
    client.get(url)  # the lab's CSRF cookie set (the staff home is not the lab's)
    built = _get(client, url)
    assert built[0] == 200 and "BC-kept-001" not in built[1]
    kept = _get(client, url)
    assert kept[1] == built[1] and kept[2] < built[2]
    lab_actions.register_sample(None, world.a.lab, "BC-kept-001", "reference", relationship="mother")
    assert "BC-kept-001" in _get(client, url)[1]
