"""Name normalisation for people written in Cyrillic or Latin script, in Russian or Ukrainian form.

Three keys are made from every name token, all plain ASCII:

* the **skeleton** (:func:`name_skeleton`): the token romanised, then folded so that the common
  transliteration systems (ICAO, BGN/PCGN, GOST 7.79, Library of Congress, Ukraine 2010, German and
  French press styles) agree: «Шевчук», "Shevchuk", "Schewtschuk", "Chevtchouk" and "Ševčuk" all give
  ``xevcuk``. Г/Х and G/H/KH fold together (Ukrainian "Hryhorii" = Russian "Grigorii"), И/Ы/Й/І/Ї and
  I/Y/J fold to ``i``, Е/Ё/Є/Э and E/YE/IE/YO to ``e``, and З/С/Ц to ``s``/``q``.
* the **phonetic key** (:func:`phonetic_key`): the skeleton without vowels after the first letter,
  with all sibilants in one class and voiced/voiceless pairs merged, in the spirit of
  Daitch–Mokotoff soundex but tuned to Slavic spellings ("Kovalov" = "Kovalev" = "Kowaljow").
* the **given-name key** (:func:`given_name_keys`): the Russian form of a given name, found through
  the table in ``data/given_names.csv`` from its Ukrainian form, its diminutives and its Latin
  forms («Олександр», «Саша», "Sasha", "Oleksandr", "Alexander" → ``aleksandr``).

Full names are parsed in any order (:func:`parse_full_name`). Search helpers (:func:`search_keys`,
:func:`name_matches`) let a registry find «Иванов», "Ivanov" and "Iwanow" with one query.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from rapidfuzz.distance import JaroWinkler

#: Distinct tokens whose keys each per-token function keeps (a list of 10^6 names has some 10^5 words).
_TOKEN_CACHE = 1 << 18

#: The transliteration systems in ``data/transliteration.csv``, in column order.
SYSTEMS: tuple[str, ...] = ("icao", "bgn_pcgn", "gost_7_79", "loc", "ua_2010", "german", "french")

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_UKRAINIAN_LETTERS = re.compile(r"[іїєґІЇЄҐ]")
_RUSSIAN_LETTERS = re.compile(r"[ыэъёЫЭЪЁ]")
_VOWELS_CYR = set("аеёиоуыэюяієїАЕЁИОУЫЭЮЯІЄЇ")
_APOSTROPHES = "'’ʼ`´ʹʺ\""

# Diacritics of the scholarly systems, folded to their usual ASCII digraphs before anything else.
_DIACRITIC_FOLD = {
    "ž": "zh",
    "č": "ch",
    "š": "sh",
    "ŝ": "shch",
    "ë": "e",
    "è": "e",
    "ê": "ie",
    "ì": "i",
    "ï": "i",
    "û": "iu",
    "â": "ia",
    "ĭ": "i",
    "ė": "e",
    "ß": "ss",
    "ä": "a",
    "ö": "o",
    "ü": "u",
    "ł": "l",
    "ś": "s",
    "ź": "z",
    "ż": "zh",
    "ć": "ch",
    "ń": "n",
}

_GERMAN = re.compile(r"schtsch|tsch|sch|ch|z|w|j")
_GERMAN_MAP = {"schtsch": "shch", "tsch": "ch", "sch": "sh", "ch": "kh", "z": "ts", "w": "v", "j": "y"}
_FRENCH = re.compile(r"chtch|tch|ch|ou|j|gu(?=[eiy])")
_FRENCH_MAP = {"chtch": "shch", "tch": "ch", "ch": "sh", "ou": "u", "j": "zh", "gu": "g"}
_POLISH = re.compile(r"szcz|sz|cz|ch|w|j|c(?!h)")
_POLISH_MAP = {"szcz": "shch", "sz": "sh", "cz": "ch", "ch": "kh", "w": "v", "j": "y", "c": "ts"}
_UNIVERSAL = re.compile(r"shch|sh|zh|ch|kh|ts|tz|ph|x|w|q|c|g|h|z|j|y")
_UNIVERSAL_MAP = {
    "shch": "W",
    "sh": "X",
    "zh": "X",  # German writes Ж and Ш alike (sch), so they share a class
    "ch": "C",
    "kh": "H",
    "ts": "Q",
    "tz": "Q",
    "ph": "f",
    "x": "ks",
    "w": "v",
    "q": "k",
    "c": "Q",
    "g": "H",
    "h": "H",
    "z": "s",
    "j": "i",
    "y": "i",
}
_IOTATED = re.compile(r"i[eoau]")
_IOTATED_MAP = {"ie": "e", "io": "e", "ia": "a", "iu": "u"}
_DOUBLES = re.compile(r"(.)\1+")
_PHONETIC_CLASS = str.maketrans(
    {"w": "s", "x": "s", "j": "s", "c": "s", "q": "s", "b": "p", "d": "t", "v": "f"}
)


# Letters that look alike in Cyrillic and Latin print: a scanned or hand-keyed list mixes them in one word.
_LATIN_TO_CYRILLIC = str.maketrans("aeopcxyikmthbAEOPCXKMTHBI", "аеорсхуікмтнвАЕОРСХКМТНВІ")
_CYRILLIC_TO_LATIN = str.maketrans("аеорсхуікмтнвАЕОРСХКМТНВІ", "aeopcxyikmthbAEOPCXKMTHBI")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=_TOKEN_CACHE)
def fold_homoglyphs(token: str) -> str:
    """One script for a word written in two: Latin look-alikes in a Cyrillic word become Cyrillic
    («Петренкo» with a Latin o, «Мельниk»), Cyrillic look-alikes in a Latin word become Latin. The
    script with more letters in the word wins; a word in one script is returned unchanged."""
    cyrillic = len(_CYRILLIC.findall(token))
    if not cyrillic:
        return token
    latin = len(_LATIN_LETTER.findall(token))
    if not latin:
        return token
    return token.translate(_LATIN_TO_CYRILLIC if cyrillic >= latin else _CYRILLIC_TO_LATIN)


def is_cyrillic(text: str) -> bool:
    """True when the text holds at least one Cyrillic letter."""
    return bool(_CYRILLIC.search(text))


def guess_language(text: str) -> str:
    """``"uk"`` when the Cyrillic text has a letter only Ukrainian uses (і ї є ґ), else ``"ru"``."""
    return "uk" if _UKRAINIAN_LETTERS.search(text) else "ru"


@cache
def _tables() -> dict[str, dict[str, dict[str, tuple[str, str]]]]:
    """Per language, per system: Cyrillic letter -> (form at word start, form elsewhere)."""

    def read(name: str) -> list[dict[str, str]]:
        text = resources.files("kinlink.linkage").joinpath("data", name).read_text(encoding="utf-8")
        return list(csv.DictReader(text.splitlines()))

    def parse(rows: list[dict[str, str]]) -> dict[str, dict[str, tuple[str, str]]]:
        out: dict[str, dict[str, tuple[str, str]]] = {system: {} for system in SYSTEMS}
        for row in rows:
            for system in SYSTEMS:
                cell = row[system] or ""
                initial, _, other = cell.partition("/")
                out[system][row["cyrillic"]] = (initial, other if _ else initial)
        return out

    base = parse(read("transliteration.csv"))
    overrides = parse(read("transliteration_uk.csv"))
    uk = {system: {**base[system], **overrides[system]} for system in SYSTEMS}
    return {"ru": base, "uk": uk}


@lru_cache(maxsize=_TOKEN_CACHE)
def transliterate(text: str, system: str = "icao", language: str | None = None) -> str:
    """Romanise Cyrillic ``text`` under one of :data:`SYSTEMS` (Latin characters pass through).

    ``language`` is ``"ru"`` or ``"uk"``; by default it is guessed from the letters. The output keeps the
    system's own diacritics (GOST 7.79 gives "Ševčuk"); use :func:`to_ascii` for a plain ASCII form.
    """
    if system not in SYSTEMS:
        raise ValueError(f"unknown transliteration system {system!r}; known: {', '.join(SYSTEMS)}")
    table = _tables()[language or guess_language(text)][system]
    out: list[str] = []
    previous = ""
    for index, char in enumerate(text):
        lower = char.lower()
        forms = table.get(lower)
        if forms is None:
            out.append(char)
            previous = char
            continue
        word_start = not previous.isalpha() or previous in _APOSTROPHES
        after_vowel = previous.lower() in _VOWELS_CYR or previous.lower() in "ьъ"
        form = forms[0] if (word_start or (system == "bgn_pcgn" and after_vowel)) else forms[1]
        if (
            system == "french"
            and form == "g"
            and index + 1 < len(text)
            and text[index + 1].lower() in "еиіыэ"
        ):
            form = "gu"
        if char.isupper() and form:
            following = text[index + 1] if index + 1 < len(text) else ""
            form = form.upper() if following.isupper() else form[0].upper() + form[1:]
        out.append(form)
        previous = char
    return "".join(out)


@lru_cache(maxsize=_TOKEN_CACHE)
def to_ascii(text: str) -> str:
    """Latin (or Cyrillic, through ICAO) text to plain ASCII, lower case, diacritics folded to digraphs."""
    if is_cyrillic(text):
        text = transliterate(text, "icao")
    lowered = unicodedata.normalize("NFC", text.lower())
    folded = "".join(_DIACRITIC_FOLD.get(char, char) for char in lowered)
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    if not stripped.isascii():
        from anyascii import anyascii

        stripped = anyascii(stripped).lower()
    return stripped


def _latin_style(token: str) -> str:
    """Guess the press style of a Latin rendering: ``"pl"`` (sz, cz, ż, ł), ``"cs"`` (š, č, ž: Czech and
    the scholarly systems, where CH can only be Х), ``"fr"``, ``"de"`` or ``"en"`` (the default)."""
    if re.search(r"sz|cz|[żłśćń]", token) and "sch" not in token:
        return "pl"
    if re.search(r"[šžčŝ]", token):
        return "cs"
    if re.search(r"ou|tch|ï|gu[eiy]", token):
        return "fr"
    if re.search(r"sch|w|tz|j", token) and not re.search(r"[šžčŝ]", token):
        return "de"
    return "en"


def _cyrillic_for_keys(token: str) -> str:
    """Cyrillic spelling rules that keys should ignore: ё is е, Ukrainian ьо/йо is Russian ё."""
    return re.sub(r"[ьй]о", "ё", token.lower()).replace("ё", "е")


@cache
def name_skeleton(token: str, style: str | None = None) -> str:
    """The ASCII skeleton of one name token; equal for its renderings in every common system.

    Letters stand for sound classes: ``w`` Щ, ``x`` Ш and Ж, ``c`` Ч, ``q`` Ц, ``h`` Г/Х, ``s`` С/З.
    Non-letters are dropped; an empty string means the token had no letters. ``style`` reads a Latin
    token as ``"de"``, ``"fr"``, ``"pl"``, ``"cs"`` or ``"en"`` press style instead of guessing it
    (:func:`_latin_style`). A word mixing look-alike letters of both scripts is read in its main script.
    """
    token = fold_homoglyphs(token)
    if is_cyrillic(token):
        text = to_ascii(transliterate(_cyrillic_for_keys(token), "icao"))
        style = "en"
    else:
        style = style or _latin_style(token.lower())
        lowered = token.lower()
        if style == "cs":
            # Czech CH is Х, and must not meet the CH that Č folds to
            lowered = lowered.replace("ch", "kh")
        elif style == "pl":
            # one pass, before ż and ć fold to zh and ch: CZ is Ч, CH is Х
            lowered = _POLISH.sub(lambda m: _POLISH_MAP[m.group()], lowered)
        text = to_ascii(lowered)
    text = re.sub(r"[^a-z]", "", text)
    if style == "de":
        text = _GERMAN.sub(lambda m: _GERMAN_MAP[m.group()], text)
    elif style == "fr":
        text = _FRENCH.sub(lambda m: _FRENCH_MAP[m.group()], text)
    text = _UNIVERSAL.sub(lambda m: _UNIVERSAL_MAP[m.group()], text).lower()
    text = _DOUBLES.sub(r"\1", text)
    text = _IOTATED.sub(lambda m: _IOTATED_MAP[m.group()], text)
    return _DOUBLES.sub(r"\1", text)


@cache
def phonetic_key(token: str) -> str:
    """A coarse sound key of one name token: first letter, then consonant classes without vowels.

    Vowel-initial names start with ``a`` (Олександр and Aleksandr share a key). Sibilants form one
    class; b/p, d/t and v/f merge. Coarser than the skeleton: used for blocking and a weaker agreement.
    """
    skeleton = name_skeleton(token)
    if not skeleton:
        return ""
    head = "a" if skeleton[0] in "aeiou" else skeleton[0].translate(_PHONETIC_CLASS)
    tail = re.sub(r"[aeiou]", "", skeleton[1:]).translate(_PHONETIC_CLASS)
    return _DOUBLES.sub(r"\1", head + tail)


# --- given names, diminutives and patronymics -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GivenNameEntry:
    """One row of ``data/given_names.csv``: a name in its Russian and Ukrainian forms."""

    ru: str
    uk: str
    sex: str
    diminutives: tuple[str, ...]
    latin_forms: tuple[str, ...]
    patronymic_ru: str
    patronymic_uk: str

    @property
    def key(self) -> str:
        """The canonical key: the skeleton of the Russian form."""
        return name_skeleton(self.ru)


def _read_given_names() -> tuple[GivenNameEntry, ...]:
    text = resources.files("kinlink.linkage").joinpath("data", "given_names.csv").read_text(encoding="utf-8")
    entries = []
    for row in csv.DictReader(text.splitlines()):
        entries.append(
            GivenNameEntry(
                ru=row["ru"],
                uk=row["uk"],
                sex=row["sex"],
                diminutives=tuple(x for x in row["diminutives"].split(";") if x),
                latin_forms=tuple(x for x in row["latin_forms"].split(";") if x),
                patronymic_ru=row["patronymic_ru"],
                patronymic_uk=row["patronymic_uk"],
            )
        )
    return tuple(entries)


@cache
def given_name_table() -> tuple[GivenNameEntry, ...]:
    """All rows of the given-name table, in file order."""
    return _read_given_names()


def _renderings(cyrillic: str) -> set[str]:
    """A Cyrillic form under every transliteration system, for both language readings."""
    out = {cyrillic}
    for language in ("ru", "uk"):
        for system in SYSTEMS:
            out.add(transliterate(cyrillic, system, language))
    return out


_PatronymicRules = tuple[tuple[str, tuple[str, ...]], ...]
_RU_PATRONYMIC: _PatronymicRules = (
    ("ий", ("ьевич", "иевич")),
    ("ей", ("еевич",)),
    ("ай", ("аевич",)),
    ("ья", ("ьич",)),
    ("а", ("ич",)),
    ("ь", ("евич",)),
    ("й", ("евич",)),
)
_UK_PATRONYMIC: _PatronymicRules = (
    ("ій", ("ійович",)),
    ("ь", ("ьович",)),
    ("о", ("ович",)),
    ("а", ("ович", "ич")),
    ("й", ("йович",)),
)


def male_patronymics(entry: GivenNameEntry) -> set[str]:
    """Male patronymics built from a father's name, Russian and Ukrainian (Пётр → Петрович)."""
    forms: set[str] = set()
    for name, irregular, rules in (
        (entry.ru, entry.patronymic_ru, _RU_PATRONYMIC),
        (entry.uk, entry.patronymic_uk, _UK_PATRONYMIC),
    ):
        if irregular:
            forms.add(irregular)
        stem_rules = [suffixes for ending, suffixes in rules if name.endswith(ending)]
        if stem_rules:
            ending = next(ending for ending, _ in rules if name.endswith(ending))
            forms.update(name[: -len(ending)] + suffix for suffix in stem_rules[0])
        else:
            forms.add(name + "ович")
    return {form.replace("ё", "е") for form in forms} | forms


