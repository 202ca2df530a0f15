"""Name tables for the synthetic world: Russian and Ukrainian given names, surnames, places.

The tables in ``data/`` were written for kinlink from common-knowledge frequency ranks of Russian
and Ukrainian names; they are synthetic-world inputs, not an authoritative name dictionary.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from kinlink.scenario.model import Place


@dataclass(frozen=True, slots=True)
class GivenName:
    ru: str
    uk: str
    en: str
    ru_diminutives: tuple[str, ...]
    uk_diminutives: tuple[str, ...]
    weight: float

    def form(self, side: str) -> str:
        return self.uk if side == "ua" else self.ru

    def diminutives(self, side: str) -> tuple[str, ...]:
        return self.uk_diminutives if side == "ua" else self.ru_diminutives


@dataclass(frozen=True, slots=True)
class Surname:
    ru: str
    uk: str
    weight: float

    def form(self, side: str) -> str:
        return self.uk if side == "ua" else self.ru


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("kinlink.scenario").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def given_names() -> tuple[GivenName, ...]:
    return tuple(
        GivenName(
            ru=r["ru"],
            uk=r["uk"],
            en=r["en"],
            ru_diminutives=tuple(x for x in r["ru_diminutives"].split(";") if x),
            uk_diminutives=tuple(x for x in r["uk_diminutives"].split(";") if x),
            weight=float(r["weight"]),
        )
        for r in _rows("given_names.csv")
    )


@cache
def surnames() -> tuple[Surname, ...]:
    return tuple(Surname(ru=r["ru"], uk=r["uk"], weight=float(r["weight"])) for r in _rows("surnames.csv"))


@cache
def places() -> tuple[Place, ...]:
    return tuple(
        Place(
            name_ru=r["name_ru"],
            name_uk=r["name_uk"],
            region=r["region"],
            side=r["side"],
            lat=float(r["lat"]),
            lon=float(r["lon"]),
        )
        for r in _rows("places.csv")
    )


_RU_ENDINGS = (("ий", "иевич"), ("ей", "еевич"), ("ай", "аевич"), ("ья", "ьич"), ("а", "ич"), ("й", "евич"))
_UK_ENDINGS = (("ій", "ійович"), ("ь", "ьович"), ("о", "ович"), ("а", "ич"), ("й", "йович"))


def patronymic(father: GivenName, side: str) -> str:
    """The male patronymic built from a father's given name (Пётр → Петрович, Микола → Миколайович)."""
    special = {
        "Пётр": "Петрович",
        "Михаил": "Михайлович",
        "Юрий": "Юрьевич",
        "Василий": "Васильевич",
        "Анатолий": "Анатольевич",
        "Геннадий": "Геннадьевич",
        "Виталий": "Витальевич",
        "Валерий": "Валерьевич",
        "Григорий": "Григорьевич",
        "Евгений": "Евгеньевич",
        "Игорь": "Игоревич",
        "Павел": "Павлович",
        "Лев": "Львович",
        "Илья": "Ильич",
        "Никита": "Никитич",
        "Фёдор": "Фёдорович",
        "Микола": "Миколайович",
        "Ілля": "Ілліч",
        "Микита": "Микитович",
        "Федір": "Федорович",
        "Петро": "Петрович",
        "Павло": "Павлович",
        "Григорій": "Григорович",
        "Кирило": "Кирилович",
        "Дмитро": "Дмитрович",
        "Михайло": "Михайлович",
        "Данило": "Данилович",
        "Олексій": "Олексійович",
        "Сергій": "Сергійович",
    }
    name = father.form(side)
    if name in special:
        return special[name]
    for ending, suffix in _UK_ENDINGS if side == "ua" else _RU_ENDINGS:
        if name.endswith(ending):
            return name[: -len(ending)] + suffix
    return name + "ович"
