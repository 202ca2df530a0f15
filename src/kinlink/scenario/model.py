"""Plain dataclasses describing a synthetic world and the truth behind it.

Everything here is pure data: no Django, no I/O. Extensions (list variation for linkage,
DNA for genetics) add modules that take a :class:`World` and return more data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# the person list contract, defined once in kinlink.lib and re-exported for the generator's users
from kinlink.lib.personlist import PERSON_LIST_COLUMNS as PERSON_LIST_COLUMNS


@dataclass(frozen=True, slots=True)
class Place:
    name_ru: str
    name_uk: str
    region: str
    side: str  # "front", "ru" (home town in Russia) or "ua" (home town in Ukraine)
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Event:
    """One incident in which several people went missing (an assault, a shelling)."""

    event_id: str
    name: str
    date: dt.date
    place: Place
    kind: str


@dataclass(frozen=True, slots=True)
class Site:
    """A burial or recovery place; field graves dug by locals have a wide location uncertainty."""

    site_id: str
    name: str
    kind: str  # "field_grave", "cemetery", "morgue"
    lat: float
    lon: float
    precision_m: int
    event_id: str | None


@dataclass(frozen=True, slots=True)
class Soldier:
    """A person in the world, with the truth about what happened to him."""

    person_id: str
    side: str  # "ru" or "ua": which army; names are in that side's language
    sex: str
    surname: str
    given_name: str
    patronymic: str
    given_name_key: int  # row of the given-name table (its Russian/Ukrainian/diminutive forms)
    father_name_key: int  # row of the given-name table the patronymic is built from
    birth_date: dt.date
    birth_place: Place
    unit: str
    rank: str
    branch: str
    service_number: str
    event_id: str
    fate: str  # truth: "alive", "detained", "dead"
    fate_date: dt.date
    site_id: str | None  # where the body lies, if dead and buried
    remains_id: str | None  # remains recovered from a site, if any
    brother_of: str | None = None  # person_id of a brother in the world (a hard negative for linkage)


@dataclass(frozen=True, slots=True)
class Relative:
    """A member of a missing person's family (an enquirer or a DNA donor)."""

    relative_id: str
    family_id: str
    relationship: str  # "mother", "father", "wife", "sister", "brother", "son", "daughter"
    sex: str
    full_name: str


@dataclass(frozen=True, slots=True)
class Family:
    family_id: str
    person_id: str
    relatives: tuple[Relative, ...]
    enquirer_id: str | None  # the relative who filed a tracing request, if any
    language: str  # "ru", "uk" or "en"
    channel: str  # "web", "phone", "hotline", "letter"
    request_date: dt.date | None


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """One statement by one source about one person, as the scenario's sources disagree."""

    source_id: str
    person_id: str
    fate: str  # "alive", "detained", "wounded", "missing", "dead", "buried", "identified"
    date: dt.date | None
    place: str
    circumstances: str


@dataclass(frozen=True, slots=True)
class SourceRecord:
    source_id: str
    kind: str  # registry Source kinds: unit_notice, ministry_letter, testimony, prisoner_list, ...
    name: str
    date: dt.date
    reliability: str  # "A".."F" (A: completely reliable .. F: cannot be judged)


@dataclass(frozen=True, slots=True)
class Remains:
    remains_id: str
    site_id: str
    person_id: str | None  # truth: whose remains these are (None: unrelated to any family)
    recovered: dt.date
    condition: str  # "complete", "partial", "skeletal"


@dataclass(frozen=True, slots=True)
class ListRecord:
    """One row of a published or collected list, in the person list format, with its truth."""

    list_name: str
    record_id: str
    person_id: str  # truth
    row: dict[str, str]


@dataclass(slots=True)
class World:
    seed: int
    size: int
    places: list[Place] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    soldiers: list[Soldier] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    sources: list[SourceRecord] = field(default_factory=list)
    claims: list[ClaimRecord] = field(default_factory=list)
    remains: list[Remains] = field(default_factory=list)
    lists: dict[str, list[ListRecord]] = field(default_factory=dict)

    def soldier_by_id(self) -> dict[str, Soldier]:
        return {s.person_id: s for s in self.soldiers}
