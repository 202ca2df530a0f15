"""The seed case, the one that started kinlink, entered as its people entered it.

The mother files a tracing request on the web form; the caseworker records what the unit notified
("killed", 2022-03-30), what the ministry answered ("missing", 2022-05-10) and what a comrade said
("they were withdrawing, there was a battle, locals buried the bodies", with a field-grave lead), opens
the case and logs the mother's inquiries, two answered and two not. The fate shows as a conflict that
cites all three sources. A second request for the same man, from his sister, arrives later: a new
person that record linkage proposes as the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kinlink.demo.accounts import staff
from kinlink.documents.actions import record_inquiry
from kinlink.registry.actions import (
    FamilyRequest,
    add_claim,
    add_event,
    add_site,
    add_source,
    open_case,
    submit_tracing_request,
)
from kinlink.registry.models import Case, Organisation, Site, Source, SourceKind, TracingRequest

#: The field grave's name; the DNA step recovers the seed case's remains from it.
SEED_SITE = "Field grave reported by locals near Popasna"
#: The unit's notice, the source by which the demo finds its seed case again.
SEED_UNIT_NOTICE = "Notice of unit в/ч 12345"


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
        unit="в/ч 12345",
        last_contact="2022-03-28",
        last_known_place="Попасная",
        circumstances="Last call on 28 March 2022; the unit then said he was killed.",
        enquirer_name="Шевчук Наталья Ивановна",
        relationship="mother",
        contact="+7 900 000-00-00",
        consent_organisations=[orgs["poisk"]],
        consent_dna=True,
        language="ru",
    )


def build_seed_case(orgs: dict[str, Organisation]) -> SeedCase:
    """The mother's request, the three sources and their claims, the case and its inquiries."""
    caseworker = staff("caseworker")
    request, code = submit_tracing_request(seed_request_form(orgs))
    person = request.person
    unit = add_source(
        caseworker,
        kind=SourceKind.UNIT_NOTICE,
        name=SEED_UNIT_NOTICE,
        origin="в/ч 12345",
        reference="№ 1/512",
        date="2022-03-30",
        reliability="B",
    )
    ministry = add_source(
        caseworker,
        kind=SourceKind.MINISTRY_LETTER,
        name="Letter of the Ministry of Defence",
        origin="Ministry of Defence",
        reference="№ 173/4/2291",
        date="2022-05-10",
        reliability="B",
    )
    comrade = add_source(
        caseworker,
        kind=SourceKind.TESTIMONY,
        name="Testimony of a comrade",
        origin="comrade (name withheld)",
        date="2022-06-02",
        reliability="C",
    )
    event = add_event(
        caseworker,
        name="Withdrawal near Popasna",
        kind="withdrawal",
        date="2022-03-30",
        place="Попасная",
        region="Луганская область",
        latitude=48.632,
        longitude=38.379,
    )
    site = add_site(
        caseworker,
        name=SEED_SITE,
        kind=Site.Kind.FIELD_GRAVE,
        latitude=48.64,
        longitude=38.36,
        precision_m=2000,
        reported_by=comrade,
        event=event,
        description="Locals buried the bodies after the battle; exact place unknown.",
    )
    add_claim(
        caseworker,
        person,
        unit,
        fate="dead",
        date="2022-03-30",
        place="Попасная",
        event=event,
        circumstances="Killed in action.",
    )
    add_claim(caseworker, person, ministry, fate="missing", circumstances="Listed as missing in action.")
    add_claim(
        caseworker,
        person,
        comrade,
        fate="buried",
        date="2022-03-30",
        place="near Popasna",
        event=event,
        site=site,
        circumstances="They were withdrawing, there was a battle, locals buried the bodies.",
    )
    case = open_case(caseworker, person, orgs["poisk"], request=request, reason="the mother's request")
    _inquiries(case, unit, ministry)
    return SeedCase(case, request, code)


def second_request(orgs: dict[str, Organisation]) -> TracingRequest:
    """The sister asks about the same man, in Latin letters from abroad: a new person for linkage."""
    request, _code = submit_tracing_request(
        FamilyRequest(
            surname="Shevchuk",
            given_name="Aleksandr",
            patronymic="Petrovich",
            sex="M",
            birth_date="1998-07-14",
            birth_place="Pskov",
            unit="в/ч 12345",
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


def _inquiries(case: Case, unit: Source, ministry: Source) -> None:
    """What the mother asked, of whom and when: two answers that disagree, two questions never answered."""
    caseworker = staff("caseworker")
    asked = [
        (
            "military_unit",
            "Commander of в/ч 12345",
            "Where is my son, and where is his body?",
            dt.date(2022, 4, 2),
            dt.date(2022, 4, 9),
            "Killed in action on 30 March 2022; the body was not evacuated.",
            unit,
        ),
        (
            "ministry",
            "Ministry of Defence",
            "What is the status of my son?",
            dt.date(2022, 4, 12),
            dt.date(2022, 5, 10),
            "Listed as missing in action.",
            ministry,
        ),
        (
            "commissariat",
            "Military commissariat of Pskov",
            "Certificate of the circumstances of disappearance (Government Decree 1421)",
            dt.date(2022, 6, 1),
            None,
            "",
            None,
        ),
        (
            "red_cross",
            "ICRC Central Tracing Agency",
            "Is my son held as a prisoner of war?",
            dt.date(2022, 6, 15),
            None,
            "",
            None,
        ),
    ]
    for kind, addressee, question, asked_on, answered_on, answer, source in asked:
        record_inquiry(
            caseworker,
            case,
            addressee_kind=kind,
            addressee=addressee,
            question=question,
            asked_on=asked_on,
            answered_on=answered_on,
            answer=answer,
            answer_source=source,
        )
