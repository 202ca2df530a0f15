"""Linkage never crashes on small or degenerate input: the default model and the parameter guards."""

from __future__ import annotations

import math

import pandas as pd

from kinlink.linkage.model import (
    DEFAULT_M_U,
    PERSON_LIST_COLUMNS,
    LinkageOptions,
    default_model,
    link_new_records,
    linkage_settings,
)


def _rows(*records: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(list(records), columns=list(PERSON_LIST_COLUMNS), dtype=object).fillna("")


NEW = {
    "record_id": "n1",
    "source": "new",
    "surname": "Иванов",
    "given_name": "Сергей",
    "patronymic": "Петрович",
    "birth_date": "1998-04-17",
    "unit": "в/ч 12345",
}
SAME = {**NEW, "record_id": "p1", "source": "registry", "surname": "Iwanow", "given_name": "Sergej"}
OTHER = {
    "record_id": "p2",
    "source": "registry",
    "surname": "Сидоров",
    "given_name": "Андрей",
    "patronymic": "Ильич",
    "birth_date": "1977-01-01",
}


def test_the_default_model_fits_the_settings() -> None:
    model = default_model()
    comparisons = linkage_settings().get_settings("duckdb").comparisons
    assert [c["output_column_name"] for c in model["comparisons"]] == [
        c.output_column_name for c in comparisons
    ]
    for saved, comparison in zip(model["comparisons"], comparisons, strict=True):
        assert len(saved["comparison_levels"]) == len(comparison.comparison_levels)
    for name, levels in DEFAULT_M_U.items():
        assert math.isclose(sum(m for m, _ in levels), 1.0), name
        assert math.isclose(sum(u for _, u in levels), 1.0), name


def test_one_new_record_trains_nothing_and_still_finds_its_pair() -> None:
    options = LinkageOptions(term_frequencies=False)  # three records say nothing about name frequencies
    links = link_new_records(_rows(NEW), _rows(SAME, OTHER), min_probability=0.5, options=options)
    assert not links.trained and links.notes  # training on three records fails or finds no prior
    assert list(zip(links.pairs["new_record_id"], links.pairs["person_record_id"], strict=True)) == [
        ("n1", "p1")
    ]
    assert links.pairs["match_probability"].iloc[0] > 0.99


def test_unusable_parameters_are_replaced_not_fatal() -> None:
    model = default_model()
    model["probability_two_random_records_match"] = 0.0  # was: ValueError: math domain error
    model["comparisons"][0]["comparison_levels"][1]["m_probability"] = float("nan")  # was: column "nan"
    model["comparisons"][3]["comparison_levels"][1]["u_probability"] = None
    links = link_new_records(_rows(NEW), _rows(SAME, OTHER), min_probability=0.5, model=model)
    assert any("prior" in note and "surname level 1 m" in note for note in links.notes)
    assert list(links.pairs["person_record_id"]) == ["p1"]
    assert links.model["probability_two_random_records_match"] > 0


def test_nothing_to_compare_gives_no_pairs() -> None:
    links = link_new_records(_rows(NEW), _rows(), min_probability=0.5)
    assert links.pairs.empty