def female_patronymics(male: str) -> set[str]:
    """The daughter's patronymics from the son's, Russian and Ukrainian (Петрович → Петровна, Петрівна)."""
    forms: set[str] = set()
    for ending, russian, ukrainian in (
        ("йович", "йовна", "ївна"),
        ("ьович", "ьовна", "івна"),
        ("ович", "овна", "івна"),
        ("евич", "евна", "івна"),
        ("ич", "ична", "ічна"),
    ):
        if male.endswith(ending):
            stem = male[: -len(ending)]
            forms.update((stem + russian, stem + ukrainian))
            break
    if male == "Ильич":
        forms.add("Ильинична")
    return forms


@dataclass(frozen=True, slots=True)
class _Lookups:
    given: dict[str, tuple[str, ...]]  # skeleton -> canonical keys, table order
    patronymic: dict[str, str]  # skeleton of a patronymic -> canonical key of the father's name
    native: frozenset[str]  # skeletons of the Cyrillic forms (full names, diminutives) and their renderings
    familiar: frozenset[str] = frozenset()  # skeletons of the -ка forms made by rule (never typo-repaired to)


def _familiar_forms(diminutives: Iterable[str]) -> set[str]:
    """The familiar -ка forms of short diminutives, by rule: Коля → Колька, Паша → Пашка, Дима → Димка,
    Серёжа → Серёжка (a diminutive of up to six letters ending in -я or -а)."""
    out: set[str] = set()
    for form in diminutives:
        if len(form) <= 6 and _CYRILLIC.search(form):
            if form.endswith("я"):
                out.add(form[:-1] + "ька")
            elif form.endswith("а"):
                out.add(form[:-1] + "ка")
    return out


