"""Documents and pages speak from one catalogue: the same word for the same thing, in every language."""

from __future__ import annotations

import pytest
from django.utils import translation

from kinlink.documents.labels import KIND_LABELS, LANGUAGES, TERMS, labels_for, source_title, term
from kinlink.registry.models import Fate, LegalStatus, SourceKind


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_a_document_and_a_page_use_the_same_words(language: str) -> None:
    for choices in (Fate, SourceKind, LegalStatus):
        for code, label in choices.choices:
            code = "legal_none" if choices is LegalStatus and code == "none" else code
            if code not in TERMS:
                continue
            with translation.override(language):
                assert term(code, language) == str(label), (language, code)


def test_legal_statuses_use_the_statutory_terms() -> None:
    assert term("recognised_missing", "ru") == "признан безвестно отсутствующим"
    assert term("recognised_missing", "uk") == "визнаний безвісно відсутнім"
    assert term("declared_dead", "ru") == "объявлен умершим"
    assert term("declared_dead", "uk") == "оголошений померлим"


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_label_is_translated(language: str) -> None:
    untranslated = []
    for kind in KIND_LABELS:
        english, local = labels_for(kind, "en"), labels_for(kind, language)
        assert english.keys() == local.keys()
        for key, text in local.items():
            pairs = zip(text, english[key], strict=True) if isinstance(text, list) else [(text, english[key])]
            untranslated += [(kind, key, t) for t, e in pairs if t == e and t != "LR"]
    assert not untranslated
    words = {code: term(code, language) for code in TERMS}
    assert [code for code, word in words.items() if word == TERMS[code]] == []


def test_stored_english_names_and_codes_are_shown_in_the_readers_language() -> None:
    assert source_title("Tracing request R-ABC", "ru") == "Запрос о розыске R-ABC"
    assert not source_title("Tracing request R-ABC", "uk").startswith("Tracing")
    assert source_title("Tracing request R-ABC", "en") == "Tracing request R-ABC"
    assert source_title("Письмо Минобороны", "ru") == "Письмо Минобороны"
    assert term("mother", "ru") == "мать" and term("a code nobody knows", "ru") == "a code nobody knows"
    with pytest.raises(ValueError, match="unknown language"):
        labels_for("certificate", "de")
    assert set(LANGUAGES) == {"ru", "uk", "en"}
