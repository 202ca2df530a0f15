"""The Splink model: input checks, linkage quality on a small scenario, explanations, candidate links."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from kinlink.linkage.model import (
    COMPARISON_FIELDS,
    LinkageInputError,
    LinkageOptions,
    LinkageResult,
    candidate_links,
    cluster_pairs,
    explain_record,
    pairwise_scores,
    prepare_records,
)


def _row(record_id: str, **fields: str) -> dict[str, str]:
    base = dict.fromkeys(
        ("source", "full_name", "surname", "given_name", "patronymic", "birth_date", "birth_place", "unit"),
        "",
    )
    base.update(rank="", event_date="", event_place="")
    return {"record_id": record_id, **base, **fields}


def test_prepare_records_makes_script_independent_keys() -> None:
    frame = pd.DataFrame(
        [
            _row("a", full_name="Шевчук Александр Петрович, в/ч 12345", birth_date="1990-05-01"),
            _row("b", surname="ШЕВЧУК", given_name="Олександр", patronymic="Петрович", birth_date="1990"),
            _row("c", full_name="Aleksandr Schewtschuk", birth_place="Odessa"),
        ]
    )
    prepared = prepare_records(frame).set_index("unique_id")
    assert prepared["surname_key"].nunique() == 1
    assert prepared["given_key"].nunique() == 1
    assert prepared.loc["a", "unit_key"] == "12345"
    assert prepared.loc["b", "birth_year"] == "1990"
    for column in ("surname_key", "given_key", "patronymic_key", "birth_place_key"):
        assert all(pd.isna(value) or value.isascii() for value in prepared[column])


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_row("", full_name="Иванов Иван"), "row 2, column record_id: empty record id"),
        (_row("x"), "row 2, column full_name: no name"),
        (_row("x", full_name="Иванов Иван", birth_date="May 1990"), "row 2, column birth_date: not a date"),
    ],
)
def test_bad_input_is_refused_with_row_and_column(row: dict[str, str], message: str) -> None:
    with pytest.raises(LinkageInputError, match=message):
        prepare_records(pd.DataFrame([row]), "lists.csv")


def test_duplicate_record_ids_are_refused() -> None:
    frame = pd.DataFrame([_row("x", full_name="Иванов Иван"), _row("x", full_name="Петров Пётр")])
    with pytest.raises(LinkageInputError, match="row 3, column record_id: duplicate"):
        prepare_records(frame)


def test_missing_columns_are_refused() -> None:
    with pytest.raises(LinkageInputError, match="missing column"):
        prepare_records(pd.DataFrame([{"record_id": "x", "name": "Иванов"}]))


def test_small_scenario_is_linked_well(
    linked: LinkageResult, small_lists: tuple[pd.DataFrame, dict[str, str]]
) -> None:
    _, truth = small_lists
    ids = linked.clusters["record_id"].tolist()
    scores = pairwise_scores(
        cluster_pairs(ids, [truth[i] for i in ids]), cluster_pairs(ids, linked.clusters["cluster_id"])
    )
    assert scores["precision"] >= 0.9
    assert scores["recall"] >= 0.85
    assert set(linked.clusters.columns) == {"record_id", "cluster_id", "match_probability"}
    assert len(linked.clusters) == len(ids) == len(set(ids))


def test_explanation_names_every_field(linked: LinkageResult) -> None:
    linked_ids = linked.clusters.dropna(subset=["match_probability"])["record_id"]
    links = explain_record(linked, linked_ids.iloc[0])
    assert links
    other, probability, weight, fields = links[0]
    assert other != linked_ids.iloc[0]
    assert 0.0 <= probability <= 1.0
    assert [f.field for f in fields] == list(COMPARISON_FIELDS.values())
    assert {f.status for f in fields} <= {"agree", "disagree", "missing"}
    assert all(f.match_weight == 0.0 for f in fields if f.status == "missing")
    prior = linked.model["probability_two_random_records_match"]
    prior_weight = math.log2(prior / (1 - prior))
    assert sum(f.match_weight for f in fields) + prior_weight == pytest.approx(weight, abs=1e-6)


def test_threshold_trades_precision_for_recall(
    small_lists: tuple[pd.DataFrame, dict[str, str]], linked: LinkageResult
) -> None:
    from kinlink.linkage.model import link_records

    frame, _ = small_lists
    strict = link_records(frame, LinkageOptions(threshold=0.999), model=linked.model)
    assert strict.clusters["cluster_id"].nunique() >= linked.clusters["cluster_id"].nunique()


def test_candidate_links_between_new_records_and_existing_persons(
    small_lists: tuple[pd.DataFrame, dict[str, str]],
) -> None:
    frame, truth = small_lists
    new = frame[frame["source"] == "media_list"]
    existing = frame[frame["source"] == "family_requests"]
    links = candidate_links(
        new, existing, min_probability=0.8, options=LinkageOptions(em_max_pairs=2e5, u_max_pairs=3e5)
    )
    assert list(links.columns) == [
        "new_record_id",
        "person_record_id",
        "match_probability",
        "match_weight",
        "explanation",
    ]
    assert len(links) > 0
    assert set(links["new_record_id"]) <= set(new["record_id"])
    assert set(links["person_record_id"]) <= set(existing["record_id"])
    correct = sum(
        truth[a] == truth[b] for a, b in zip(links["new_record_id"], links["person_record_id"], strict=True)
    )
    assert correct / len(links) >= 0.9
    assert links["match_weight"].is_monotonic_decreasing
    assert {f.field for f in links["explanation"].iloc[0]} == set(COMPARISON_FIELDS.values())


def test_brothers_are_excluded_and_clusters_follow_the_threshold() -> None:
    from kinlink.linkage.model import cluster_records, exclusions

    pairs = pd.DataFrame(
        {
            "unique_id_l": ["a", "b", "c", "d"],
            "unique_id_r": ["b", "c", "d", "e"],
            "match_probability": [0.99, 0.95, 0.6, 0.97],
            "gamma_given_name": [4, 0, 4, 4],
            "given_key_l": ["ivan", "ivan", "petr", "petr"],
            "given_key_r": ["ivan", "petr", "petr", "petr"],
            "gamma_birth_date": [5, 5, 5, 0],
            "birth_date_l": ["1990-01-01", "1990-01-01", "1992-03-03", "1992-03-03"],
            "birth_date_r": ["1990-01-01", "1992-03-03", "1992-03-03", "1971-07-07"],
        }
    )
    pairs["excluded"] = exclusions(pairs)
    assert pairs["excluded"].tolist() == ["", "different given names", "", "different birth dates"]
    clusters = cluster_records(["a", "b", "c", "d", "e"], pairs, 0.5).set_index("record_id")
    assert clusters.loc["a", "cluster_id"] == clusters.loc["b", "cluster_id"] == "a"
    assert clusters.loc["c", "cluster_id"] == clusters.loc["d", "cluster_id"] == "c"
    assert clusters.loc["e", "cluster_id"] == "e" and pd.isna(clusters.loc["e", "match_probability"])
    strict = cluster_records(["a", "b", "c", "d", "e"], pairs, 0.9).set_index("record_id")
    assert strict.loc["d", "cluster_id"] == "d"
    assert strict.loc["a", "match_probability"] == pytest.approx(0.99)


def test_a_sparse_record_does_not_chain_two_namesakes() -> None:
    from kinlink.linkage.model import cluster_records, exclusions

    frame = pd.DataFrame(
        [
            _row("a", full_name="Волков Александр Максимович", birth_date="1975-03-28"),
            _row("b", full_name="Sasha Volkov", birth_date="1975"),
            _row("c", full_name="Волков Олександр Максимович", birth_date="1975-05-05"),
            _row("d", full_name="Волков Олександр Максимович", birth_date="1975-03-28"),
        ]
    )
    prepared = prepare_records(frame)
    pairs = pd.DataFrame(
        {
            "unique_id_l": ["a", "b", "a"],
            "unique_id_r": ["b", "c", "d"],
            "match_probability": [0.9, 0.95, 0.8],
        }
    )
    columns = ["given_key", "given_alts", "patronymic_key", "birth_date"]
    by_id = prepared.set_index("unique_id")
    for side in ("l", "r"):
        for column in columns:
            pairs[f"{column}_{side}"] = by_id.loc[pairs[f"unique_id_{side}"], column].to_list()
    pairs["excluded"] = exclusions(pairs)
    assert (pairs["excluded"] == "").all()  # each scored pair alone is possible
    plain = cluster_records(prepared["unique_id"], pairs, 0.5).set_index("record_id")
    assert plain["cluster_id"].nunique() == 1  # a - b - c chained, and d
    split = cluster_records(prepared["unique_id"], pairs, 0.5, prepared).set_index("record_id")
    # a and c were born on different days: the weaker link a-b gives way to b-c.
    assert split.loc["b", "cluster_id"] == split.loc["c", "cluster_id"] == "b"
    assert split.loc["a", "cluster_id"] == split.loc["d", "cluster_id"] == "a"
    assert split.loc["a", "match_probability"] == pytest.approx(0.8)


def test_cannot_link_reasons() -> None:
    from kinlink.linkage.model import exclusions

    pairs = pd.DataFrame(
        {
            "given_key_l": ["ivan", "ivan", "vladislav", "ivan", "ivan", "ivan"],
            "given_key_r": ["ivan", "ivan", "ivan", "ivan", "ivan", "ivan"],
            "given_alts_l": [["ivan"], ["ivan"], ["vladislav", "vaceslav"], ["ivan"], ["ivan"], ["ivan"]],
            "given_alts_r": [["ivan"]] * 6,
            "patronymic_key_l": ["petr", None, None, None, None, None],
            "patronymic_key_r": ["ivan", None, None, None, None, None],
            "birth_date_l": ["1990-01-01", "2004-04-21", "1980", "1990-01-02", "1976", "1975"],
            "birth_date_r": [
                "1990-01-01",
                "2043-04-21",
                "1990-05-05",
                "1991-01-02",
                "1979-07-19",
                "1990-05-05",
            ],
        }
    )
    assert exclusions(pairs).tolist() == [
        "different fathers' names",
        "",  # 2004 vs 2043: one digit wrong in each record
        "",  # an ambiguous diminutive (Слава) never excludes; 1980 vs 1990 is one digit
        "",  # same day and month, year off by one
        "",  # 1976 vs 1979: one digit
        "different birth dates",
    ]


def test_prepared_dates_carry_day_and_month_numbers() -> None:
    frame = pd.DataFrame(
        [
            _row("a", full_name="Иванов Иван", event_date="2022-03-01"),
            _row("b", full_name="Иванов Иван", event_date="02.03.2022"),
            _row("c", full_name="Иванов Иван", event_date="2022-04"),
        ]
    )
    prepared = prepare_records(frame).set_index("unique_id")
    assert prepared.loc["b", "event_date"] == "2022-03-02"
    assert prepared.loc["b", "event_day"] - prepared.loc["a", "event_day"] == 1
    assert pd.isna(prepared.loc["c", "event_day"])
    assert prepared.loc["c", "event_month_number"] - prepared.loc["a", "event_month_number"] == 1


def test_impossible_dates_are_refused() -> None:
    with pytest.raises(LinkageInputError, match="row 2, column event_date: no such day or month"):
        prepare_records(pd.DataFrame([_row("x", full_name="Иванов Иван", event_date="2023-02-30")]))


def test_blocking_reaches_sparse_records_and_surname_typos() -> None:
    """Pairs no earlier rule proposed (bench/linkage_errors.py): a name-only obituary, a surname typo."""
    import duckdb

    from kinlink.linkage.model import blocking_rules

    prepared = prepare_records(
        pd.DataFrame(
            [
                _row(
                    "a",
                    full_name="Комаров Александр Михайлович",
                    birth_date="1981-02-17",
                    event_date="2023-12-05",
                ),
                _row("b", full_name="Александр Комаров"),
                _row("c", full_name="Кравууук Юрий Павлович", event_date="2022-05"),
                _row("d", full_name="Кравчук Юрий Павлович", event_date="2022-05-03"),
                _row("e", full_name="Петров Иван Сергеевич", birth_date="1990-01-01", event_date="2022-05"),
            ]
        )
    )
    con = duckdb.connect()
    con.register("records", prepared.drop(columns=["given_alts", "given_initials", "patronymic_initials"]))
    proposed: set[frozenset[str]] = set()
    for rule in blocking_rules():
        sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
        join = f"records l join records r on ({sql})"
        query = f"select l.unique_id, r.unique_id from {join} where l.unique_id < r.unique_id"
        proposed |= {frozenset(row) for row in con.execute(query).fetchall()}
    assert frozenset(("a", "b")) in proposed  # the obituary with a name only
    assert frozenset(("c", "d")) in proposed  # two letters of the surname wrong
    assert not any("e" in pair for pair in proposed)  # no rule joins unrelated people


def _proposed(prepared: pd.DataFrame) -> set[frozenset[str]]:
    """The record pairs any prediction blocking rule proposes, computed in DuckDB."""
    import duckdb

    from kinlink.linkage.model import blocking_rules

    con = duckdb.connect()
    con.register("records", prepared.drop(columns=["given_alts", "given_initials", "patronymic_initials"]))
    proposed: set[frozenset[str]] = set()
    for rule in blocking_rules():
        sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
        query = f"select l.unique_id, r.unique_id from records l join records r on ({sql})"
        rows = con.execute(query + " where l.unique_id < r.unique_id").fetchall()
        proposed |= {frozenset(row) for row in rows}
    return proposed


def test_broad_blocking_rules_skip_namesakes_whose_other_name_is_far() -> None:
    """Issue 16 at 10^6 records: rules on an initial, or without the surname, propose a pair only when the
    name they do not join on is close (two edits for given names, three for surnames) or missing."""
    prepared = prepare_records(
        pd.DataFrame(
            [
                # same surname, initial and event month; Александр and Андрей are different people
                _row("a1", full_name="Комаров Александр", event_date="2023-05-02"),
                _row("a2", full_name="Комаров Андрей", event_date="2023-05-20"),
                # the initial alone still meets the full name
                _row("a3", full_name="Комаров А.", event_date="2023-05"),
                # same given name and birth date: far surnames are namesakes, a typo is not
                _row("b1", full_name="Иванов Дмитрий", birth_date="1990-03-04"),
                _row("b2", full_name="Шевчук Дмитрий", birth_date="1990-03-04"),
                _row("b3", full_name="Ивнаов Дмитрий", birth_date="1990-03-04"),
            ]
        )
    )
    proposed = _proposed(prepared)
    assert frozenset(("a1", "a2")) not in proposed
    assert {frozenset(("a1", "a3")), frozenset(("a2", "a3"))} <= proposed
    assert frozenset(("b1", "b2")) not in proposed and frozenset(("b2", "b3")) not in proposed
    assert frozenset(("b1", "b3")) in proposed  # two letters swapped in the surname


def test_every_duckdb_run_is_memory_capped_and_spills_to_its_own_folder(tmp_path: Path) -> None:
    """Issue 17: DuckDB's own default is 80 % of the machine; kinlink caps every run, small ones too."""
    from kinlink.linkage.model import DEFAULT_MEMORY_LIMIT, _close_engine, _db_api, engine_settings

    small = _db_api(LinkageOptions(), 10)
    capped = engine_settings(small)
    assert DEFAULT_MEMORY_LIMIT == "2GB" and capped["memory_limit"] == "1.8 GiB"  # 2·10^9 bytes
    assert "kinlink-duckdb-" in capped["temp_directory"]
    _close_engine(small)
    assert not Path(capped["temp_directory"]).exists()  # removed when the run ends
    chosen = _db_api(LinkageOptions(memory_limit="256MiB", threads=1, spill_dir=str(tmp_path)), 10)
    settings = engine_settings(chosen)
    assert (settings["memory_limit"], settings["threads"]) == ("256.0 MiB", "1")
    assert settings["temp_directory"].startswith(str(tmp_path))
    _close_engine(chosen)
    with pytest.raises(ValueError, match="not a size"):
        _db_api(LinkageOptions(memory_limit="2GB'; drop table x; --"), 10)


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("22.02.1970", "1970-02-22"),
        ("22/02/1970", "1970-02-22"),
        ("22-02-1970", "1970-02-22"),
        ("2.3.1970", "1970-03-02"),
        ("1970.02.22", "1970-02-22"),
        ("1970/02/22", "1970-02-22"),
        ("02.1970", "1970-02"),
        ("2/1970", "1970-02"),
        ("1970", "1970"),
        ("1970-02-22", "1970-02-22"),
    ],
)
def test_local_date_writings_are_read_day_before_month(written: str, iso: str) -> None:
    from kinlink.linkage.model import normalise_date

    assert normalise_date(written) == iso
    prepared = prepare_records(pd.DataFrame([_row("x", full_name="Иванов Иван", birth_date=written)]))
    assert prepared.loc[0, "birth_date"] == iso