@cache
def _lookups() -> _Lookups:
    given: dict[str, list[str]] = {}
    patronymic: dict[str, str] = {}
    native: set[str] = set()
    familiar: set[str] = set()
    for entry in given_name_table():
        key = entry.key
        forms: set[str] = set(entry.latin_forms)
        familiar_forms = _familiar_forms(entry.diminutives) - set(entry.diminutives)
        familiar.update(name_skeleton(f) for form in familiar_forms for f in _renderings(form))
        for cyrillic in (entry.ru, entry.uk, *entry.diminutives, *familiar_forms):
            renderings = _renderings(cyrillic)
            native.update(name_skeleton(form) for form in renderings)
            forms |= renderings
        for form in forms:
            skeleton = name_skeleton(form)
            if skeleton and key not in given.setdefault(skeleton, []):
                given[skeleton].append(key)
        if entry.sex != "M":
            continue
        for male in male_patronymics(entry):
            for form in _renderings(male).union(*(_renderings(f) for f in female_patronymics(male))):
                patronymic.setdefault(name_skeleton(form), key)
    # A full (Russian or Ukrainian) form of one name outranks a diminutive of another.
    for entry in given_name_table():
        for cyrillic in (entry.ru, entry.uk):
            keys = given[name_skeleton(cyrillic)]
            keys.remove(entry.key)
            keys.insert(0, entry.key)
    native.discard("")
    familiar -= {name_skeleton(form) for entry in given_name_table() for form in entry.diminutives}
    return _Lookups(
        {k: tuple(v) for k, v in given.items()}, patronymic, frozenset(native), frozenset(familiar)
    )


