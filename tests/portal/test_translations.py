"""Russian, Ukrainian and English are complete, and the committed .mo files match the .po files."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "src" / "kinlink" / "locale"
ENTRY = re.compile(r'^msgid "(.*)"\n((?:".*"\n)*)', re.M)


def _entries(po: str) -> list[tuple[str, str]]:
    """(msgid, the rest of the entry) for every entry but the header; multi-line strings joined."""
    blocks = [b for b in po.split("\n\n") if "msgid " in b and not b.lstrip().startswith("#~")]
    found = []
    for block in blocks:
        msgid = "".join(
            re.findall(
                r'"(.*)"', block.split("msgid ", 1)[1].split("\nmsgstr", 1)[0].split("\nmsgid_plural", 1)[0]
            )
        )
        if msgid:  # the .po escapes quotes, backslashes and newlines; the catalogue holds the text itself
            text = msgid.replace("\\\\", "\0").replace('\\"', '"').replace("\\n", "\n").replace("\0", "\\")
            found.append((text, block))
    return found


@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_catalogue_is_complete_and_compiled(language: str) -> None:
    po = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text("utf-8")
    entries = _entries(po)
    assert len(entries) > 400
    for msgid, block in entries:
        assert "#, fuzzy" not in block, msgid
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', block, re.M)
        assert strings and all(first or rest.strip() for first, rest in strings), (
            f"{language}: untranslated {msgid!r}"
        )
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert (
        compiled.info().get("plural-forms", "").startswith("nplurals=3" if language != "en" else "nplurals=2")
    )
    singular = [(m, b) for m, b in entries if "msgid_plural" not in b and "msgctxt" not in b]
    translated = [m for m, _b in singular if compiled.gettext(m) != m]
    if language != "en":
        # Nearly every string differs from English; the few that may not are symbols such as "{claim}.".
        # (Plural and context entries are looked up differently: counted apart, so that adding them
        # does not eat into this allowance.)
        assert len(translated) >= len(singular) - 5, "the .mo file is older than the .po file: run msgfmt"


def test_plural_forms_follow_the_language() -> None:
    with translation.override("ru"):
        found = [
            translation.ngettext("%(counter)s person found", "%(counter)s persons found", n)
            for n in (1, 3, 5)
        ]
    assert found == [
        "Найден %(counter)s человек",
        "Найдено %(counter)s человека",
        "Найдено %(counter)s человек",
    ]


def test_placeholders_survive_translation() -> None:
    for language in ("ru", "uk"):
        with translation.override(language):
            assert "{dead_source}" in translation.gettext(
                "{dead_source} reports him dead, but {missing_source} reports him missing."
            )
            assert "%(code)s" in translation.gettext("Sample %(code)s was registered.")


@pytest.mark.parametrize(
    ("language", "phrase"), [("ru", "Кто пропал"), ("uk", "Хто зник"), ("en", "Who is missing")]
)
def test_family_form_in_each_language(db: None, language: str, phrase: str) -> None:
    response = Client().get(f"/{language}/request/new")
    html = response.content.decode()
    assert phrase in html and f'<html lang="{language}">' in html
