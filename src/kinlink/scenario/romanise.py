"""Romanisation of Russian and Ukrainian names as lists in Latin script actually print them.

The generator's own transliteration, written from the published standards and kept apart from the
linker's (:mod:`kinlink.linkage.names` is never imported here), so that a linkage benchmark scored on
these lists tests the linker's handling of transliteration instead of repeating it. Sources of the tables:

- ``icao``: ICAO Doc 9303 part 3 (Russian passports since 2013: Ё→E, Й→I, Х→KH, Ц→TS, Ъ→IE, Ю→IU, Я→IA);
  Ukrainian names under ``icao`` follow the Ukrainian passport system (Cabinet of Ministers resolution 55,
  2010), as Ukrainian passports do;
- ``bgn_pcgn``: BGN/PCGN 1947 for Russian (Е and Ё as YE/YË at a word's start and after a vowel, Й→Y, Ы→Y),
  BGN/PCGN 2019 (= the Ukrainian national system) for Ukrainian; apostrophes of Ь and Ъ dropped, as the
  press drops them;
- ``ua_2010``: Ukrainian national system (resolution 55 of 27 January 2010: Г→H, Ґ→G, Є/Ї/Й/Ю/Я as
  YE/YI/Y/YU/YA at a word's start, IE/I/I/IU/IA elsewhere, ЗГ→ZGH); Russian names under it use the same
  letters where they exist;
- ``loc``: ALA-LC romanisation without its diacritics and ligatures (Й→I, Ю→IU, Я→IA, Ё→E, Э→E);
- ``gost_7_79``: GOST 7.79-2000 system A (= ISO 9: Ж→Ž, Х→H, Ц→C, Ч→Č, Ш→Š, Щ→Ŝ, Ю→Û, Я→Â, Й→J);
- ``german``: Duden transcription (Ж→SCH, З→S, В→W, Х→CH, Ц→Z, Ч→TSCH, Ш→SCH, Щ→SCHTSCH, Й/Ю/Я→J/JU/JA,
  Е→JE at a word's start and after a vowel, S between vowels doubled);
- ``french``: French usage (Ж→J, Х→KH, Ч→TCH, Ш→CH, Щ→CHTCH, У→OU, Ю→IOU, Я→IA, Й→I, G→GU before E/I/Y,
  S between vowels doubled);
- ``informal``: what English-language media often print: ICAO-like letters with X for КС, Y for Й,
  YU/YA, "-y" for the ending "-ий"/"-ый", "-iy" now and then, and YE at a word's start;
- ``polish``: Polish press usage (Ш→SZ, Ж→Ż, Ч→CZ, Щ→SZCZ, Х→CH, Ц→C, В→W, Й→J, Я/Ю/Є→IA/IU/IE after a
  consonant and JA/JU/JE elsewhere, Ы and Ukrainian И→Y, Л→Ł before hard vowels is not used, as the press
  does not), e.g. Szewczenko, Kowalczuk, Chmielnicki;
- ``czech``: Czech press usage (Ш→Š, Ж→Ž, Ч→Č, Щ→ŠČ, Х→CH, Ц→C, Й→J, Я/Ю→JA/JU, Ы and Ukrainian И→Y),
  e.g. Ševčenko, Chmelnyckyj.

``polish`` and ``czech`` read X-like CH as Х, where English-style systems read CH as Ч; a linker must
tell them apart from the other letters of the word.

Pure data and functions: no Django, no I/O.
"""

from __future__ import annotations

import random

SYSTEMS: tuple[str, ...] = (
    "icao",
    "bgn_pcgn",
    "ua_2010",
    "loc",
    "gost_7_79",
    "german",
    "french",
    "informal",
    "polish",
    "czech",
)

_UK_ONLY = set("іїєґ")
_VOWELS = set("аеёиоуыэюяієї")

# Letters shared by the systems, then each system's own letters (lower case; capitals follow the input).
_BASE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "iu", "я": "ia", "і": "i", "ї": "i", "є": "ie", "ґ": "g",
}  # fmt: skip

