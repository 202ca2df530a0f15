"""The seed case, the one that started kinlink, entered as its people entered it, in their language.

The mother files a tracing request on the web form; the caseworker records what the unit notified
("killed", 30 March 2022, in its notice answering her letter), what the ministry answered ("missing", 10 May
2022, recorded as the answer to her inquiry, so that its statement is a claim of the letter) and what a
comrade said ("they were withdrawing, there was a battle, locals buried the bodies", with a field-grave
lead), and opens the case. Its paper trail is the one families describe: a certificate of the
circumstances of disappearance asked of the military commissariat under Government Decree 1421, never
answered and overdue, and the reminder that followed it, unanswered too; a question to the ICRC; and the
mother's own calls to the ministry's hotline, which she logged herself (one reviewed and accepted as
evidence, one waiting for review). The fate shows as a conflict that cites all three sources. A second
request for the same man, from his sister abroad (in English, in her own words), arrives later: a new person
that record linkage proposes as the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import translation

from kinlink.demo.accounts import staff
from kinlink.documents.actions import (
    StatedFate,
    record_inquiry,
    record_inquiry_answer,
    review_family_inquiry,
    update_inquiry_dates,
)
from kinlink.documents.models import Inquiry
from kinlink.field.actions import record_site
from kinlink.registry.actions import (
    FamilyRequest,
    add_claim,
    add_event,
    add_source,
    open_case,
    submit_tracing_request,
)
from kinlink.registry.models import Case, Organisation, Site, Source, SourceKind, TracingRequest

#: The field grave's name; the field work (:mod:`kinlink.demo.field`) recovers his remains from it.
SEED_SITE = "Окрестности Попасной, со слов местных жителей"
#: The unit's notice, the source by which the demo finds its seed case again.
SEED_UNIT_NOTICE = "Извещение войсковой части 12345"
#: The ministry's answer "missing", as the source its answer becomes.
SEED_MINISTRY_LETTER = "Письмо Министерства обороны Российской Федерации"
#: The unit, as its notices and the family's letters write it.
SEED_UNIT = "в/ч 12345"


@dataclass(frozen=True, slots=True)
class SeedCase:
    case: Case
    request: TracingRequest
    access_code: str
    second_request: TracingRequest | None = None


def seed_request_form(orgs: dict[str, Organisation]) -> FamilyRequest:
    return FamilyRequest(
        surname="Шевчук",
        given_name="Александр",
        patronymic="Петрович",
        other_names=["Aleksandr Shevchuk"],
        sex="M",
        birth_date="1998-07-14",
        birth_place="Псков",
        unit=SEED_UNIT,
        service_number="АК-512347",
        last_contact="2022-03-28",
        last_known_place="Попасная",
        circumstances=(
            "Последний раз сын звонил 28 марта 2022 года. Потом из части сообщили, что он погиб, "
            "а в министерстве говорят, что он числится пропавшим без вести. Тело нам не передали."
        ),
        enquirer_name="Шевчук Наталья Ивановна",
        relationship="mother",
        contact="+7 900 000-00-00",
        consent_organisations=[orgs["poisk"]],
        consent_dna=True,
        language="ru",
    )


def build_seed_case(orgs: dict[str, Organisation]) -> SeedCase:
    """The mother's request, the sources and their claims, the case and its paper trail.

    Built in Russian, the language of the family and of the caseworker: the texts the actions write
    (the name of a source an answer becomes) are in it too."""
    with translation.override("ru"):
        return _build_seed_case(orgs)


def _build_seed_case(orgs: dict[str, Organisation]) -> SeedCase:
    caseworker = staff("caseworker")
    request, code = submit_tracing_request(seed_request_form(orgs))
    person = request.person
    unit = add_source(
        caseworker,
        kind=SourceKind.UNIT_NOTICE,
        name=SEED_UNIT_NOTICE,
        origin="Командир войсковой части 12345",
        reference="№ 1/512",
        date="2022-04-09",
        reliability="B",
    )
    comrade = add_source(
        caseworker,
        kind=SourceKind.TESTIMONY,
        name="Показания сослуживца",
        origin="сослуживец (имя не разглашается по его просьбе)",
        date="2022-06-02",
        reliability="C",
    )
    event = add_event(
        caseworker,
        name="Отход подразделения от Попасной",
        kind="withdrawal",
        date="2022-03-30",
        place="Попасная",
        region="Луганская область",
        latitude=48.632,
        longitude=38.379,
    )
    site = record_site(  # the field grave as the comrade describes it
        caseworker,
        name=SEED_SITE,
        kind=Site.Kind.FIELD_GRAVE,
        latitude=48.64,
        longitude=38.36,
        precision_m=2000,
        reported_by=comrade,
        buried_count=6,
        buried_on="2022-04",
        buried_by="местные жители",
        event=event,
        description=(
            "Отходили, был бой; забрать тела не смогли, их было много. После боя тела погибших похоронили "
            "местные жители; точное место неизвестно."
        ),
    )
    add_claim(
        caseworker,
        person,
        unit,
        fate="dead",
        date="2022-03-30",
        place="Попасная",
        event=event,
        circumstances=(
            "Погиб 30.03.2022 при выполнении задач специальной военной операции. Тело не эвакуировано."
        ),
    )
    add_claim(
        caseworker,
        person,
        comrade,
        fate="buried",
        date="2022-03-30",
        place="окрестности Попасной",
        event=event,
        site=site,
        circumstances="Отходили, был бой, тела похоронили местные жители.",
    )
    case = open_case(
        caseworker, person, orgs["poisk"], request=request, reason="заявление матери о розыске сына"
    )
    _paper_trail(case, unit, request)
    return SeedCase(case, request, code)


def second_request(orgs: dict[str, Organisation]) -> TracingRequest:
    """The sister asks about the same man, in Latin letters from abroad and in English, her own words: a new
    person for linkage."""
    request, _code = submit_tracing_request(
        FamilyRequest(
            surname="Shevchuk",
            given_name="Aleksandr",
            patronymic="Petrovich",
            sex="M",
            birth_date="1998-07-14",
            birth_place="Pskov",
            unit=SEED_UNIT,
            last_contact="2022-03",
            last_known_place="Popasna",
            circumstances="My brother has been missing since March 2022.",
            enquirer_name="Olga Shevchuk",
            relationship="sister",
            contact="+49 151 0000000",
            consent_organisations=[orgs["poisk"]],
            language="en",
        )
    )
    return request


#: The one who logs an entry on the family's behalf in the audit trail (the family has no account).
FAMILY_LABEL = "семья (мать, Шевчук Н. И.)"


def _paper_trail(case: Case, unit: Source, request: TracingRequest) -> None:
    """What the mother asked, of whom, how and when, and what (if anything) came back."""
    caseworker = staff("caseworker")
    # 1. Her letter to the unit's commander; the unit's notice of death is the answer.
    record_inquiry(
        caseworker,
        case,
        addressee_kind=Inquiry.Addressee.MILITARY_UNIT,
        addressee="Командир войсковой части 12345",
        question=(
            "Прошу сообщить, где находится мой сын, рядовой Шевчук Александр Петрович, 14.07.1998 г. р., "
            "что с ним случилось и где его тело."
        ),
        asked_on=dt.date(2022, 4, 2),
        channel=Inquiry.Channel.POST,
        tracking_number="18000070123456",
        received_on=dt.date(2022, 4, 6),
        answered_on=dt.date(2022, 4, 9),
        answer=(
            "Извещение № 1/512: рядовой Шевчук Александр Петрович погиб 30.03.2022 при выполнении задач "
            "специальной военной операции в районе н. п. Попасная. Тело не эвакуировано."
        ),
        answer_source=unit,
    )
    # 2. Her inquiry to the ministry: "missing" in its answer is a claim of the answer's letter.
    to_ministry = record_inquiry(
        caseworker,
        case,
        addressee_kind=Inquiry.Addressee.MINISTRY,
        addressee="Министерство обороны Российской Федерации",
        question=(
            "Прошу сообщить, где находится мой сын, рядовой Шевчук Александр Петрович, в/ч 12345, "
            "и в каком статусе он числится."
        ),
        asked_on=dt.date(2022, 4, 12),
        channel=Inquiry.Channel.ONLINE,
        reference="рег. № ОГ-4/12-0412 (интернет-приёмная)",
    )
    record_inquiry_answer(
        caseworker,
        to_ministry,
        answered_on=dt.date(2022, 5, 10),
        answer=(
            "Сообщаем, что рядовой Шевчук Александр Петрович, 1998 г. р., в/ч 12345, числится пропавшим без "
            "вести. Сведениями о его местонахождении Министерство обороны не располагает."
        ),
        answer_reference="№ 173/4/2291",
        statements=[StatedFate("missing", circumstances="Числится пропавшим без вести.")],
        source_kind=SourceKind.MINISTRY_LETTER,
        reliability="B",
        source_name=SEED_MINISTRY_LETTER,
    )
    # 3. The ICRC: no statutory deadline, no answer.
    record_inquiry(
        caseworker,
        case,
        addressee_kind=Inquiry.Addressee.RED_CROSS,
        addressee="Центральное агентство по розыску МККК",
        question="Прошу проверить, не содержится ли мой сын, Шевчук Александр Петрович, в плену.",
        asked_on=dt.date(2022, 6, 15),
        channel=Inquiry.Channel.EMAIL,
    )
    # 4. The family's own calls to the ministry's hotline, logged by the mother; one reviewed and accepted.
    first_call = record_inquiry(
        None,
        case,
        addressee_kind=Inquiry.Addressee.MINISTRY,
        addressee="Горячая линия Министерства обороны Российской Федерации",
        question="Есть ли новые сведения о сыне?",
        asked_on=dt.date(2023, 3, 15),
        channel=Inquiry.Channel.HOTLINE,
        operator_name="Ирина (фамилию не назвала)",
        logged_by=Inquiry.LoggedBy.FAMILY,
        tracing_request=request,
        answered_on=dt.date(2023, 3, 15),
        answer="Сведений нет, числится пропавшим без вести. Посоветовали обратиться в военкомат за справкой.",
        label=FAMILY_LABEL,
    )
    review_family_inquiry(caseworker, first_call, accept=True)
    # 5. The certificate of the circumstances of disappearance asked of the commissariat (Decree 1421):
    # never answered, and overdue; the reminder that followed it, unanswered too.
    to_commissariat = record_inquiry(
        caseworker,
        case,
        addressee_kind=Inquiry.Addressee.COMMISSARIAT,
        addressee="Военный комиссариат Псковской области",
        question=(
            "Прошу выдать справку об обстоятельствах исчезновения рядового Шевчука Александра Петровича, "
            "в/ч 12345, для обращения в суд."
        ),
        asked_on=dt.date(2023, 10, 2),
        channel=Inquiry.Channel.POST,
        tracking_number="18000089654321",
        reference="исх. № 47 от 02.10.2023",
        legal_basis="decree-1421",
    )
    update_inquiry_dates(caseworker, to_commissariat, received_on=dt.date(2023, 10, 9))
    record_inquiry(
        caseworker,
        case,
        kind=Inquiry.Kind.REMINDER,
        follows=to_commissariat,
        addressee_kind=Inquiry.Addressee.COMMISSARIAT,
        addressee="Военный комиссариат Псковской области",
        question=(
            "Повторно прошу выдать справку об обстоятельствах исчезновения Шевчука Александра Петровича; "
            "ответа на обращение от 02.10.2023 не поступило."
        ),
        asked_on=dt.date(2023, 11, 20),
        channel=Inquiry.Channel.POST,
        tracking_number="18000091234567",
        reference="исх. № 58 от 20.11.2023",
    )
    # 6. Another call, which the mother logged and no caseworker has reviewed yet.
    record_inquiry(
        None,
        case,
        addressee_kind=Inquiry.Addressee.MINISTRY,
        addressee="Горячая линия Министерства обороны Российской Федерации",
        question="Почему военкомат не отвечает на запрос о справке?",
        asked_on=dt.date(2024, 2, 12),
        channel=Inquiry.Channel.HOTLINE,
        operator_name="Сергей Николаевич",
        logged_by=Inquiry.LoggedBy.FAMILY,
        tracing_request=request,
        answered_on=dt.date(2024, 2, 12),
        answer="Обещали передать обращение в военкомат; посоветовали написать жалобу в военную прокуратуру.",
        label=FAMILY_LABEL,
    )