@lru_cache(maxsize=_TOKEN_CACHE)
def given_name_keys(token: str) -> tuple[str, ...]:
    """Canonical keys a given-name token may stand for, most likely first; empty when unknown.

    «Олександр», "Oleksandr", «Саша» → ``("aleksandr", ...)``; «Слава» → all the -slav names.
    A Latin token whose guessed press style reads no known name is read in the other styles too:
    "Michailo" has no German mark, but its CH is the German Х (Михайло).
    """
    given = _lookups().given
    found = given.get(name_skeleton(token), ())
    if found or is_cyrillic(token):
        return found
    for style in _LATIN_STYLES:
        found = given.get(name_skeleton(token, style), ())
        if found:
            return found
    return ()


_LATIN_STYLES = ("en", "de", "fr", "pl", "cs")


@cache
def _near_given_keys(skeleton: str) -> tuple[str, ...]:
    """Canonical keys of the table forms one edit (OSA distance) away from ``skeleton``; typo repair."""
    from rapidfuzz.distance import OSA

    if len(skeleton) < _MIN_FUZZY_LENGTH:
        return ()
    keys: list[str] = []
    diminutive_keys: list[str] = []
    lookups = _lookups()
    full = _full_form_skeletons()
    for known, known_keys in lookups.given.items():
        if known in lookups.familiar:
            continue
        near = len(known) >= _MIN_FUZZY_LENGTH and abs(len(known) - len(skeleton)) <= 1
        if near and OSA.distance(skeleton, known, score_cutoff=1) <= 1:
            found = keys if known in full else diminutive_keys
            found.extend(k for k in known_keys if k not in found)
    # a full name one typo away outranks a diminutive one typo away («Миккта»: Микита, not Митька)
    return tuple(dict.fromkeys(keys + diminutive_keys))


