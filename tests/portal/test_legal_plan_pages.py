"""The legal plan on the pages: caseworkers see titles and citations, the family plain words in its
language, and no step while the plan rests on news of a death a caseworker must give them first."""

from __future__ import annotations

import datetime as dt

from kinlink.documents import actions as document_actions
from kinlink.registry import actions
from tests.portal.portal_world import World, family_client, verified_client


def test_family_sees_no_steps_while_the_plan_rests_on_a_units_notice_of_death(world: World) -> None:
    page = family_client(world.a).get("/ru/request/follow").content.decode()
    assert "Юридические шаги" in page
    assert "Сотрудник, который ведёт ваше дело, расскажет вам о дальнейших юридических шагах." in page
    assert "безвестно отсутствующим" not in page and "справку о смерти" not in page


def test_family_sees_the_plan_in_plain_russian(world: World) -> None:
    actions.retract_claim(None, world.a.claim, "the unit withdrew the notice")
    letter = actions.add_source(None, kind="family_report", name="Call from him", date="2023-08-10")
    actions.add_claim(None, world.a.person, letter, fate="alive", date="2023-08-10")
    page = family_client(world.a).get("/ru/request/follow").content.decode()
    # 6 months after 10 August 2023: possible from 11 February 2024
    assert "11.02.2024" in page
    assert "С этого дня можно обратиться в суд, чтобы его признали безвестно отсутствующим." in page
    assert "Это не юридическая консультация" in page
    # the family reads plain words, not the citations
    assert "120-ФЗ" not in page and "120-FZ" not in page


def test_caseworker_sees_citations_in_russian_and_an_overdue_inquiry(world: World) -> None:
    document_actions.record_inquiry(
        None,
        world.a.case,
        addressee_kind="commissariat",
        addressee="Военный комиссариат города Н.",
        question="Где мой сын?",
        asked_on=dt.date(2023, 1, 10),
        channel="post",
    )
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.get(f"/ru/staff/cases/{world.a.case.pk}/").content.decode()
    assert "План правовых действий" in page
    assert "Признание безвестно отсутствующим: 6 месяцев без сведений (участники СВО, 120-ФЗ)" in page
    assert "Федерального закона от 14.04.2023 № 120-ФЗ" in page
    assert 'data-action="reply_due"' in page and "просрочено" in page
    assert "Военный комиссариат города Н." in page