def test_impossible_local_dates_are_refused() -> None:
    with pytest.raises(LinkageInputError, match="row 2, column birth_date: no such day or month"):
        prepare_records(pd.DataFrame([_row("x", full_name="Иванов Иван", birth_date="31/02/1990")]))
    with pytest.raises(LinkageInputError, match="row 2, column birth_date: no such day or month"):
        prepare_records(pd.DataFrame([_row("x", full_name="Иванов Иван", birth_date="13.1990")]))


def test_surname_tail_is_five_letters_of_a_long_surname() -> None:
    """Four letters ("enko") are shared by too many Ukrainian surnames to block on."""
    prepared = prepare_records(
        pd.DataFrame(
            [
                _row("a", full_name="Шевченко Иван"),
                _row("b", full_name="Кравченко Иван"),
                _row("c", full_name="Петров Иван"),
            ]
        )
    ).set_index("unique_id")
    assert prepared.loc["a", "surname_tail"] == "cenko"
    assert prepared.loc["a", "surname_prefix"] != prepared.loc["b", "surname_prefix"]
    assert pd.isna(prepared.loc["c", "surname_tail"])  # six letters: the prefix and phonetic key serve


def test_names_keys_in_worker_processes_equal_those_of_one_process(
    small_lists: tuple[pd.DataFrame, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large inputs compute the names' keys in spawned worker processes; the keys are the same."""
    import os

    from kinlink.linkage import model

    frame, _ = small_lists
    alone = prepare_records(frame)
    monkeypatch.setattr(model, "_PARALLEL_NAMES", 10)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    model._keys_cached.cache_clear()
    in_workers = prepare_records(frame)
    assert model._keys_cached.cache_info().misses == 0  # no name was parsed in this process
    pd.testing.assert_frame_equal(in_workers, alone)
