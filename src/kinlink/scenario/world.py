"""Deterministic synthetic world: soldiers of both sides, events, fates, families, sources, lists, remains.

``generate(seed, size)`` returns the same :class:`World` for the same arguments on every machine.
The truth (who really died where, whose remains lie in which grave) travels with every derived
record so that linkage, genetics and estimation can be scored against it.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from itertools import accumulate

from kinlink.scenario.model import (
    ClaimRecord,
    Event,
    Family,
    ListRecord,
    Relative,
    Remains,
    Site,
    Soldier,
    SourceRecord,
    World,
)
from kinlink.scenario.names import GivenName, given_names, patronymic, places, surnames

MIN_SIZE = 100
MAX_SIZE = 1_000_000

RANKS_RU = ("рядовой", "ефрейтор", "младший сержант", "сержант", "старший сержант", "лейтенант")
RANKS_UA = ("солдат", "старший солдат", "молодший сержант", "сержант", "старший сержант", "лейтенант")
BRANCHES = ("motor_rifle", "airborne", "marines", "artillery", "tank", "volunteer", "territorial_defence")
EVENT_KINDS = ("assault", "shelling", "withdrawal", "ambush")
LIST_NAMES = ("family_requests", "prisoner_list", "obituaries", "burial_records", "media_list")
FEMALE_NAMES_RU = ("Ольга", "Татьяна", "Елена", "Наталья", "Ирина", "Светлана", "Галина", "Людмила")
FEMALE_NAMES_UK = ("Ольга", "Тетяна", "Олена", "Наталія", "Ірина", "Світлана", "Галина", "Людмила")

#: What the records call an event and a site, in Russian (the registry's working language for both sides'
#: incidents), and the sources as each side's documents name them.
EVENT_NAMES_RU = {"assault": "Штурм", "shelling": "Обстрел", "withdrawal": "Отход", "ambush": "Засада"}
SITE_NAMES_RU = {
    "field_grave": "Окрестности н. п. {place}",
    "cemetery": "Общественное кладбище, н. п. {place}",
    "morgue": "Судебно-медицинский морг, {place}",
}
SOURCE_NAMES = {
    "ru": {
        "unit_notice": "Извещение войсковой части {unit}",
        "ministry_letter": "Письмо Министерства обороны Российской Федерации",
        "comrade": "Показания сослуживца",
        "released": "Показания военнослужащего, освобождённого из плена",
    },
    "ua": {
        "unit_notice": "Сповіщення військової частини {unit}",
        "ministry_letter": "Лист Міністерства оборони України",
        "comrade": "Свідчення побратима",
        "released": "Свідчення військовослужбовця, звільненого з полону",
    },
}
CIRCUMSTANCES = {
    "ru": {
        "buried": "Отходили, был бой, тела похоронили местные жители.",
        "fell": "Видел, как он упал во время штурма.",
        "camp": "Видели его в месте содержания военнопленных.",
    },
    "ua": {
        "buried": "Відходили, був бій, тіла поховали місцеві мешканці.",
        "fell": "Бачив, як він упав під час штурму.",
        "camp": "Бачили його в місці утримання військовополонених.",
    },
}

WAR_START = dt.date(2022, 2, 24)
WAR_DAYS = 1000


class _Picker:
    """Weighted choice by cumulative weights and a bisect: fast for a million draws."""

    def __init__(self, weights: list[float]) -> None:
        self._cum = list(accumulate(weights))
        self._total = self._cum[-1]

    def __call__(self, rng: random.Random) -> int:
        return bisect(self._cum, rng.random() * self._total)


def _female_surname(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "єв", "ін", "їн")):
        return surname + "а"
    if surname.endswith("ий"):
        return surname[:-2] + "ая"
    return surname


def _format_date(day: dt.date, precision: str) -> str:
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def generate(seed: int = 1, size: int = 1000) -> World:
    """Build a world of ``size`` persons (100 .. 1,000,000) from ``seed``."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE}, got {size}")
    rng = random.Random(seed)
    world = World(seed=seed, size=size, places=list(places()))
    _make_events(world, rng)
    _make_soldiers(world, rng)
    _make_families(world, rng)
    _make_sources_and_claims(world, rng)
    _make_lists(world, rng)
    return world