@cache
def _full_form_skeletons() -> frozenset[str]:
    """Skeletons of the full Russian and Ukrainian forms and of the Latin forms of the table's names."""
    out: set[str] = set()
    for entry in given_name_table():
        out.update(name_skeleton(form) for form in (*_renderings(entry.ru), *_renderings(entry.uk)))
        out.update(name_skeleton(form) for form in entry.latin_forms)
    return frozenset(out)


_MIN_FUZZY_LENGTH = 5
#: Skeleton endings of common Russian and Ukrainian surnames; only a tie-breaker when parsing.
_SURNAME_ENDINGS = ("ov", "ev", "in", "enko", "uk", "ki")


@lru_cache(maxsize=_TOKEN_CACHE)
def given_name_keys_tolerant(token: str) -> tuple[str, ...]:
    """Like :func:`given_name_keys`, but a token the table does not know is matched with one typo.

    «Дмтиро», «Микла» and "Pavo" are read as Дмитро, Микола and Pavlo: a table form (skeleton of
    at least five letters) one insertion, deletion, substitution or swap of neighbours away. Use
    it only for a token already known to stand in the given-name position.
    """
    return given_name_keys(token) or _near_given_keys(name_skeleton(token))


@lru_cache(maxsize=_TOKEN_CACHE)
def _given_name_evidence(token: str) -> int:
    """How surely a token is a given name: 2 a Russian or Ukrainian form or diminutive (in any script),
    1 only a foreign Latin form ("Andrew", which is also how «Андреев» may be romanised), 0 unknown."""
    lookups = _lookups()
    readings = [name_skeleton(token)]
    if not is_cyrillic(token):
        readings += [name_skeleton(token, style) for style in _LATIN_STYLES]
    if any(r in lookups.native for r in readings):
        return 2
    return 1 if any(r in lookups.given for r in readings) else 0


@cache
def canonical_given_keys() -> frozenset[str]:
    """The canonical keys of all names in the table (a key outside it is a token's own skeleton)."""
    return frozenset(entry.key for entry in given_name_table())


@lru_cache(maxsize=_TOKEN_CACHE)
def given_name_key(token: str) -> str:
    """The most likely canonical key of a given name; the token's own skeleton when it is not in the table."""
    keys = given_name_keys(token)
    return keys[0] if keys else name_skeleton(token)


@lru_cache(maxsize=_TOKEN_CACHE)
def patronymic_key(token: str) -> str:
    """The canonical key of the father's given name in a patronymic (Петрович, Petrivna → ``petr``).

    A patronymic the table does not know, of at least seven letters, one edit (optimal string alignment
    distance 1) from patronymics of a single father's name, is read as that one («Алексееич»,
    «Васльович» → ``aleksei``, ``vasili``). Other unknown patronymics keep their own skeleton, so two
    equal spellings still agree.
    """
    skeleton = name_skeleton(token)
    known = _lookups().patronymic.get(skeleton)
    if known is not None:
        return known
    return _near_patronymic_key(skeleton) or skeleton


_MIN_FUZZY_PATRONYMIC = 7


@cache
def _patronymics_by_length() -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for skeleton in _lookups().patronymic:
        out.setdefault(len(skeleton), []).append(skeleton)
    return out


@cache
def _near_patronymic_key(skeleton: str) -> str:
    """The father's key of the table patronymics one edit from ``skeleton``, when they agree on one."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    if len(skeleton) < _MIN_FUZZY_PATRONYMIC:
        return ""
    table = _lookups().patronymic
    by_length = _patronymics_by_length()
    choices = [c for n in (len(skeleton) - 1, len(skeleton), len(skeleton) + 1) for c in by_length.get(n, ())]
    found = {
        table[match]
        for match, _, _ in process.extract(skeleton, choices, scorer=OSA.distance, score_cutoff=1, limit=None)
    }
    return found.pop() if len(found) == 1 else ""


@lru_cache(maxsize=_TOKEN_CACHE)
def looks_like_patronymic(token: str) -> bool:
    """True for a token with a patronymic ending that the table resolves to a father's name."""
    skeleton = name_skeleton(token)
    return len(skeleton) >= 4 and skeleton in _lookups().patronymic


#: Endings of patronymics in ASCII (any romanisation folded by :func:`to_ascii`): -ович, -евич, -йович,
#: -ич, -овна, -евна, -івна, -ична and their German and French spellings.
_PATRONYMIC_ENDINGS = ("vich", "vych", "vitch", "witsch", "ich", "ych", "vna", "ichna", "ychna")


