"""The fate explanation in the reader's language: fate words and claim labels, "(stated …)" included."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from kinlink.lib.formats import format_partial_date
from kinlink.registry.fate import parse_claim_label, reconcile
from kinlink.registry.services.fate import claim_label, explanation_lines
from tests.registry.test_fate import SEED, fact


def test_claim_label_parts() -> None:
    label = fact("1", "unit_notice", "Notice: unit 5", "dead", "2022-03-30", "2022-04-02").label()
    assert parse_claim_label(label) == {
        "source": "Notice: unit 5",
        "fate": "dead",
        "when": "2022-03-30",
        "stated": "2022-04-02",
    }
    assert parse_claim_label("free text") is None


@pytest.mark.parametrize(
    ("lang", "dead", "stated"), [("ru", "погиб", "сообщено"), ("uk", "загинув", "повідомлено")]
)
def test_explanation_has_no_english_claim_words(lang: str, dead: str, stated: str) -> None:
    retracted = fact("9", "media", "Media", "dead", "2022-03-30", "2022-04-01", retracted=True)
    assessment = reconcile([*SEED, retracted])
    with translation.override(lang):
        lines = explanation_lines(assessment)
        when, on = format_partial_date("2022-03-30", lang), format_partial_date("2022-04-01", lang)
        assert claim_label(retracted.label()) == f"Media: {dead} {when} ({stated} {on})"
    assert "\u00a0" in when and "2022-" not in when  # 30 марта 2022 г., as the language writes it
    text = " ".join(lines)
    assert "(stated" not in text and "Retracted" not in text
    assert f"({stated} {on})" in text
    assert not re.search(r"\d{4}-\d{2}", text), text
    for english in (": dead", ": missing", ": buried", "is dead", "is missing"):
        assert english not in text, english


def test_explanation_in_english_is_unchanged() -> None:
    retracted = fact("9", "media", "Media", "dead", "2022-03-30", "2022-04-01", retracted=True)
    with translation.override("en"):
        lines = explanation_lines(reconcile([*SEED, retracted]))
    assert "Retracted, not counted: Media: dead 30 March 2022 (stated 1 April 2022)." in lines
