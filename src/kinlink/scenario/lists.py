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

#: Harsher media (``VariationRates.harsh``): Polish and Czech press spellings join in, where CH is Х.
HARSH_MEDIA_SYSTEMS: tuple[tuple[str, float], ...] = (*MEDIA_SYSTEMS, ("polish", 1.5), ("czech", 1.0))

#: Colloquial forms that families and obituaries use beside the table's diminutives (harsh lists), by
#: the Russian form of the name: (Russian forms, Ukrainian forms). Written for the generator from
#: common usage; the linker's name table is a separate file and was not consulted.
COLLOQUIAL: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Александр": (("Санёк", "Шурик", "Саня", "Алекс"), ("Сашко", "Олесь", "Санько")),
    "Сергей": (("Серж", "Серый", "Серёга"), ("Сергійко", "Сергій")),
    "Дмитрий": (("Димон", "Митя", "Димка"), ("Дмитрик", "Дімон", "Діма")),
    "Андрей": (("Андрюха", "Андрюша"), ("Андрійко", "Андрусь")),
    "Алексей": (("Лёха", "Алёша", "Лёша"), ("Олекса", "Льоха", "Льоша")),
    "Максим": (("Макс", "Максимка"), ("Макс", "Максимко")),
    "Евгений": (("Жека", "Женя", "Евгеша"), ("Женя", "Жека")),
    "Иван": (("Ванёк", "Ванюша", "Ваня"), ("Івась", "Іванко")),
    "Михаил": (("Мишаня", "Миша", "Мишка"), ("Михась", "Михайлик")),
    "Николай": (("Колян", "Коля", "Колька"), ("Миколка", "Микола")),
    "Владимир": (("Вован", "Вова", "Володя"), ("Володя", "Влодко")),
    "Артём": (("Тёма", "Артёмка"), ("Тьома", "Артемко")),
    "Павел": (("Паша", "Павлик", "Пашка"), ("Павлусь", "Павлик")),
    "Роман": (("Рома", "Ромка", "Ромчик"), ("Ромко", "Рома")),
    "Виктор": (("Витя", "Витёк"), ("Вітя", "Вітьок")),
    "Юрий": (("Юра", "Юрка"), ("Юрко", "Юра")),
    "Игорь": (("Игорёк", "Гоша"), ("Ігорко", "Ігорьок")),
    "Антон": (("Антоха", "Антоша"), ("Антось", "Антоша")),
    "Кирилл": (("Кирюха", "Киря"), ("Кирилко", "Кирюша")),
    "Илья": (("Илюха", "Илюша"), ("Іллюша", "Ілько")),
    "Константин": (("Костя", "Костян"), ("Костик", "Костя")),
    "Василий": (("Вася", "Васёк"), ("Василько", "Вася")),
    "Пётр": (("Петя", "Петька"), ("Петрусь", "Петрик")),
    "Анатолий": (("Толя", "Толян"), ("Толик", "Толя")),
    "Виталий": (("Виталик", "Виталя"), ("Віталик", "Вітасик")),
    "Станислав": (("Стас", "Стасик"), ("Стась", "Стасик")),
    "Ярослав": (("Ярик", "Славик"), ("Ярко", "Ярик")),
}

#: Given names as other-language media print them (harsh lists), by the Russian form.
FOREIGN_GIVEN: dict[str, dict[str, str]] = {
    "german": {"Александр": "Alexander", "Сергей": "Sergej", "Дмитрий": "Dmitrij", "Евгений": "Jewgeni",
               "Алексей": "Alexej", "Юрий": "Juri", "Михаил": "Michail", "Николай": "Nikolai",
               "Пётр": "Peter", "Павел": "Paul", "Фёдор": "Fjodor", "Андрей": "Andrej"},
    "french": {"Александр": "Alexandre", "Сергей": "Serge", "Дмитрий": "Dimitri", "Евгений": "Evgueni",
               "Алексей": "Alexis", "Юрий": "Iouri", "Михаил": "Mikhaïl", "Николай": "Nicolas",
               "Пётр": "Pierre", "Павел": "Paul", "Фёдор": "Fiodor", "Андрей": "André"},
    "polish": {"Александр": "Aleksander", "Сергей": "Siergiej", "Дмитрий": "Dymitr", "Евгений": "Eugeniusz",
               "Алексей": "Aleksy", "Юрий": "Jerzy", "Михаил": "Michał", "Николай": "Mikołaj",
               "Пётр": "Piotr", "Павел": "Paweł", "Фёдор": "Teodor", "Андрей": "Andrzej"},
    "czech": {"Александр": "Alexandr", "Сергей": "Sergej", "Дмитрий": "Dmitrij", "Евгений": "Jevgenij",
              "Алексей": "Alexej", "Юрий": "Jurij", "Михаил": "Michail", "Николай": "Nikolaj",
              "Пётр": "Petr", "Павел": "Pavel", "Фёдор": "Fjodor", "Андрей": "Andrej"},
}  # fmt: skip