@lru_cache(maxsize=_TOKEN_CACHE)
def has_patronymic_ending(token: str) -> bool:
    """True for a long token ending like a patronymic, even one the table cannot resolve (a typo:
    «Алексееич», «Анаольевич»). Surnames end so too (Абрамович), so the parser asks this only when no
    token is a patronymic by :func:`looks_like_patronymic` and three name words are written."""
    folded = to_ascii(token)
    return len(folded) >= 7 and folded.endswith(_PATRONYMIC_ENDINGS)


# --- full names ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A person's name split into parts as written; initials are single letters (lower case, ASCII)."""

    surname: str = ""
    given_name: str = ""
    patronymic: str = ""
    given_initial: str = ""
    patronymic_initial: str = ""


_UNIT_TAIL = re.compile(
    r"(?:^|[\s,])(?:в/ч|в\\ч|вч|military unit|mil\.? unit|unit)\s*№?\s*[\w-]*\d[\w-]*\s*$", re.IGNORECASE
)
_TOKEN = re.compile(r"[^\W\d_]+(?:['’ʼ-][^\W\d_]+)*\.?", re.UNICODE)


def _initial(token: str) -> str:
    """The initial of a name as a sound class (Г and H agree, Є and E agree); "" when none."""
    return name_skeleton(token[0])[:1] if token else ""


def split_unit(full_name: str) -> tuple[str, str]:
    """Split a trailing unit ("…, в/ч 12345") off a full name: returns (name, unit key or "")."""
    match = _UNIT_TAIL.search(full_name)
    if not match:
        return full_name, ""
    number = match.group().split()[-1]
    return full_name[: match.start()].strip(" ,"), unit_key(number)


def unit_key(unit: str) -> str:
    """A military unit number as an ASCII key: «в/ч А1234» and "military unit A1234" → ``a1234``."""
    text = re.sub(r"(?i)в/ч|в\\ч|military unit|mil\.? unit|unit|№", " ", unit)
    return re.sub(r"[^a-z0-9]", "", to_ascii(text))


def parse_full_name(full_name: str) -> ParsedName:
    """Split a full name written in any usual order into surname, given name and patronymic.

    Handles "Surname Given Patronymic", "Given Patronymic Surname", "SURNAME Given", "Surname, Given",
    "Surname G. P." and "G.P. Surname". A token is a given name when the table knows it, a patronymic
    when its ending resolves to a father's name; an upper-case token or a token before a comma is the
    surname. Remaining ambiguity falls back on position (first token of two unknowns is the surname
    when the name is Cyrillic, the given name when Latin).
    """
    name, _unit = split_unit(fold_homoglyphs(full_name))
    # GOST 7.79 writes Ь and Ъ as primes inside a word («Ilʹâ»): they join letters, never split words
    name = name.replace("ʹ", "").replace("ʺ", "")
    surname_hint = ""
    if "," in name:
        head, _, tail = name.partition(",")
        surname_hint, name = head.strip(), f"{head} {tail}"
    tokens = [t for t in _TOKEN.findall(name) if t.strip(".")]
    initials: list[str] = []
    words: list[str] = []
    for token in tokens:
        bare = token.rstrip(".")
        if len(bare) == 1 or (token.endswith(".") and len(bare) <= 2):
            initials.append(bare)
        elif "." in bare:  # "А.П." written together
            initials.extend(part for part in bare.split(".") if part)
        else:
            words.append(bare)
    surname = given = patronymic = ""
    hint_words = surname_hint.split()
    if hint_words and hint_words[0] in words:
        surname = hint_words[0]
    for word in words:
        if not surname and len(word) > 1 and word.isupper() and len(words) > 1:
            surname = word
    rest = [w for w in words if w != surname]
    patronymic_candidates = [w for w in rest if looks_like_patronymic(w)]
    if not patronymic_candidates and len(rest) >= 3:
        # A patronymic with a typo: the table does not resolve it, but its ending still tells, or it
        # is one edit from the patronymics of a single father's name (a typo in the ending itself:
        # «Олексійовеч», «Антоновч»).
        patronymic_candidates = [w for w in rest if has_patronymic_ending(w)]
        if not patronymic_candidates:
            patronymic_candidates = [w for w in rest if _near_patronymic_key(name_skeleton(w))]
    if patronymic_candidates and len(rest) >= 2:
        patronymic = patronymic_candidates[-1]
        rest = [w for w in rest if w != patronymic]
    known = [w for w in rest if given_name_keys(w)]
    if len(rest) == 2 and len(known) == 2:
        # Both tokens are known names: a Russian or Ukrainian form outranks a foreign Latin form
        # («Дмитро Андрєєв»: Андрєєв reads "Andrew" only), otherwise position decides below.
        evidence = [_given_name_evidence(w) for w in rest]
        if evidence[0] != evidence[1]:
            known = [rest[0] if evidence[0] > evidence[1] else rest[1]]
    elif len(rest) >= 2 and not known and not patronymic:
        # No token is a known name: one that is a known name with one typo is the given name.
        near = [w for w in rest if _near_given_keys(name_skeleton(w))]
        if len(near) != 1 and len(rest) == 2:
            # Still undecided («Максм Петров»: both are one letter from a name): a token with a
            # surname ending (-ов, -ев, -ин, -енко, -ук, -ский) is the surname.
            surname_like = [w for w in rest if name_skeleton(w).endswith(_SURNAME_ENDINGS)]
            near = [w for w in rest if w not in surname_like] if len(surname_like) == 1 else []
        known = near if len(near) == 1 else []
    if patronymic and len(rest) == 2 and not known:
        # Neither word is a known name: one that is a known name with one typo is the given name,
        # wherever it stands («Ваднм Литвиненко Васильевич»).
        near = [w for w in rest if _near_given_keys(name_skeleton(w))]
        known = near if len(near) == 1 else []
    if not surname:
        if patronymic and len(rest) == 2:
            # A known given name is the given name wherever it stands («Руслан Марченко Андреевич»,
            # «Смирнов Евгеньевич Артём»); otherwise the given name stands right before the patronymic,
            # as in both usual orders.
            position = words.index(patronymic)
            before = words[position - 1] if position > 0 else ""
            if len(known) == 1:
                given = known[0]
            else:
                given = before if before in rest else (known[0] if known else rest[0])
            surname = _other(rest, given)
        elif len(rest) >= 2 and len(known) == 1:
            given = known[0]
            surname = _other(rest, given)
        elif len(rest) >= 2:
            first_is_surname = is_cyrillic(rest[0]) or not known or known[0] != rest[0]
            if len(known) == len(rest) and not is_cyrillic(rest[0]):
                first_is_surname = False
            surname, given = (rest[0], rest[1]) if first_is_surname else (rest[-1], rest[0])
        elif len(rest) == 1:
            if initials or not known:
                surname = rest[0]
            else:
                given = rest[0]
    elif rest:
        given = known[0] if known else rest[0]
    given_initial = _initial(given) if given else (_initial(initials[0]) if initials else "")
    patronymic_initial = _initial(patronymic) if patronymic else ""
    if not patronymic and len(initials) >= 2:
        patronymic_initial = _initial(initials[1])
    elif not patronymic and given and initials:
        patronymic_initial = _initial(initials[0])
    return ParsedName(surname, given, patronymic, given_initial, patronymic_initial)


