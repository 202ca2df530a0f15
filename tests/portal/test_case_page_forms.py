"""The case page's small forms (task, note, event, update, message): an empty form's fields are a cached
fragment shared by every case and reader, and a form sent back with errors shows them to its sender only."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation

from kinlink.registry.models import CaseTask, Event
from tests.portal.portal_world import World, verified_client


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _task_form(html: str) -> str:
    found = re.search(r'<form method="post" action="[^"]*/tasks/add/?"[^>]*>(.*?)</form>', html, re.S)
    assert found, "the task form is on the page"
    return found.group(1)


def test_a_refused_task_shows_its_error_and_the_next_page_an_empty_form(world: World) -> None:
    a = world.a
    client = verified_client(a.users["caseworker"], a.devices["caseworker"])
    case_url = reverse("portal:case", kwargs={"pk": a.case.pk})
    empty = _task_form(client.get(case_url).content.decode())
    assert "This field is required" not in empty

    refused = client.post(reverse("portal:case_add_task", kwargs={"pk": a.case.pk}), {"title": ""})
    assert refused.status_code == 400
    assert "This field is required" in _task_form(refused.content.decode())
    assert not CaseTask.objects.filter(case=a.case).exists()

    # the cached empty fields were not touched by the refused form, and the other side's page has the same
    again = _task_form(client.get(case_url).content.decode())
    assert "This field is required" not in again
    other = verified_client(world.b.users["caseworker"], world.b.devices["caseworker"])
    theirs = other.get(reverse("portal:case", kwargs={"pk": world.b.case.pk})).content.decode()
    assert _fields_only(_task_form(theirs)) == _fields_only(again)


def test_an_event_added_appears_in_the_link_form_at_once(world: World) -> None:
    a = world.a
    client = verified_client(a.users["caseworker"], a.devices["caseworker"])
    case_url = reverse("portal:case", kwargs={"pk": a.case.pk})
    assert "Штурм высоты 312" not in client.get(case_url).content.decode()
    event = Event.objects.create(name="Штурм высоты 312", date="2023-02-11")
    page = client.get(case_url).content.decode()
    assert f'<option value="{event.pk}">Штурм высоты 312</option>' in page


def test_the_case_page_is_russian_in_russian(world: World) -> None:
    a = world.a
    client = verified_client(a.users["caseworker"], a.devices["caseworker"])
    english = _task_form(client.get(reverse("portal:case", kwargs={"pk": a.case.pk})).content.decode())
    with translation.override("ru"):
        url = reverse("portal:case", kwargs={"pk": a.case.pk})
    russian = _task_form(client.get(url).content.decode())
    assert english != russian and "Задача" in russian


def _fields_only(form_html: str) -> str:
    """The form's fields without its CSRF token (each page gets its own)."""
    return re.sub(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">', "", form_html)