def _make_events(world: World, rng: random.Random) -> None:
    front = [p for p in world.places if p.side == "front"]
    n_events = max(5, world.size // 40)
    for i in range(n_events):
        place = rng.choice(front)
        day = WAR_START + dt.timedelta(days=rng.randrange(WAR_DAYS))
        kind = rng.choice(EVENT_KINDS)
        world.events.append(
            Event(
                event_id=f"E{i + 1:06d}",
                name=f"{EVENT_NAMES_RU[kind]}, {place.name_ru}, {day:%d.%m.%Y}",
                date=day,
                place=place,
                kind=kind,
            )
        )
    n_sites = max(3, n_events // 2)
    for i in range(n_sites):
        event = world.events[rng.randrange(n_events)]
        kind = rng.choices(("field_grave", "cemetery", "morgue"), weights=(6, 3, 1))[0]
        precision = {"field_grave": 2000, "cemetery": 100, "morgue": 10}[kind]
        world.sites.append(
            Site(
                site_id=f"S{i + 1:06d}",
                name=SITE_NAMES_RU[kind].format(place=event.place.name_ru),
                kind=kind,
                lat=round(event.place.lat + rng.uniform(-0.05, 0.05), 5),
                lon=round(event.place.lon + rng.uniform(-0.05, 0.05), 5),
                precision_m=precision,
                event_id=event.event_id,
            )
        )


def _make_soldiers(world: World, rng: random.Random) -> None:
    given = given_names()
    sur = surnames()
    pick_given = _Picker([g.weight for g in given])
    pick_surname = _Picker([s.weight for s in sur])
    home = {
        "ru": [p for p in world.places if p.side == "ru"],
        "ua": [p for p in world.places if p.side == "ua"],
    }
    sites_by_event: dict[str, list[Site]] = {}
    for site in world.sites:
        sites_by_event.setdefault(site.event_id or "", []).append(site)
    n_units = max(10, world.size // 200)
    units = {
        "ru": [f"в/ч {rng.randrange(10000, 99999)}" for _ in range(n_units)],
        "ua": [f"в/ч А{rng.randrange(1000, 9999)}" for _ in range(n_units)],
    }
    remains_counter = 0
    soldiers = world.soldiers
    i = 0
    while i < world.size:
        side = "ru" if rng.random() < 0.6 else "ua"
        event = world.events[rng.randrange(len(world.events))]
        surname = sur[pick_surname(rng)].form(side)
        father_key = pick_given(rng)
        unit = rng.choice(units[side])
        birth_place = rng.choice(home[side])
        # A brother in the same war now and then: same surname, patronymic and birth place (hard negative).
        n_brothers = 2 if rng.random() < 0.03 and i + 1 < world.size else 1
        first_id: str | None = None
        for _ in range(n_brothers):
            given_key = pick_given(rng)
            g: GivenName = given[given_key]
            birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(365 * 40))
            roll = rng.random()
            fate = "dead" if roll < 0.55 else ("detained" if roll < 0.75 else "alive")
            fate_date = event.date + dt.timedelta(days=rng.randrange(0, 3))
            site_id = remains_id = None
            if fate == "dead" and rng.random() < 0.7:
                candidates = sites_by_event.get(event.event_id) or world.sites
                site = rng.choice(candidates)
                site_id = site.site_id
                if rng.random() < 0.6:
                    remains_counter += 1
                    remains_id = f"R{remains_counter:07d}"
                    world.remains.append(
                        Remains(
                            remains_id=remains_id,
                            site_id=site.site_id,
                            person_id=f"P{i + 1:07d}",
                            recovered=fate_date + dt.timedelta(days=rng.randrange(30, 600)),
                            condition=rng.choice(("complete", "partial", "skeletal")),
                        )
                    )
            ranks = RANKS_UA if side == "ua" else RANKS_RU
            person_id = f"P{i + 1:07d}"
            soldiers.append(
                Soldier(
                    person_id=person_id,
                    side=side,
                    sex="M",
                    surname=surname,
                    given_name=g.form(side),
                    patronymic=patronymic(given[father_key], side),
                    given_name_key=given_key,
                    father_name_key=father_key,
                    birth_date=birth,
                    birth_place=birth_place,
                    unit=unit,
                    rank=ranks[min(len(ranks) - 1, int(rng.expovariate(1.2)))],
                    branch=rng.choice(BRANCHES),
                    service_number=f"{rng.choice('АБВГДЕЖИКЛМН')}{rng.choice('АБВГДЕЖИКЛМН')}-{rng.randrange(10**6):06d}",
                    event_id=event.event_id,
                    fate=fate,
                    fate_date=fate_date,
                    site_id=site_id,
                    remains_id=remains_id,
                    brother_of=first_id,
                )
            )
            first_id = first_id or person_id
            i += 1
    # Remains of people outside the world's families (unrelated to any tracing request).
    for _ in range(max(1, len(world.remains) // 20)):
        remains_counter += 1
        site = rng.choice(world.sites)
        world.remains.append(
            Remains(
                remains_id=f"R{remains_counter:07d}",
                site_id=site.site_id,
                person_id=None,
                recovered=WAR_START + dt.timedelta(days=rng.randrange(WAR_DAYS)),
                condition="skeletal",
            )
        )


def _make_families(world: World, rng: random.Random) -> None:
    relations = (
        ("mother", "F", 0.9),
        ("father", "M", 0.5),
        ("wife", "F", 0.45),
        ("sister", "F", 0.3),
        ("brother", "M", 0.3),
        ("son", "M", 0.25),
        ("daughter", "F", 0.2),
    )
    for n, soldier in enumerate(world.soldiers):
        family_id = f"F{n + 1:07d}"
        relatives: list[Relative] = []
        female = FEMALE_NAMES_UK if soldier.side == "ua" else FEMALE_NAMES_RU
        for relationship, sex, probability in relations:
            if rng.random() < probability:
                first = (
                    rng.choice(female)
                    if sex == "F"
                    else given_names()[rng.randrange(len(given_names()))].form(soldier.side)
                )
                surname = _female_surname(soldier.surname) if sex == "F" else soldier.surname
                relatives.append(
                    Relative(
                        relative_id=f"{family_id}-{relationship}",
                        family_id=family_id,
                        relationship=relationship,
                        sex=sex,
                        full_name=f"{surname} {first}",
                    )
                )
        if not relatives:
            relatives.append(
                Relative(
                    f"{family_id}-mother",
                    family_id,
                    "mother",
                    "F",
                    f"{_female_surname(soldier.surname)} {rng.choice(female)}",
                )
            )
        files_request = soldier.fate != "alive" and rng.random() < 0.75
        enquirer = relatives[0].relative_id if files_request else None
        language = "uk" if soldier.side == "ua" else ("ru" if rng.random() < 0.95 else "en")
        request_date = (
            soldier.fate_date + dt.timedelta(days=rng.randrange(20, 200)) if files_request else None
        )
        world.families.append(
            Family(
                family_id=family_id,
                person_id=soldier.person_id,
                relatives=tuple(relatives),
                enquirer_id=enquirer,
                language=language,
                channel=rng.choice(("web", "phone", "hotline", "letter")),
                request_date=request_date,
            )
        )


def _make_sources_and_claims(world: World, rng: random.Random) -> None:
    """Official notices that disagree with each other and with the truth, and comrades' testimony."""
    events = {e.event_id: e for e in world.events}
    counter = 0

    def source(kind: str, name: str, date: dt.date, reliability: str) -> str:
        nonlocal counter
        counter += 1
        source_id = f"SRC{counter:07d}"
        world.sources.append(SourceRecord(source_id, kind, name, date, reliability))
        return source_id

    for soldier in world.soldiers:
        if soldier.fate == "alive":
            continue
        event = events[soldier.event_id]
        place = event.place.name_ru if soldier.side == "ru" else event.place.name_uk
        notice_date = soldier.fate_date + dt.timedelta(days=rng.randrange(10, 60))
        # The unit writes "killed" for most of the dead and some of the detained; "missing" for the rest.
        unit_says = (
            "dead" if (soldier.fate == "dead" and rng.random() < 0.6) or rng.random() < 0.1 else "missing"
        )
        names = SOURCE_NAMES[soldier.side]
        said = CIRCUMSTANCES[soldier.side]
        sid = source("unit_notice", names["unit_notice"].format(unit=soldier.unit), notice_date, "B")
        world.claims.append(ClaimRecord(sid, soldier.person_id, unit_says, soldier.fate_date, place, ""))
        if rng.random() < 0.5:
            letter_date = notice_date + dt.timedelta(days=rng.randrange(20, 120))
            sid = source("ministry_letter", names["ministry_letter"], letter_date, "B")
            world.claims.append(ClaimRecord(sid, soldier.person_id, "missing", None, "", ""))
        if soldier.fate == "dead" and rng.random() < 0.4:
            sid = source(
                "testimony", names["comrade"], notice_date + dt.timedelta(days=rng.randrange(90)), "C"
            )
            circumstances = said["buried"] if soldier.site_id else said["fell"]
            world.claims.append(
                ClaimRecord(
                    sid,
                    soldier.person_id,
                    "buried" if soldier.site_id else "dead",
                    soldier.fate_date,
                    place,
                    circumstances,
                )
            )
        if soldier.fate == "detained" and rng.random() < 0.3:
            sid = source("testimony", names["released"], notice_date + dt.timedelta(days=200), "C")
            world.claims.append(ClaimRecord(sid, soldier.person_id, "detained", None, "", said["camp"]))


def _list_row(
    soldier: Soldier, list_name: str, record_id: str, rng: random.Random, events: dict[str, Event]
) -> dict[str, str]:
    event = events[soldier.event_id]
    surname_first = rng.random() < 0.5
    split = rng.random() < 0.5
    full = (
        f"{soldier.surname} {soldier.given_name} {soldier.patronymic}"
        if surname_first
        else f"{soldier.given_name} {soldier.patronymic} {soldier.surname}"
    )
    place = event.place.name_uk if soldier.side == "ua" else event.place.name_ru
    birth_place = soldier.birth_place.name_uk if soldier.side == "ua" else soldier.birth_place.name_ru
    return {
        "record_id": record_id,
        "source": list_name,
        "full_name": "" if split else full,
        "surname": soldier.surname if split else "",
        "given_name": soldier.given_name if split else "",
        "patronymic": soldier.patronymic if split else "",
        "birth_date": _format_date(soldier.birth_date, rng.choices(("day", "month", "year"), (7, 1, 2))[0]),
        "birth_place": birth_place if rng.random() < 0.6 else "",
        "unit": soldier.unit if rng.random() < 0.7 else "",
        "rank": soldier.rank if rng.random() < 0.5 else "",
        "event_date": _format_date(soldier.fate_date, rng.choices(("day", "month"), (4, 1))[0]),
        "event_place": place if rng.random() < 0.8 else "",
    }


def _make_lists(world: World, rng: random.Random) -> None:
    """Three to five overlapping lists whose inclusion depends on the truth, with their own record ids."""
    events = {e.event_id: e for e in world.events}
    families = {f.person_id: f for f in world.families}
    lists: dict[str, list[ListRecord]] = {name: [] for name in LIST_NAMES}

    def add(list_name: str, soldier: Soldier) -> None:
        records = lists[list_name]
        record_id = f"{list_name[:3].upper()}-{len(records) + 1:07d}"
        records.append(
            ListRecord(
                list_name, record_id, soldier.person_id, _list_row(soldier, list_name, record_id, rng, events)
            )
        )

    for soldier in world.soldiers:
        if families[soldier.person_id].enquirer_id is not None:
            add("family_requests", soldier)
        if soldier.fate == "detained" and rng.random() < 0.8:
            add("prisoner_list", soldier)
        if soldier.fate == "dead":
            in_obituaries = rng.random() < 0.45
            if in_obituaries:
                add("obituaries", soldier)
                if rng.random() < 0.5:  # the media list is built largely from obituaries
                    add("media_list", soldier)
            elif rng.random() < 0.1:
                add("media_list", soldier)
            if soldier.remains_id is not None and rng.random() < 0.7:
                add("burial_records", soldier)
    world.lists = lists


def person_list_rows(world: World, list_name: str) -> list[dict[str, str]]:
    """The rows of one list in the person list format, ready for ``csv.DictWriter``."""
    return [record.row for record in world.lists[list_name]]


__all__ = ["LIST_NAMES", "generate", "person_list_rows"]
