"""Realistic list variation for record linkage: the world's lists as people actually write them.

:func:`varied_lists` keeps the membership, record ids and truth of ``world.lists`` and renders every
row again the way its kind of list would: a mother's request in Cyrillic with the unit after a comma,
a Ukrainian prisoner list with Russian names in their Ukrainian forms and the surname in capitals,
obituaries with diminutives, burial records with initials, foreign media in Latin under one of several
transliteration systems (the generator's own, :mod:`kinlink.scenario.romanise`, sharing no code with
the linker). On top come typos, partial and wrong dates and missing fields. Brothers,
namesakes and common surnames (the hard negatives) come from the world itself.

Deterministic: the same world and ``seed`` give the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache

from kinlink.scenario.model import ListRecord, Soldier, World
from kinlink.scenario.names import GivenName, given_names, patronymic, surnames
from kinlink.scenario.romanise import informal_given, romanise

#: Latin systems used by foreign media, with their weights (English-language styles dominate).
MEDIA_SYSTEMS: tuple[tuple[str, float], ...] = (
    ("icao", 3.0),
    ("bgn_pcgn", 3.0),
    ("ua_2010", 2.0),
    ("loc", 1.0),
    ("gost_7_79", 0.5),
    ("german", 1.5),
    ("french", 1.0),
    ("informal", 2.0),
)


@dataclass(frozen=True, slots=True)
class VariationRates:
    """How often each kind of noise is applied (probabilities per record)."""

    surname_typo: float = 0.04
    given_typo: float = 0.02
    birth_date_typo: float = 0.04
    birth_day_month_swap: float = 0.01
    birth_year_wrong: float = 0.015
    unit_typo: float = 0.02
    patronymic_typo: float = 0.0
    #: a second, independent typo in the surname (drawn only when the first one happened)
    surname_second_typo: float = 0.0

    @classmethod
    def hard(cls) -> VariationRates:
        """Noisier lists (benchmarks): about three times the default typo rates, patronymics too."""
        return cls(
            surname_typo=0.12,
            given_typo=0.06,
            birth_date_typo=0.08,
            birth_day_month_swap=0.03,
            birth_year_wrong=0.03,
            unit_typo=0.05,
            patronymic_typo=0.08,
            surname_second_typo=0.2,
        )


@cache
def _surname_rows() -> dict[str, tuple[str, str]]:
    """Surname in either form -> (Russian form, Ukrainian form)."""
    out: dict[str, tuple[str, str]] = {}
    for row in surnames():
        out[row.ru] = (row.ru, row.uk)
        out[row.uk] = (row.ru, row.uk)
    return out


_CYRILLIC_TYPO = "аеиоуыяснтрвлкмдпгзбчшжхцюйэ"
_LATIN_TYPO = "aeiouynstrvlkmdpgzbchjx"


def _typo(text: str, rng: random.Random) -> str:
    """One keyboard-style error: a letter dropped, doubled, replaced or two letters swapped."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    alphabet = _CYRILLIC_TYPO if any("\u0400" <= c <= "\u04ff" for c in text) else _LATIN_TYPO
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2:
        return text[:i] + rng.choice(alphabet) + text[i + 1 :]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def _date(day: dt.date, precision: str) -> str:
    if precision == "none":
        return ""
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def _noisy_birth_date(day: dt.date, precision: str, rates: VariationRates, rng: random.Random) -> str:
    text = _date(day, precision)
    if not text:
        return text
    roll = rng.random()
    if roll < rates.birth_year_wrong:
        return (
            _date(day.replace(year=day.year + rng.choice((-1, 1))), precision)
            if day.month * 100 + day.day != 229
            else text
        )
    roll -= rates.birth_year_wrong
    if precision == "day" and roll < rates.birth_day_month_swap and day.day <= 12:
        return f"{day.year:04d}-{day.day:02d}-{day.month:02d}"
    roll -= rates.birth_day_month_swap
    if precision == "day" and roll < rates.birth_date_typo:
        position = rng.choice((2, 3, 5, 6, 8, 9))  # a digit of year, month or day
        digit = str(rng.randrange(10))
        candidate = text[:position] + digit + text[position + 1 :]
        try:
            dt.date.fromisoformat(candidate)
        except ValueError:
            return text
        return candidate
    return text