_RU: dict[str, dict[str, str]] = {
    "icao": {"ъ": "ie"},
    "bgn_pcgn": {"й": "y", "ю": "yu", "я": "ya"},
    "ua_2010": {"г": "h", "и": "y", "й": "i", "ю": "iu", "я": "ia"},
    "loc": {},
    "gost_7_79": {"ж": "ž", "й": "j", "х": "h", "ц": "c", "ч": "č", "ш": "š", "щ": "ŝ", "ю": "û", "я": "â",
                  "ё": "ë", "э": "è", "ъ": "ʺ", "ь": "ʹ"},
    "german": {"в": "w", "ж": "sch", "з": "s", "й": "i", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch",
               "щ": "schtsch", "ю": "ju", "я": "ja", "ё": "jo"},
    "french": {"ж": "j", "й": "ï", "у": "ou", "ч": "tch", "ш": "ch", "щ": "chtch", "ю": "iou", "ё": "io"},
    "informal": {"й": "y", "ю": "yu", "я": "ya", "ё": "yo"},
    "polish": {"в": "w", "ж": "ż", "й": "j", "х": "ch", "ц": "c", "ч": "cz", "ш": "sz", "щ": "szcz", "ы": "y",
               "ю": "iu", "я": "ia", "ё": "io", "е": "ie"},
    "czech": {"ж": "ž", "й": "j", "х": "ch", "ц": "c", "ч": "č", "ш": "š", "щ": "šč", "ы": "y", "ю": "ju",
              "я": "ja", "ё": "jo", "э": "e"},
}  # fmt: skip

