"""``kinlink demo``: fill the registry from the synthetic scenario, plus the seed case.

The seed case is the one that started kinlink: the unit notifies "killed" (2022-03-30), the ministry
answers "missing" (2022-05-10), and a comrade says "they were withdrawing, there was a battle,
locals buried the bodies". Its fate must show as a conflict citing all three, with a burial-site lead.

DNA (:func:`_seed_dna`): remains exhumed from that field grave in 2023 are profiled at the central lab,
with the mother's reference sample and those of 20 other families; the screening run proposes the match,
and the caseworker and the supervisor confirm it (two staff members). The family is not told: the match
waits in the caseworker's queue, and the family portal shows the mother's sample as "searched" until a
caseworker breaks the news. Profiles are synthetic, drawn from the synthetic frequency table that ships
with kinlink (``identification/data/synthetic_frequencies.csv``), never from real population data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from kinlink.registry.models import (
    Case,
    Claim,
    Event,
    ListRecord,
    Membership,
    NameVariant,
    Organisation,
    Person,
    Remains,
    Role,
    Site,
    Source,
    SourceKind,
    TracingRequest,
    hash_access_code,
)
from kinlink.registry.services.fate import store_fates
from kinlink.registry.services.imports import FATE_BY_LIST_KIND
from kinlink.scenario import generate
from kinlink.scenario.model import World

SIZES = {"small": 1_000, "medium": 20_000}
#: The synthetic frequency table of the demo's DNA (23 made-up STR loci, SYN01..SYN23).
DEMO_FREQUENCIES = (
    Path(__file__).resolve().parents[2] / "identification" / "data" / "synthetic_frequencies.csv"
)
DEMO_MUTATION = "stepwise:rate=0.002,rate2=1e-6,range=0.1"
#: Other families that gave a mother's reference sample, screened alongside the seed case's.
DEMO_DNA_FAMILIES = 20
DEMO_SEED = 2022
#: The follow-up code of the seed case's mother, printed by the demo (local demo only).
DEMO_FAMILY_CODE = "demo-mother-2022"
LIST_KINDS = {
    "family_requests": SourceKind.FAMILY_REPORT,
    "prisoner_list": SourceKind.PRISONER_LIST,
    "obituaries": SourceKind.OBITUARY,
    "burial_records": SourceKind.BURIAL_RECORD,
    "media_list": SourceKind.MEDIA,
}


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: str
    username: str
    password: str
    organisation: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class DemoSummary:
    created: bool
    logins: list[DemoLogin]
    counts: dict[str, int]
    seed_case_number: str


def _organisations() -> dict[str, Organisation]:
    specs = [
        ("poisk", "Poisk tracing group", "RU", False),
        ("nadezhda", "Nadezhda family support", "UA", False),
        ("central-lab", "Central forensic DNA laboratory", "", True),
    ]
    return {
        slug: Organisation.objects.get_or_create(
            slug=slug, defaults={"name": name, "country": country, "is_lab": is_lab}
        )[0]
        for slug, name, country, is_lab in specs
    }


def _seed_inquiries(case: Case, unit: Source, ministry: Source) -> None:
    """What the mother asked, of whom and when: two answers that disagree, two questions never answered."""
    from kinlink.documents.models import Inquiry

    asked = [
        (
            "unit",
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
            "icrc",
            "ICRC Central Tracing Agency",
            "Is my son held as a prisoner of war?",
            dt.date(2022, 6, 15),
            None,
            "",
            None,
        ),
    ]
    for kind, addressee, question, asked_on, answered_on, answer, source in asked:
        Inquiry.objects.create(
            case=case,
            addressee_kind=kind,
            addressee=addressee,
            question=question,
            asked_on=asked_on,
            answered_on=answered_on,
            answer=answer,
            answer_source=source,
        )


def create_demo_accounts(orgs: dict[str, Organisation]) -> list[DemoLogin]:
    """One staff account per role, each with a TOTP authenticator; passwords are for the local demo only.

    Staff sign in with the password and then a six-digit code: add the printed secret (or otpauth URI)
    to any authenticator app, or run ``oathtool --totp -b SECRET``.
    """
    from base64 import b32encode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    user_model = get_user_model()
    specs = [
        (Role.CASEWORKER, "caseworker", "poisk"),
        (Role.SUPERVISOR, "supervisor", "poisk"),
        (Role.CASEWORKER, "caseworker2", "nadezhda"),
        (Role.LAB_ANALYST, "lab", "central-lab"),
        (Role.ADMINISTRATOR, "admin", "poisk"),
    ]
    logins: list[DemoLogin] = []
    for role, username, org_slug in specs:
        password = f"demo-{username}-2026"
        user, created = user_model.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            if role == Role.ADMINISTRATOR:
                user.is_staff = True
                user.is_superuser = True
            user.save()
        Membership.objects.get_or_create(user=user, organisation=orgs[org_slug], defaults={"role": role})
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)
        secret = b32encode(device.bin_key).decode("ascii")
        note = f"TOTP secret {secret}  {device.config_url}"
        logins.append(DemoLogin(str(role), username, password, orgs[org_slug].name, note))
    return logins


def _seed_case(orgs: dict[str, Organisation]) -> Case:
    person = Person.objects.create(
        sex="M",
        birth_date="1998-07-14",
        birth_place="Псков",
        unit="в/ч 12345",
        rank="рядовой",
        military_branch="motor_rifle",
        region="Псковская область",
    )
    NameVariant.objects.create(
        person=person,
        full_name="Шевчук Александр Петрович",
        surname="Шевчук",
        given_name="Александр",
        patronymic="Петрович",
        script="Cyrl",
        language="ru",
        is_primary=True,
    )
    NameVariant.objects.create(
        person=person,
        full_name="Aleksandr Shevchuk",
        surname="Shevchuk",
        given_name="Aleksandr",
        script="Latn",
        language="en",
    )
    unit = Source.objects.create(
        kind=SourceKind.UNIT_NOTICE,
        name="Notice of unit в/ч 12345",
        origin="в/ч 12345",
        reference="№ 1/512",
        date="2022-03-30",
        reliability="B",
    )
    ministry = Source.objects.create(
        kind=SourceKind.MINISTRY_LETTER,
        name="Letter of the Ministry of Defence",
        origin="Ministry of Defence",
        reference="№ 173/4/2291",
        date="2022-05-10",
        reliability="B",
    )
    comrade = Source.objects.create(
        kind=SourceKind.TESTIMONY,
        name="Testimony of a comrade",
        origin="comrade (name withheld)",
        date="2022-06-02",
        reliability="C",
    )
    event = Event.objects.create(
        name="Withdrawal near Popasna",
        kind="withdrawal",
        date="2022-03-30",
        place="Попасная",
        region="Луганская область",
        latitude=48.632,
        longitude=38.379,
    )
    event.persons.add(person)
    site = Site.objects.create(
        name="Field grave reported by locals near Popasna",
        kind=Site.Kind.FIELD_GRAVE,
        latitude=48.64,
        longitude=38.36,
        precision_m=2000,
        reported_by=comrade,
        event=event,
        description="Locals buried the bodies after the battle; exact place unknown.",
    )
    Claim.objects.create(
        person=person,
        source=unit,
        fate="dead",
        date="2022-03-30",
        place="Попасная",
        event=event,
        circumstances="Killed in action.",
    )
    Claim.objects.create(
        person=person,
        source=ministry,
        fate="missing",
        place="",
        circumstances=("Listed as missing in action."),
    )
    Claim.objects.create(
        person=person,
        source=comrade,
        fate="buried",
        date="2022-03-30",
        place="near Popasna",
        event=event,
        site=site,
        circumstances="They were withdrawing, there was a battle, locals buried the bodies.",
    )
    request = TracingRequest(
        number="TR-2022-000001",
        person=person,
        organisation=orgs["poisk"],
        enquirer_name="Шевчук Наталья Ивановна",
        relationship="mother",
        contact="+7 900 000-00-00",
        consent_dna=True,
        language="ru",
        channel="web",
        last_contact="2022-03-28",
        last_known_place="Попасная",
        circumstances="Last call on 28 March 2022; the unit then said he was killed.",
    )
    request.access_code_hash = hash_access_code(DEMO_FAMILY_CODE)
    request.save()
    request.consent_organisations.add(orgs["poisk"])
    case = Case.objects.create(
        number="C-000001", person=person, organisation=orgs["poisk"], jurisdiction="RU-participant"
    )
    _seed_inquiries(case, unit, ministry)
    return case


def _seed_dna(orgs: dict[str, Organisation], case: Case) -> None:
    """Reference samples, remains samples, a screening run and a confirmed identification (module docs)."""
    from kinlink.genetics.markers import read_frequency_csv
    from kinlink.identification.models import CandidateIdentification, ScreeningRun
    from kinlink.identification.services import decide, run_screening
    from kinlink.registry.models import Sample
    from kinlink.scenario.dna import generate_dna

    lab = orgs["central-lab"]
    seed_request = TracingRequest.objects.get(number="TR-2022-000001")
    others = list(
        TracingRequest.objects.filter(consent_dna=True)
        .exclude(pk=seed_request.pk)
        .order_by("pk")[:DEMO_DNA_FAMILIES]
    )
    scenario = generate_dna(
        len(others) + 1,
        3,
        seed=DEMO_SEED,
        database=read_frequency_csv(DEMO_FREQUENCIES),
        share_related=1 / 3,
        shares={"mother": 1.0},
        conditions={"complete": 1.0},
    )
    related = next(code for code, family in scenario.truth.items() if family is not None)
    seed_family = scenario.truth[related]
    requests = iter(others)
    collected = dt.date(2023, 9, 12)
    for n, family in enumerate(scenario.families, start=1):
        request = seed_request if family.id == seed_family else next(requests)
        Sample.objects.create(
            code=f"KL-REF-{n:05d}",
            kind=Sample.Kind.REFERENCE,
            tracing_request=request,
            relationship="mother",
            status=Sample.Status.PROFILED,
            lab=lab,
            profile=json.dumps(family.references["MO"], sort_keys=True),
            collected_on=collected,
        )
    site = Site.objects.get(name="Field grave reported by locals near Popasna")
    seed_remains = Remains.objects.create(
        code="R-2023-POP-001",
        site=site,
        event=site.event,
        recovered_on="2023-08",
        sex_estimate="M",
        age_estimate="20-30",
        condition="skeletal",
        status=Remains.Status.PROFILED,
    )
    world_remains = iter(Remains.objects.exclude(pk=seed_remains.pk).order_by("pk"))
    remains_samples = {}
    for n, (code, profile) in enumerate(scenario.remains.items(), start=1):
        remains = seed_remains if code == related else next(world_remains)
        remains_samples[code] = Sample.objects.create(
            code=f"KL-REM-{n:05d}",
            kind=Sample.Kind.REMAINS,
            remains=remains,
            status=Sample.Status.PROFILED,
            lab=lab,
            profile=json.dumps(profile, sort_keys=True),
            collected_on=collected,
        )
    run = ScreeningRun.objects.create(
        reason=f"demo: {len(scenario.references)} reference and {len(scenario.remains)} remains profiles",
        threshold=float(getattr(settings, "KINLINK_SCREENING_THRESHOLD", 1e4)),
        frequencies=str(DEMO_FREQUENCIES),
        mutation=DEMO_MUTATION,
    )
    run_screening(run)
    candidate = CandidateIdentification.objects.get(
        remains_sample=remains_samples[related], tracing_request=seed_request
    )
    user_model = get_user_model()
    for username, note in (
        ("caseworker", "Mother's reference; remains from the field grave the comrade described."),
        ("supervisor", "Second confirmation: LR and posterior checked against the report."),
    ):
        decide(candidate, user_model.objects.get(username=username), "confirm", note)


def _load_world(world: World, orgs: dict[str, Organisation], step: Callable[[str], None]) -> None:
    events: dict[str, Event] = {}
    for e in world.events:
        events[e.event_id] = Event(
            name=e.name,
            kind=e.kind,
            date=e.date.isoformat(),
            place=e.place.name_ru,
            region=e.place.region,
            latitude=e.place.lat,
            longitude=e.place.lon,
            external_ref=e.event_id,
        )
    Event.objects.bulk_create(list(events.values()), batch_size=2000)
    sites = {
        s.site_id: Site(
            name=s.name,
            kind=s.kind,
            latitude=s.lat,
            longitude=s.lon,
            precision_m=s.precision_m,
            event=events.get(s.event_id or ""),
            external_ref=s.site_id,
            exhumation_status=Site.Exhumation.REPORTED,
        )
        for s in world.sites
    }
    Site.objects.bulk_create(list(sites.values()), batch_size=2000)
    step("events and sites")

    persons: dict[str, Person] = {}
    for s in world.soldiers:
        persons[s.person_id] = Person(
            sex=s.sex,
            birth_date=s.birth_date.isoformat(),
            birth_place=s.birth_place.name_uk if s.side == "ua" else s.birth_place.name_ru,
            service_number=s.service_number,
            unit=s.unit,
            rank=s.rank,
            military_branch=s.branch,
            region=s.birth_place.region,
        )
    Person.objects.bulk_create(list(persons.values()), batch_size=2000)
    names = [
        NameVariant(
            person=persons[s.person_id],
            surname=s.surname,
            given_name=s.given_name,
            patronymic=s.patronymic,
            full_name=f"{s.surname} {s.given_name} {s.patronymic}",
            script="Cyrl",
            language="uk" if s.side == "ua" else "ru",
            is_primary=True,
        )
        for s in world.soldiers
    ]
    NameVariant.objects.bulk_create(names, batch_size=5000)
    through = Event.persons.through
    through.objects.bulk_create(
        [through(event_id=events[s.event_id].pk, person_id=persons[s.person_id].pk) for s in world.soldiers],
        batch_size=5000,
    )
    step("persons")

    remains = [
        Remains(
            code=r.remains_id,
            site=sites[r.site_id],
            event=sites[r.site_id].event,
            recovered_on=r.recovered.isoformat(),
            condition=r.condition,
            sex_estimate="M",
        )
        for r in world.remains
    ]
    Remains.objects.bulk_create(remains, batch_size=5000)

    sources = {
        s.source_id: Source(kind=s.kind, name=s.name, date=s.date.isoformat(), reliability=s.reliability)
        for s in world.sources
    }
    Source.objects.bulk_create(list(sources.values()), batch_size=2000)
    claims = [
        Claim(
            person=persons[c.person_id],
            source=sources[c.source_id],
            fate=c.fate,
            date=c.date.isoformat() if c.date else "",
            place=c.place,
            circumstances=c.circumstances,
        )
        for c in world.claims
    ]
    Claim.objects.bulk_create(claims, batch_size=5000)
    step("sources and claims")

    for list_name, records in world.lists.items():
        source = Source.objects.create(
            kind=LIST_KINDS[list_name], name=f"Demo list: {list_name}", reference="list", reliability="C"
        )
        ListRecord.objects.bulk_create(
            [
                ListRecord(
                    source=source,
                    record_id=r.record_id,
                    person=persons[r.person_id],
                    row=r.row,
                    row_sha256="",
                )
                for r in records
            ],
            batch_size=5000,
        )
        Claim.objects.bulk_create(
            [
                Claim(
                    person=persons[r.person_id],
                    source=source,
                    fate=FATE_BY_LIST_KIND[LIST_KINDS[list_name]],
                    date=r.row["event_date"],
                    place=r.row["event_place"],
                    circumstances=f"{list_name}, record {r.record_id}",
                )
                for r in records
            ],
            batch_size=5000,
        )
    step("lists")

    tracing_orgs = [orgs["poisk"], orgs["nadezhda"]]
    requests: list[TracingRequest] = []
    cases: list[Case] = []
    families = [f for f in world.families if f.enquirer_id is not None]
    sides = {s.person_id: s.side for s in world.soldiers}
    for n, family in enumerate(families, start=2):
        enquirer = next(r for r in family.relatives if r.relative_id == family.enquirer_id)
        org = tracing_orgs[0] if sides[family.person_id] == "ru" else tracing_orgs[1]
        requests.append(
            TracingRequest(
                number=f"TR-{family.request_date.year if family.request_date else 2022}-{n:06d}",
                person=persons[family.person_id],
                organisation=org,
                enquirer_name=enquirer.full_name,
                relationship=enquirer.relationship,
                contact=f"+7 900 {n:07d}",
                consent_dna=n % 3 != 0,
                language=family.language,
                channel=family.channel,
            )
        )
        cases.append(
            Case(
                number=f"C-{n:06d}",
                person=persons[family.person_id],
                organisation=org,
                jurisdiction="RU-participant" if org.slug == "poisk" else "UA",
            )
        )
    TracingRequest.objects.bulk_create(requests, batch_size=2000)
    consent = TracingRequest.consent_organisations.through
    consent.objects.bulk_create(
        [consent(tracingrequest_id=r.pk, organisation_id=r.organisation_id) for r in requests],
        batch_size=5000,
    )
    Case.objects.bulk_create(cases, batch_size=5000)
    step("tracing requests and cases")


def build_demo(size: str = "small", step: Callable[[str], None] | None = None) -> DemoSummary:
    """Fill the database once; a second call only returns the logins."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size '{size}' (use one of: {', '.join(SIZES)})")
    report = step or (lambda _: None)
    with transaction.atomic():
        already = Organisation.objects.filter(slug="poisk").exists()
        orgs = _organisations()
        logins = create_demo_accounts(orgs)
        if not already:
            world = generate(seed=DEMO_SEED, size=SIZES[size])
            report(f"generated a world of {len(world.soldiers)} persons")
            _load_world(world, orgs, report)
            case = _seed_case(orgs)
            _seed_dna(orgs, case)
            store_fates()  # the demo writes claims in bulk; store every person's reconciled fate
            report("DNA: samples, screening and a confirmed identification for the seed case")
    counts = {
        "persons": Person.objects.count(),
        "claims": Claim.objects.count(),
        "sources": Source.objects.count(),
        "events": Event.objects.count(),
        "remains": Remains.objects.count(),
        "sites": Site.objects.count(),
        "tracing_requests": TracingRequest.objects.count(),
        "cases": Case.objects.count(),
    }
    return DemoSummary(created=not already, logins=logins, counts=counts, seed_case_number="C-000001")