def _transliterate(text: str, system: str) -> str:
    # the generator's own romanisation (scenario.romanise), never the linker's: the benchmark must test it
    return romanise(text, system)


class _Renderer:
    def __init__(self, world: World, rng: random.Random, rates: VariationRates) -> None:
        self.world = world
        self.rng = rng
        self.rates = rates
        self.given: tuple[GivenName, ...] = given_names()
        self.events = {e.event_id: e for e in world.events}
        self.media_pick = [s for s, _ in MEDIA_SYSTEMS], [w for _, w in MEDIA_SYSTEMS]

    # name parts in the language the list is written in
    def parts(self, soldier: Soldier, language: str) -> tuple[str, str, str]:
        ru, uk = _surname_rows().get(soldier.surname, (soldier.surname, soldier.surname))
        surname = uk if language == "uk" else ru
        given = self.given[soldier.given_name_key]
        father = self.given[soldier.father_name_key]
        side = "ua" if language == "uk" else "ru"
        return surname, given.form(side), patronymic(father, side)

    def diminutive(self, soldier: Soldier, language: str) -> str:
        given = self.given[soldier.given_name_key]
        forms = given.diminutives("ua" if language == "uk" else "ru")
        return self.rng.choice(forms) if forms else given.form("ua" if language == "uk" else "ru")

    def row(self, soldier: Soldier, record: ListRecord) -> dict[str, str]:
        rng, rates = self.rng, self.rates
        event = self.events[soldier.event_id]
        kind = record.list_name
        own = "uk" if soldier.side == "ua" else "ru"
        if kind == "prisoner_list":
            # Kept by the other side: Russian soldiers appear in Ukrainian forms, and vice versa.
            language = ("ru" if own == "uk" else "uk") if rng.random() < 0.7 else own
        elif kind == "media_list":
            language = own if rng.random() < 0.5 else ("uk" if rng.random() < 0.5 else "ru")
        else:
            language = own
        surname, given, father = self.parts(soldier, language)
        if rng.random() < rates.surname_typo:
            surname = _typo(surname, rng)
            if rates.surname_second_typo and rng.random() < rates.surname_second_typo:
                surname = _typo(surname, rng)
        if rng.random() < rates.given_typo:
            given = _typo(given, rng)
        # drawn only when asked for, so that the default rates give the same rows as before
        if rates.patronymic_typo and rng.random() < rates.patronymic_typo:
            father = _typo(father, rng)
        split = False
        unit_in_name = False
        if kind == "family_requests":
            style = rng.choices(("sgp", "gps", "split"), (5, 2, 3))[0]
            split = style == "split"
            full = f"{surname} {given} {father}" if style == "sgp" else f"{given} {father} {surname}"
            unit_in_name = not split and rng.random() < 0.3
            birth_precision = rng.choices(("day", "month", "year"), (85, 5, 10))[0]
        elif kind == "prisoner_list":
            style = rng.choices(("SGP", "sgp", "split"), (5, 3, 2))[0]
            split = style == "split"
            full = f"{surname.upper() if style == 'SGP' else surname} {given} {father}"
            birth_precision = rng.choices(("day", "year", "none"), (85, 10, 5))[0]
        elif kind == "obituaries":
            style = rng.choices(("dim", "gs", "gps", "sgp"), (3, 3, 2, 2))[0]
            if style == "dim":
                full = f"{self.diminutive(soldier, language)} {surname}"
            elif style == "gs":
                full = f"{given} {surname}"
            elif style == "gps":
                full = f"{given} {father} {surname}"
            else:
                full = f"{surname} {given} {father}"
            birth_precision = rng.choices(("day", "year", "none"), (6, 3, 1))[0]
        elif kind == "burial_records":
            style = rng.choices(("initials", "sgp", "split"), (4, 4, 2))[0]
            split = style == "split"
            full = (
                f"{surname} {given[0]}.{father[0]}." if style == "initials" else f"{surname} {given} {father}"
            )
            birth_precision = rng.choices(("day", "year", "none"), (6, 3, 1))[0]
        else:  # media_list, in Latin script
            system = rng.choices(*self.media_pick)[0]
            style = rng.choices(("gs", "sg", "gps", "dim"), (6, 2, 1, 1))[0]
            shown = self.diminutive(soldier, language) if style == "dim" else given
            if style == "gs" and rng.random() < 0.15:
                shown = self.given[soldier.given_name_key].en
                latin_given = shown
            else:
                latin_given = _transliterate(shown, system)
                if system == "informal":
                    latin_given = informal_given(latin_given, rng)
            latin_surname = _transliterate(surname, system)
            if style == "sg":
                full = f"{latin_surname} {latin_given}"
            elif style == "gps":
                full = f"{latin_given} {_transliterate(father, system)} {latin_surname}"
            else:
                full = f"{latin_given} {latin_surname}"
            birth_precision = rng.choices(("year", "day", "none"), (6, 3, 1))[0]
            surname, given, father = latin_surname, latin_given, _transliterate(father, system)
        places = (soldier.birth_place.name_uk, soldier.birth_place.name_ru)
        birth_place = places[0] if language == "uk" else places[1]
        event_place = event.place.name_uk if language == "uk" else event.place.name_ru
        if kind == "media_list":
            system = rng.choices(*self.media_pick)[0]
            birth_place = _transliterate(birth_place, system)
            event_place = _transliterate(event_place, system)
        unit = soldier.unit
        if rng.random() < rates.unit_typo:
            unit = unit[:-1] + str(rng.randrange(10))
        has_unit = kind in ("family_requests", "prisoner_list", "burial_records") and rng.random() < 0.7
        if unit_in_name and has_unit:
            full = f"{full}, {unit}"
            has_unit = False
        event_shift = rng.choice((0, 0, 0, 1, 2, 5)) if kind in ("burial_records", "obituaries") else 0
        event_day = soldier.fate_date + dt.timedelta(days=event_shift)
        return {
            "record_id": record.record_id,
            "source": kind,
            "full_name": "" if split else full,
            "surname": surname if split else "",
            "given_name": given if split else "",
            "patronymic": father if split else "",
            "birth_date": _noisy_birth_date(soldier.birth_date, birth_precision, rates, rng),
            "birth_place": birth_place if rng.random() < (0.5 if kind == "prisoner_list" else 0.75) else "",
            "unit": unit if has_unit else "",
            "rank": soldier.rank if rng.random() < 0.4 and kind != "media_list" else "",
            "event_date": _date(event_day, rng.choices(("day", "month", "none"), (6, 3, 1))[0]),
            "event_place": event_place if rng.random() < 0.6 else "",
        }


def varied_lists(world: World, seed: int = 0, rates: VariationRates | None = None) -> list[ListRecord]:
    """All records of all the world's lists, re-rendered with realistic variation; truth kept per record."""
    rng = random.Random(world.seed * 1_000_003 + seed)
    renderer = _Renderer(world, rng, rates or VariationRates())
    soldiers = world.soldier_by_id()
    out: list[ListRecord] = []
    for list_name, records in world.lists.items():
        for record in records:
            row = renderer.row(soldiers[record.person_id], record)
            out.append(ListRecord(list_name, record.record_id, record.person_id, row))
    return out


__all__ = ["MEDIA_SYSTEMS", "VariationRates", "varied_lists"]
