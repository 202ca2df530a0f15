"""A real case with a history: Cyrillic names, conflicting sources, a witness, inquiries answered and not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kinlink.documents import actions as document_actions
from kinlink.documents.models import Inquiry
from kinlink.registry import actions
from kinlink.registry.models import Case, Organisation, TracingRequest


@pytest.fixture
def history_case(db: Any) -> Case:
    org = Organisation.objects.create(name="Поиск пропавших", slug="poisk")
    person = actions.add_person(
        None,
        names=[
            {"surname": "Кузнецов", "given_name": "Алексей", "patronymic": "Петрович", "is_primary": True}
        ],
        reason="documents test case",
        sex="M",
        birth_date="1991-04-12",
        service_number="АБ-123456",
        unit="в/ч 12345",
        rank="рядовой",
        region="Курская область",
    )
    # direct write: the documents show a request filed on 2024-03-01 as TR-2024-0042 (the action stamps now)
    request = TracingRequest.objects.create(
        number="TR-2024-0042",
        person=person,
        organisation=org,
        enquirer_name="Кузнецова Мария Ивановна",
        relationship="мать",
        contact="+7 900 000-00-00, ул. Секретная 1",
        last_contact="2024-02-10",
        submitted_at=dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC),
    )
    assert request.pk
    family = actions.add_source(
        None,
        kind="family_report",
        name="Заявление матери",
        date="2024-03-01",
        reliability="B",
        organisation=org,
    )
    unit = actions.add_source(
        None,
        kind="unit_notice",
        name="Извещение в/ч 12345",
        origin="в/ч 12345",
        reference="№ 77/15",
        date="2024-04-05",
        reliability="B",
        organisation=org,
    )
    witness = actions.add_source(
        None,
        kind="testimony",
        name="Показания сослуживца Иванова",
        date="2024-05-20",
        reliability="C",
        organisation=org,
    )
    actions.add_claim(None, person, family, fate="missing", date="2024-02")
    actions.add_claim(
        None,
        person,
        unit,
        fate="missing",
        date="2024-02-14",
        place="под Работино",
        circumstances="не вернулся с задания",
    )
    actions.add_claim(
        None,
        person,
        witness,
        fate="wounded",
        date="2024-02-14",
        place="лесополоса у Работино",
        circumstances="видел его раненым при отходе",
    )
    # direct write: the documents print the case number CASE-2024-0042 (open_case draws a random number)
    case = Case.objects.create(
        number="CASE-2024-0042", person=person, organisation=org, jurisdiction="RU-participant"
    )
    # direct write: record_inquiry has no outgoing reference ("исх. 15")
    Inquiry.objects.create(
        case=case,
        addressee_kind="ministry",
        addressee="Министерство обороны",
        question="Сведения о судьбе Кузнецова А. П.",
        asked_on=dt.date(2024, 3, 5),
        reference="исх. 15",
        answered_on=dt.date(2024, 4, 20),
        answer="Числится пропавшим без вести",
    )
    document_actions.record_inquiry(
        None,
        case,
        addressee_kind="red_cross",
        addressee="МККК",
        question="Нет ли его в списках пленных",
        asked_on=dt.date(2024, 6, 1),
    )
    return case