# --- keys for linkage and search -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameKeys:
    """The ASCII keys of one person's name that the linkage model compares."""

    surname: str
    surname_phonetic: str
    given: str
    given_alternatives: tuple[str, ...]
    given_phonetic: str
    given_initial: str
    patronymic: str
    patronymic_initial: str
    given_initials: tuple[str, ...] = ()
    patronymic_initials: tuple[str, ...] = ()


def name_keys(full_name: str = "", surname: str = "", given_name: str = "", patronymic: str = "") -> NameKeys:
    """Keys for one record, from either ``full_name`` or the split fields (split fields win)."""
    if full_name and not (surname or given_name or patronymic):
        parsed = parse_full_name(full_name)
    else:
        if _columns_swapped(surname, given_name):
            surname, given_name = given_name, surname
        given_parts = given_name.split()
        initial = given_parts[0].rstrip(".") if given_parts else ""
        parsed = ParsedName(
            surname=surname.strip(),
            given_name=initial if len(initial) > 1 else "",
            patronymic=patronymic.strip() if len(patronymic.strip().rstrip(".")) > 1 else "",
            given_initial=_initial(initial),
            patronymic_initial=_initial(patronymic.strip()),
        )
    surname_words = re.split(r"[\s-]+", parsed.surname.strip())
    surname_key = "".join(name_skeleton(w) for w in surname_words)
    given_alternatives = given_name_keys_tolerant(parsed.given_name) if parsed.given_name else ()
    given_key = given_alternatives[0] if given_alternatives else name_skeleton(parsed.given_name)
    keys = NameKeys(
        given_initials=_initials_of(given_alternatives, parsed.given_initial),
        patronymic_initials=_initials_of(
            (patronymic_key(parsed.patronymic),) if parsed.patronymic else (), parsed.patronymic_initial
        ),
        surname=surname_key,
        surname_phonetic="".join(phonetic_key(w) for w in surname_words),
        given=given_key,
        given_alternatives=given_alternatives or ((given_key,) if given_key else ()),
        given_phonetic=phonetic_key(given_key) if given_key else "",
        given_initial=parsed.given_initial,
        patronymic=patronymic_key(parsed.patronymic) if parsed.patronymic else "",
        patronymic_initial=parsed.patronymic_initial,
    )
    _check_ascii(keys)
    return keys


def _other(words: list[str], given: str) -> str:
    """The word of two that is not the given name; the second when both are written alike
    («Роман Роман», a surname that is also a given name)."""
    others = [w for w in words if w != given]
    return others[0] if others else words[-1]


def _columns_swapped(surname: str, given_name: str) -> bool:
    """True when the surname column holds a given name and the given-name column a surname
    (Александр | Петров): the surname column's word is a Russian or Ukrainian given name in the table
    (or one typo from a table name, without a surname ending), the given-name column's is not, and has
    a surname ending."""
    surname_word, given_word = surname.strip(), given_name.strip().rstrip(".")
    if " " in surname_word or len(given_word) < 2 or len(surname_word) < 2:
        return False
    if given_name_keys(given_word) or not name_skeleton(given_word).endswith(_SURNAME_ENDINGS):
        return False
    if _given_name_evidence(surname_word) == 2:
        return True
    # A given name with one typo in the surname column («Валеірй | Морозов»), itself without a
    # surname ending (Павлов is one letter from Павло).
    skeleton = name_skeleton(surname_word)
    return bool(_near_given_keys(skeleton)) and not skeleton.endswith(_SURNAME_ENDINGS)


