"""Error pages in the reader's language, with the site's header and language links."""

from __future__ import annotations

from django.test import Client, RequestFactory

from kinlink.portal.errors import server_error
from tests.portal.portal_world import World, verified_client


def _has_navigation(html: str, lang: str) -> None:
    assert f'<html lang="{lang}">' in html
    assert 'class="brand"' in html and f'href="/{lang}/"' in html
    assert 'class="langs"' in html and 'hreflang="uk"' in html and 'hreflang="en"' in html


def test_an_unknown_page_answers_in_russian_with_the_navigation(db: None) -> None:
    response = Client().get("/ru/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Страница не найдена" in html and "Page not found" not in html
    _has_navigation(html, "ru")
    assert 'href="/uk/no-such-page/"' in html  # the switcher keeps the address


def test_an_unknown_page_answers_in_ukrainian(db: None) -> None:
    html = Client().get("/uk/no-such-page/").content.decode()
    assert "Сторінку не знайдено" in html
    _has_navigation(html, "uk")


def test_a_refused_page_answers_in_russian_with_the_navigation(world: World) -> None:
    lab = verified_client(world.a.users["lab_analyst"], world.a.devices["lab_analyst"])
    response = lab.get("/ru/staff/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "У вас нет доступа к этой странице" in html and "Forbidden" not in html
    _has_navigation(html, "ru")


def test_the_server_error_page_needs_no_database_and_speaks_the_prefix_language() -> None:
    # no `db` fixture: any database access here fails the test
    response = server_error(RequestFactory().get("/uk/staff/cases/7/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Помилка на нашому боці" in html
    _has_navigation(html, "uk")
    assert 'href="/ru/staff/cases/7/"' in html


def test_a_form_refused_by_the_csrf_check_says_so_in_the_readers_language(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/uk/request/follow", {"number": "R-X", "code": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Не вдалося надіслати форму" in html
    _has_navigation(html, "uk")