_UK: dict[str, dict[str, str]] = {
    # Ukrainian passports (resolution 55 of 2010), also under "icao" and "bgn_pcgn"
    "ua_2010": {"г": "h", "ґ": "g", "и": "y", "і": "i", "ї": "i", "й": "i", "є": "ie", "ю": "iu", "я": "ia"},
    "loc": {"г": "h", "и": "y", "і": "i", "ї": "i", "й": "i", "є": "ie", "ю": "iu", "я": "ia"},
    "gost_7_79": {"г": "g", "ґ": "g̀", "ж": "ž", "и": "i", "і": "ì", "ї": "ï", "й": "j", "є": "ê", "х": "h",
                  "ц": "c", "ч": "č", "ш": "š", "щ": "ŝ", "ю": "û", "я": "â", "ь": "ʹ"},
    "german": {"г": "h", "ґ": "g", "в": "w", "ж": "sch", "з": "s", "и": "y", "і": "i", "ї": "ji", "й": "j",
               "є": "je", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch", "ю": "ju", "я": "ja"},
    "french": {"г": "h", "ж": "j", "и": "y", "і": "i", "ї": "ï", "й": "ï", "є": "ie", "у": "ou", "ч": "tch",
               "ш": "ch", "щ": "chtch", "ю": "iou", "я": "ia"},
    "informal": {"г": "h", "и": "y", "і": "i", "ї": "yi", "й": "y", "є": "ye", "ю": "yu", "я": "ya"},
    "polish": {"г": "h", "ґ": "g", "в": "w", "ж": "ż", "и": "y", "і": "i", "ї": "ji", "й": "j", "є": "ie",
               "х": "ch", "ц": "c", "ч": "cz", "ш": "sz", "щ": "szcz", "ю": "iu", "я": "ia"},
    "czech": {"г": "h", "ґ": "g", "ж": "ž", "и": "y", "і": "i", "ї": "ji", "й": "j", "є": "je", "х": "ch",
              "ц": "c", "ч": "č", "ш": "š", "щ": "šč", "ю": "ju", "я": "ja"},
}  # fmt: skip
_UK["icao"] = _UK["ua_2010"]
_UK["bgn_pcgn"] = _UK["ua_2010"]

# At a word's start (and, where the system says so, after a vowel, Ь or Ъ): the iotated forms.
_INITIAL: dict[str, dict[str, dict[str, str]]] = {
    "ru": {
        "bgn_pcgn": {"е": "ye", "ё": "ye"},
        "german": {"е": "je", "ё": "jo"},
        "informal": {"е": "ye"},
        "polish": {"е": "je", "ё": "jo", "ю": "ju", "я": "ja"},
        "czech": {"е": "je", "ё": "jo"},
    },
    "uk": {
        "ua_2010": {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
        "icao": {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
        "bgn_pcgn": {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
        "informal": {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
        "german": {"є": "je", "ї": "ji"},
        "polish": {"є": "je", "ю": "ju", "я": "ja"},
    },
}
_ENDINGS = {
    ("ru", "german", "и"): "i",
    ("ru", "german", "ы"): "y",
    ("ru", "french", "и"): "i",
    ("ru", "french", "ы"): "y",
    ("ru", "informal", "и"): "y",
    ("ru", "informal", "ы"): "y",
    ("uk", "german", "и"): "yj",
    ("uk", "informal", "и"): "yi",
    ("ru", "polish", "и"): "i",
    ("ru", "polish", "ы"): "y",
    ("ru", "czech", "и"): "ij",
    ("ru", "czech", "ы"): "yj",
}
_ZGH = {("ua_2010", "ru"), ("ua_2010", "uk"), ("icao", "uk"), ("bgn_pcgn", "uk")}
_AFTER_VOWEL_TOO = {
    ("ru", "bgn_pcgn"),
    ("ru", "german"),
    ("ru", "polish"),
    ("uk", "polish"),
    ("ru", "czech"),
}


def language_of(text: str) -> str:
    """``"uk"`` when the text has a letter only Ukrainian uses, else ``"ru"``."""
    return "uk" if any(c in _UK_ONLY for c in text.lower()) else "ru"


def _is_vowel_latin(c: str) -> bool:
    return c.lower() in "aeiouy"


def romanise(text: str, system: str, language: str | None = None) -> str:
    """``text`` (Cyrillic; Latin passes through) in Latin letters under ``system`` (see :data:`SYSTEMS`)."""
    if system not in SYSTEMS:
        raise ValueError(f"unknown system {system!r}")
    lang = language or language_of(text)
    table = dict(_BASE)
    table.update((_UK if lang == "uk" else _RU).get(system, {}))
    initial = _INITIAL[lang].get(system, {})
    lower = text.lower()
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        low = lower[i]
        prev = lower[i - 1] if i else ""
        if low not in table:
            out.append(char)
            i += 1
            continue
        start = not prev.isalpha()
        after_vowel = prev in _VOWELS or prev in "ьъ"
        if system == "informal" and low == "к" and i + 1 < len(text) and lower[i + 1] == "с":
            piece = "x"
            i += 1
        elif low in initial and (start or (after_vowel and (lang, system) in _AFTER_VOWEL_TOO)):
            piece = initial[low]
        elif (
            low == "г"
            and prev == "з"
            and (system == "ua_2010" or (lang == "uk" and system in ("icao", "bgn_pcgn")))
        ):
            piece = "gh"  # ЗГ is ZGH, so that it does not read as ZH
        elif system == "polish" and low == "е" and prev in "жшчщц":
            piece = "e"  # Polish writes no I after the hard sibilants: Szewczenko
        else:
            piece = table[low]
        if low in "иы" and lower[i + 1 : i + 2] == "й" and (i + 2 >= len(text) or not lower[i + 2].isalpha()):
            # the adjectival ending -ий / -ый: German and French drop the Й, media write -y
            ending = _ENDINGS.get((lang, system, low))
            if ending is not None:
                piece = ending
                i += 1
        if char.isupper() and piece:
            nxt = text[i + 1] if i + 1 < len(text) else ""
            piece = piece.upper() if nxt.isupper() else piece[0].upper() + piece[1:]
        out.append(piece)
        i += 1
    word = "".join(out)
    if system in ("french", "german"):
        word = _double_s(word, system)
    if system == "french":
        word = _french_g(word)
    return word


def _double_s(word: str, system: str) -> str:
    """A single S between vowels is written SS in German and French (it would read as Z)."""
    out: list[str] = []
    for i, c in enumerate(word):
        out.append(c)
        if (
            c.lower() == "s"
            and 0 < i < len(word) - 1
            and _is_vowel_latin(word[i - 1])
            and _is_vowel_latin(word[i + 1])
            and word[i - 1 : i].lower() != "s"
        ):
            out.append(c)
    return "".join(out)


def _french_g(word: str) -> str:
    """French writes GU before E, I and Y so that G stays hard."""
    out: list[str] = []
    for i, c in enumerate(word):
        out.append(c)
        if c.lower() == "g" and i + 1 < len(word) and word[i + 1].lower() in "eiy":
            out.append("u" if c.islower() or not word[i + 1].isupper() else "U")
    return "".join(out)


def informal_given(word: str, rng: random.Random) -> str:
    """Media drift of a romanised given name: Aleksandr/Alexandr, Sergey/Sergei, Yuriy/Yury/Yuri."""
    if word.endswith("ey") and rng.random() < 0.5:
        return word[:-1] + "i"
    if word.endswith("iy") and rng.random() < 0.5:
        return word[:-2] + rng.choice(("y", "i", "ii"))
    if "ks" in word and rng.random() < 0.5:
        return word.replace("ks", "x", 1)
    return word


__all__ = ["SYSTEMS", "informal_given", "language_of", "romanise"]