#: OCR confusions of scanned lists (harsh lists): Cyrillic letters read as Latin look-alikes, and
#: letter pairs a scanner mistakes for one another.
_HOMOGLYPHS = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "к": "k",
               "А": "A", "Е": "E", "О": "O", "Р": "P", "С": "C", "Х": "X", "К": "K", "М": "M", "Т": "T",
               "Н": "H", "В": "B", "І": "I"}  # fmt: skip
_OCR_PAIRS = (("m", "rn"), ("rn", "m"), ("cl", "d"), ("u", "ii"), ("и", "н"), ("н", "и"), ("ш", "щ"),
              ("щ", "ш"), ("п", "н"), ("ь", "ъ"), ("л", "д"), ("e", "c"))  # fmt: skip


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
    # The kinds below are drawn only when their rate is above zero (the default lists stay as they were).
    #: the patronymic left out of a record that would carry one
    patronymic_missing: float = 0.0
    #: the birth date left out (on top of each list's own share of records without one)
    birth_date_missing: float = 0.0
    #: a full birth date cut to its year or month
    birth_date_partial: float = 0.0
    #: dates written as DD.MM.YYYY, DD/MM/YYYY, D.M.YYYY, YYYY.MM.DD, MM.YYYY ... instead of ISO
    date_format: float = 0.0
    #: surname and given name exchanged: in the split columns, or written in the other order
    name_order_swap: float = 0.0
    #: a scanned list: Cyrillic letters read as Latin look-alikes, or letters mistaken for one another
    ocr: float = 0.0
    #: a colloquial form of the given name (Санёк, Жека, Колян) where the list would print the full one
    colloquial_given: float = 0.0
    #: a record in mixed language: the given name in the other language's form (Олександр Петров)
    language_mix: float = 0.0
    #: a foreign form of the given name in media (Sergej, Dimitri, Piotr, Jerzy)
    foreign_given: float = 0.0
    #: a second typo in the given name (drawn only when the first one happened)
    given_second_typo: float = 0.0
    #: media also use Polish and Czech spellings (:data:`HARSH_MEDIA_SYSTEMS`)
    wider_media_systems: bool = False

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

    @classmethod
    def harsh(cls) -> VariationRates:
        """:meth:`hard` plus what other people's lists do that ours did not: missing patronymics and
        dates, partial dates, dates in local formats, swapped name order, OCR confusions, colloquial and
        foreign given names, mixed Russian/Ukrainian forms, Polish and Czech spellings, double typos."""
        return cls(
            surname_typo=0.12,
            given_typo=0.08,
            birth_date_typo=0.08,
            birth_day_month_swap=0.03,
            birth_year_wrong=0.03,
            unit_typo=0.05,
            patronymic_typo=0.1,
            surname_second_typo=0.25,
            patronymic_missing=0.25,
            birth_date_missing=0.1,
            birth_date_partial=0.1,
            date_format=0.3,
            name_order_swap=0.05,
            ocr=0.04,
            colloquial_given=0.3,
            language_mix=0.1,
            foreign_given=0.3,
            given_second_typo=0.15,
            wider_media_systems=True,
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


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _swap_words(full: str, given: str, surname: str) -> str:
    """``full`` with the words ``surname`` and ``given`` (already exchanged by the caller) exchanged."""
    if not full or not given or not surname or given not in full or surname not in full:
        return full  # "Бойко С.А.": the given name is only an initial, and the order stays
    marker = "\x00"
    return full.replace(given, marker, 1).replace(surname, given, 1).replace(marker, surname, 1)


def _ocr(text: str, rng: random.Random) -> str:
    """A scanner's misreading: a few Cyrillic letters as Latin look-alikes, or one confused letter pair."""
    if not text:
        return text
    if rng.random() < 0.5 and any(c in _HOMOGLYPHS for c in text):
        positions = [i for i, c in enumerate(text) if c in _HOMOGLYPHS]
        for i in rng.sample(positions, min(len(positions), rng.randint(1, 3))):
            text = text[:i] + _HOMOGLYPHS[text[i]] + text[i + 1 :]
        return text
    found = [(a, b) for a, b in _OCR_PAIRS if a in text[1:]]
    if not found:
        return text
    a, b = rng.choice(found)
    i = text.index(a, 1)
    return text[:i] + b + text[i + len(a) :]


#: Local ways of writing a date; each takes (year, month or "", day or "").
_DATE_STYLES = ("dd.mm.yyyy", "dd/mm/yyyy", "d.m.yyyy", "yyyy.mm.dd", "dd-mm-yyyy", "yyyy/mm/dd")


def _local_date(iso: str, style_index: int) -> str:
    """An ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) in a local writing; a year stays a year."""
    if len(iso) < 7:
        return iso
    style = _DATE_STYLES[style_index]
    year, month = iso[:4], iso[5:7]
    if len(iso) == 7:
        # a month: MM.YYYY or MM/YYYY
        return f"{month}/{year}" if "/" in style else f"{month}.{year}"
    day = iso[8:10]
    if style == "d.m.yyyy":
        return f"{int(day)}.{int(month)}.{year}"
    if style.startswith("yyyy"):
        separator = style[4]
        return f"{year}{separator}{month}{separator}{day}"
    separator = style[2]
    return f"{day}{separator}{month}{separator}{year}"


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
        systems = HARSH_MEDIA_SYSTEMS if rates.wider_media_systems else MEDIA_SYSTEMS
        self.media_pick = [s for s, _ in systems], [w for _, w in systems]

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
        colloquial = COLLOQUIAL.get(given.ru)
        if self.rates.colloquial_given and colloquial and self.rng.random() < self.rates.colloquial_given:
            return self.rng.choice(colloquial[1 if language == "uk" else 0])
        forms = given.diminutives("ua" if language == "uk" else "ru")
        return self.rng.choice(forms) if forms else given.form("ua" if language == "uk" else "ru")

    def mixed_given(self, soldier: Soldier, language: str) -> str:
        """The given name in the other language's form (a Ukrainian list writing Александр)."""
        return self.given[soldier.given_name_key].form("ru" if language == "uk" else "ua")

    def foreign_given(self, soldier: Soldier, system: str) -> str | None:
        forms = FOREIGN_GIVEN.get(system, {})
        return forms.get(self.given[soldier.given_name_key].ru)

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
        if rates.language_mix and rng.random() < rates.language_mix:
            given = self.mixed_given(soldier, language)
        if rng.random() < rates.given_typo:
            given = _typo(given, rng)
            if rates.given_second_typo and rng.random() < rates.given_second_typo:
                given = _typo(given, rng)
        # drawn only when asked for, so that the default rates give the same rows as before
        if rates.patronymic_typo and rng.random() < rates.patronymic_typo:
            father = _typo(father, rng)
        if rates.patronymic_missing and rng.random() < rates.patronymic_missing:
            father = ""
        split = False
        unit_in_name = False
        if kind == "family_requests":
            style = rng.choices(("sgp", "gps", "split"), (5, 2, 3))[0]
            split = style == "split"
            full = _join(surname, given, father) if style == "sgp" else _join(given, father, surname)
            unit_in_name = not split and rng.random() < 0.3
            birth_precision = rng.choices(("day", "month", "year"), (85, 5, 10))[0]
        elif kind == "prisoner_list":
            style = rng.choices(("SGP", "sgp", "split"), (5, 3, 2))[0]
            split = style == "split"
            full = _join(surname.upper() if style == "SGP" else surname, given, father)
            birth_precision = rng.choices(("day", "year", "none"), (85, 10, 5))[0]
        elif kind == "obituaries":
            style = rng.choices(("dim", "gs", "gps", "sgp"), (3, 3, 2, 2))[0]
            if style == "dim":
                full = f"{self.diminutive(soldier, language)} {surname}"
            elif style == "gs":
                full = f"{given} {surname}"
            elif style == "gps":
                full = _join(given, father, surname)
            else:
                full = _join(surname, given, father)
            birth_precision = rng.choices(("day", "year", "none"), (6, 3, 1))[0]
        elif kind == "burial_records":
            style = rng.choices(("initials", "sgp", "split"), (4, 4, 2))[0]
            split = style == "split"
            initials = f"{given[0]}.{father[0]}." if father else f"{given[0]}."
            full = f"{surname} {initials}" if style == "initials" else _join(surname, given, father)
            birth_precision = rng.choices(("day", "year", "none"), (6, 3, 1))[0]
        else:  # media_list, in Latin script
            system = rng.choices(*self.media_pick)[0]
            style = rng.choices(("gs", "sg", "gps", "dim"), (6, 2, 1, 1))[0]
            shown = self.diminutive(soldier, language) if style == "dim" else given
            foreign = self.foreign_given(soldier, system) if rates.foreign_given else None
            if style == "gs" and rng.random() < 0.15:
                shown = self.given[soldier.given_name_key].en
                latin_given = shown
            elif foreign and style in ("gs", "sg") and rng.random() < rates.foreign_given:
                latin_given = foreign
            else:
                latin_given = _transliterate(shown, system)
                if system == "informal":
                    latin_given = informal_given(latin_given, rng)
            latin_surname = _transliterate(surname, system)
            if style == "sg":
                full = f"{latin_surname} {latin_given}"
            elif style == "gps":
                full = _join(latin_given, _transliterate(father, system), latin_surname)
            else:
                full = f"{latin_given} {latin_surname}"
            birth_precision = rng.choices(("year", "day", "none"), (6, 3, 1))[0]
            surname, given, father = latin_surname, latin_given, _transliterate(father, system)
        if rates.name_order_swap and rng.random() < rates.name_order_swap:
            # surname and given name exchanged: in the columns, or in the written name
            surname, given = given, surname
            full = _swap_words(full, given, surname)
        if rates.ocr and rng.random() < rates.ocr:
            full, surname = _ocr(full, rng), _ocr(surname, rng)
        if rates.birth_date_partial and birth_precision == "day" and rng.random() < rates.birth_date_partial:
            birth_precision = rng.choice(("year", "month"))
        if rates.birth_date_missing and rng.random() < rates.birth_date_missing:
            birth_precision = "none"
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
        # drawn in the order the rows have always used, so that the default lists stay the same
        birth_text = _noisy_birth_date(soldier.birth_date, birth_precision, rates, rng)
        birth_place = birth_place if rng.random() < (0.5 if kind == "prisoner_list" else 0.75) else ""
        rank = soldier.rank if rng.random() < 0.4 and kind != "media_list" else ""
        event_text = _date(event_day, rng.choices(("day", "month", "none"), (6, 3, 1))[0])
        event_place = event_place if rng.random() < 0.6 else ""
        if rates.date_format and rng.random() < rates.date_format:
            writing = rng.randrange(len(_DATE_STYLES))
            birth_text, event_text = _local_date(birth_text, writing), _local_date(event_text, writing)
        return {
            "record_id": record.record_id,
            "source": kind,
            "full_name": "" if split else full,
            "surname": surname if split else "",
            "given_name": given if split else "",
            "patronymic": father if split else "",
            "birth_date": birth_text,
            "birth_place": birth_place,
            "unit": unit if has_unit else "",
            "rank": rank,
            "event_date": event_text,
            "event_place": event_place,
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


__all__ = [
    "COLLOQUIAL",
    "FOREIGN_GIVEN",
    "HARSH_MEDIA_SYSTEMS",
    "MEDIA_SYSTEMS",
    "VariationRates",
    "varied_lists",
]
