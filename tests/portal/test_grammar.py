"""Texts that speak of the missing person follow the person's sex (M, F, U) in ru, uk and en."""

from __future__ import annotations

import pytest
from django.utils import translation

from kinlink.registry.fate import Message
from kinlink.registry.models import Person
from kinlink.registry.services.fate import render
from kinlink.registry.services.grammar import gendered, sex_context
from tests.portal.portal_world import World, family_client, verified_client

CONFLICT = Message(
    "{dead_source} reports him dead, but {missing_source} reports him missing.",
    {"dead_source": "A", "missing_source": "B"},
)
COURT = "A court may recognise him as missing (Civil Code art. 42: 1 year without news)"


def test_sex_contexts() -> None:
    contexts = [sex_context(s) for s in ("M", "F", "U", "", None)]
    assert contexts == ["male", "female", "unknown", "unknown", "unknown"]


@pytest.mark.parametrize(
    ("lang", "sex", "expected"),
    [
        ("ru", "M", "A сообщает о его гибели, но B считает его пропавшим без вести."),
        ("ru", "F", "A сообщает о её гибели, но B считает её пропавшей без вести."),
        ("ru", "U", "A сообщает о гибели разыскиваемого человека, но B считает его пропавшим без вести."),
        ("uk", "F", "A повідомляє про її загибель, але B вважає її зниклою безвісти."),
        ("en", "F", "A reports her dead, but B reports her missing."),
        ("en", "M", "A reports him dead, but B reports him missing."),
    ],
)
def test_fate_explanations_follow_the_sex(lang: str, sex: str, expected: str) -> None:
    with translation.override(lang):
        assert render(CONFLICT, sex) == expected


def test_fate_words_in_explanations_follow_the_sex() -> None:
    message = Message(
        "{dead_source} reports him dead, but {other_source} reports him {other_fate}.",
        {"dead_source": "A", "other_source": "B", "other_fate": "detained"},
    )
    with translation.override("ru"):
        assert render(message, "F").endswith("она: в плену или задержана.")
        assert render(message).endswith("он: в плену или задержан.")  # without a sex: as before


def test_legal_titles_follow_the_sex() -> None:
    with translation.override("ru"):
        assert gendered(COURT, "F").startswith("Суд может признать её безвестно отсутствующей")
        assert gendered(COURT, "M").startswith("Суд может признать его безвестно отсутствующим")
        assert gendered(COURT, "U").startswith("Суд может признать разыскиваемого человека")
    with translation.override("uk"):
        assert gendered(COURT, "F").startswith("Суд може визнати її безвісно відсутньою")
    with translation.override("en"):
        assert gendered(COURT, "F").startswith("A court may recognise her as missing")
        # a text with no gendered forms is translated as usual
        assert gendered("Legal status", "F") == "Legal status"


def _set_sex(person: Person, sex: str) -> None:
    Person.objects.filter(pk=person.pk).update(sex=sex)


def test_family_page_speaks_of_a_woman_as_her(world: World) -> None:
    _set_sex(world.a.person, "F")
    page = family_client(world.a).get("/ru/request/follow").content.decode()
    assert "Оба её родителя" in page and "Оба его родителя" not in page
    assert "Как часто ДНК находит её" in page
    assert "Кого ищем:" in page and "О человеке:" not in page
    page = family_client(world.a).get("/uk/request/follow").content.decode()
    assert "Обидва її батьки" in page


def test_family_page_is_neutral_when_the_sex_is_unknown(world: World) -> None:
    _set_sex(world.a.person, "U")
    page = family_client(world.a).get("/ru/request/follow").content.decode()
    assert "Оба родителя разыскиваемого человека" in page


def test_case_page_speaks_of_a_woman_as_her(world: World) -> None:
    _set_sex(world.a.person, "F")
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.get(f"/ru/staff/cases/{world.a.case.pk}/").content.decode()
    assert "Последние вести о ней:" in page
    assert "её гибели" in page or "отсутствующей" in page or "умершей" in page


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "проверена 1 пара"), (3, "проверено 3 пары"), (5, "проверено 5 пар"), (21, "проверена 21 пара")],
)
def test_counts_take_the_plural_form_of_the_language(n: int, expected: str) -> None:
    from django.template import Context, Template

    template = Template(
        "{% load i18n %}{% blocktranslate trimmed count pairs=n %}{{ pairs }} pair screened"
        "{% plural %}{{ pairs }} pairs screened{% endblocktranslate %}"
    )
    with translation.override("ru"):
        assert template.render(Context({"n": n})) == expected
    uk = {1: "1 новий кандидат", 3: "3 нові кандидати", 5: "5 нових кандидатів", 21: "21 новий кандидат"}
    with translation.override("uk"):
        text = translation.ngettext("%(new)s new candidate", "%(new)s new candidates", n)
        assert text % {"new": n} == uk[n]
