"""The generator's own romanisation against the published tables (and apart from the linker's)."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from kinlink.scenario.romanise import SYSTEMS, informal_given, language_of, romanise

# (Cyrillic, system, as the standard writes it): examples from the standards' own tables and usage.
CASES = [
    ("Щербаков", "icao", "Shcherbakov"),
    ("Юрий", "icao", "Iurii"),  # ICAO 9303: Ю -> IU, Й -> I
    ("Подъячев", "icao", "Podieiachev"),  # Ъ -> IE, Я -> IA
    ("Евгений", "bgn_pcgn", "Yevgeniy"),  # BGN/PCGN: initial Е -> YE, Й -> Y
    ("Алексеевич", "bgn_pcgn", "Alekseyevich"),  # Е after a vowel -> YE
    ("Шевчук", "gost_7_79", "Ševčuk"),
    ("Юрий", "gost_7_79", "Ûrij"),
    ("Григорій", "ua_2010", "Hryhorii"),  # resolution 55: Г -> H, И -> Y, final Й -> I
    ("Згурський", "ua_2010", "Zghurskyi"),  # ЗГ -> ZGH
    ("Єнакієве", "ua_2010", "Yenakiieve"),  # initial Є -> YE, else IE
    ("Їжакевич", "ua_2010", "Yizhakevych"),
    ("Шевченко", "german", "Schewtschenko"),
    ("Дмитрий", "german", "Dmitri"),
    ("Гусев", "german", "Gussew"),  # S between vowels doubled
    ("Шевченко", "french", "Chevtchenko"),
    ("Сергей", "french", "Sergueï"),  # GU before E
    ("Александр", "informal", "Alexandr"),  # KS -> X
    ("Василий", "informal", "Vasily"),
    ("Шевченко", "polish", "Szewczenko"),  # Polish: SZ, CZ, W; no I after a hard sibilant
    ("Хмельницкий", "polish", "Chmielnicki"),  # CH is Х, Е after a consonant is IE
    ("Жуков", "polish", "Żukow"),
    ("Щербаков", "polish", "Szczerbakow"),
    ("Ярослав", "polish", "Jaroslaw"),
    ("Шевченко", "czech", "Ševčenko"),
    ("Хмельницкий", "czech", "Chmelnickij"),  # Czech: CH is Х, -ий is -ij
    ("Андреев", "czech", "Andrejev"),  # Е after a vowel is JE
]


@pytest.mark.parametrize(("cyrillic", "system", "expected"), CASES)
def test_romanise_follows_the_standard(cyrillic: str, system: str, expected: str) -> None:
    assert romanise(cyrillic, system) == expected


def test_capitals_and_latin_pass_through() -> None:
    assert romanise("ЩЕРБАКОВ", "icao") == "SHCHERBAKOV"
    assert romanise("Ivanov", "icao") == "Ivanov"
    assert romanise("Иванов-Петров", "bgn_pcgn") == "Ivanov-Petrov"


def test_language_of_uses_letters_only_ukrainian_has() -> None:
    assert language_of("Олексій") == "uk"
    assert language_of("Алексей") == "ru"


def test_every_system_romanises_every_letter() -> None:
    alphabet = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґ"
    for system in SYSTEMS:
        out = romanise(alphabet, system, language="uk") + romanise(alphabet, system, language="ru")
        assert not any("\u0400" <= c <= "\u04ff" for c in out), system


def test_unknown_system_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown system"):
        romanise("Иван", "klingon")


def test_informal_drift_only_rewrites_known_endings() -> None:
    rng = random.Random(3)
    seen = {informal_given("Sergey", rng) for _ in range(50)}
    assert seen == {"Sergey", "Sergei"}
    assert informal_given("Ivan", rng) == "Ivan"


def test_the_generator_does_not_import_the_linker() -> None:
    """Issue 16: a benchmark whose lists are romanised by the linker's own code tests nothing."""
    import kinlink.scenario

    folder = Path(str(kinlink.scenario.__file__)).parent
    for source in folder.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("kinlink.linkage"), source.name
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("kinlink.linkage") for a in node.names), source.name