@cache
def _entries_by_key() -> dict[str, GivenNameEntry]:
    return {entry.key: entry for entry in given_name_table()}


def _initials_of(canonical_keys: Iterable[str], written_initial: str) -> tuple[str, ...]:
    """Initials a name may be abbreviated to: the written one, and those of its Russian and Ukrainian forms.

    «Олександр» may appear as "О." in a Ukrainian list and "А." in a Russian one.
    """
    initials = {written_initial} if written_initial else set()
    entries = _entries_by_key()
    for key in canonical_keys:
        entry = entries.get(key)
        if entry is not None:
            initials.update(_initial(entry.ru), _initial(entry.uk))
    return tuple(sorted(initials))


def _check_ascii(keys: NameKeys) -> None:
    for value in (keys.surname, keys.surname_phonetic, keys.given, keys.given_phonetic, keys.patronymic):
        if not value.isascii():
            raise ValueError(f"name key {value!r} is not ASCII")


def token_keys(token: str) -> set[str]:
    """Every search key of one name token: skeleton, phonetic key, given-name and patronymic keys."""
    skeleton = name_skeleton(token)
    if not skeleton:
        return set()
    keys = {f"s:{skeleton}", f"p:{phonetic_key(token)}"}
    keys.update(f"g:{key}" for key in given_name_keys(token))
    father = _lookups().patronymic.get(skeleton)
    if father:
        keys.add(f"f:{father}")
    return keys


def search_keys(query: str) -> set[str]:
    """Index keys for a name query in any script: «Иванов», "Ivanov" and "Iwanow" share ``s:ivanov``.

    Keys are prefixed by kind (``s:`` skeleton, ``p:`` phonetic, ``g:`` given name, ``f:`` father's
    name from a patronymic), so a registry can store them in one indexed column and look up by any.
    """
    keys: set[str] = set()
    for token in _TOKEN.findall(query):
        keys |= token_keys(token.rstrip("."))
    return keys


def _token_score(query_token: str, candidate_token: str) -> float:
    """How well one query token matches one candidate token, 0..1."""
    q, c = name_skeleton(query_token), name_skeleton(candidate_token)
    if not q or not c:
        return 0.0
    if q == c:
        return 1.0
    if set(given_name_keys(query_token)) & set(given_name_keys(candidate_token)):
        return 0.95
    q_father = _lookups().patronymic.get(q)
    if q_father and q_father == _lookups().patronymic.get(c):
        return 0.95
    if len(q) > 3 and phonetic_key(query_token) == phonetic_key(candidate_token):
        return 0.9
    similarity = JaroWinkler.similarity(q, c)
    return similarity * 0.9 if similarity >= 0.9 else 0.0


def name_matches(
    query: str, candidate_names: Iterable[str], min_score: float = 0.8
) -> list[tuple[str, float]]:
    """Candidate names that match every word of the query, with a score 0..1, best first.

    Each query word is paired with a different candidate word (script, transliteration system,
    Russian/Ukrainian form, diminutive and patronymic all count as agreement); the score is the mean
    over query words, and a name is kept when every query word scores at least ``min_score``.
    """
    query_tokens = [t.rstrip(".") for t in _TOKEN.findall(split_unit(query)[0])]
    query_tokens = [t for t in query_tokens if len(t) > 1]
    if not query_tokens:
        return []
    results: list[tuple[str, float]] = []
    for candidate in candidate_names:
        candidate_tokens = [t.rstrip(".") for t in _TOKEN.findall(split_unit(candidate)[0])]
        if len(candidate_tokens) < len(query_tokens):
            continue
        pairs = sorted(
            (
                (_token_score(q, c), i, j)
                for i, q in enumerate(query_tokens)
                for j, c in enumerate(candidate_tokens)
            ),
            reverse=True,
        )
        used_query: set[int] = set()
        used_candidate: set[int] = set()
        scores: list[float] = []
        for score, i, j in pairs:
            if i in used_query or j in used_candidate:
                continue
            used_query.add(i)
            used_candidate.add(j)
            scores.append(score)
        if len(scores) == len(query_tokens) and min(scores) >= min_score:
            results.append((candidate, sum(scores) / len(scores)))
    results.sort(key=lambda pair: -pair[1])
    return results


__all__ = [
    "SYSTEMS",
    "GivenNameEntry",
    "NameKeys",
    "ParsedName",
    "canonical_given_keys",
    "female_patronymics",
    "given_name_key",
    "given_name_keys",
    "given_name_keys_tolerant",
    "given_name_table",
    "guess_language",
    "is_cyrillic",
    "looks_like_patronymic",
    "male_patronymics",
    "name_keys",
    "name_matches",
    "name_skeleton",
    "parse_full_name",
    "patronymic_key",
    "phonetic_key",
    "search_keys",
    "split_unit",
    "to_ascii",
    "token_keys",
    "transliterate",
    "unit_key",
]
