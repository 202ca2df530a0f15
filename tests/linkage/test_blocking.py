"""Blocking on DuckDB (``kinlink.linkage.blocking``): the same scored pairs as Splink's own blocking, less
the pairs a cannot-link rule forbids, and the same clusters."""

from __future__ import annotations

import itertools
import random
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from kinlink.linkage import model as linkage
from kinlink.linkage.blocking import register_blocked_pairs
from kinlink.scenario import generate
from kinlink.scenario.lists import VariationRates, varied_lists


@pytest.fixture(scope="module")
def harsh() -> pd.DataFrame:
    """Harsh lists (typos, swapped columns, local dates, brothers, namesakes) of a small world."""
    records = varied_lists(generate(seed=21, size=1500), rates=VariationRates.harsh())
    return pd.DataFrame([r.row for r in records])


def _linker(prepared: pd.DataFrame) -> Any:
    from splink import Linker

    options = linkage.LinkageOptions()
    db_api = linkage._db_api(options, len(prepared))
    frame = linkage._register(db_api, prepared, "records", options)
    return Linker(frame, linkage.linkage_settings("dedupe_only"), log_level=None)


def _scored(linker: Any) -> pd.DataFrame:
    predictions = linker.inference.predict(threshold_match_probability=0.2, warning_mode="never")
    pairs = linkage._slim_pairs(linker, predictions)
    pairs["excluded"] = linkage.exclusions(pairs)
    return pairs.set_index(["unique_id_l", "unique_id_r"])


def test_blocked_pairs_score_as_splinks_own_blocking_less_the_forbidden(harsh: pd.DataFrame) -> None:
    prepared = linkage.prepare_records(harsh)
    splink_own = _linker(prepared)
    linkage.train(splink_own, linkage.LinkageOptions(em_max_pairs=3e5, u_max_pairs=5e5), prepared)
    linkage.sanitise_parameters(splink_own)
    expected = _scored(splink_own)
    forbidden = expected[expected["excluded"] != ""]
    assert len(forbidden) >= 3  # the harsh lists hold brothers and namesakes that score above the floor
    explained = str(forbidden.index[0][0])

    ours = _linker(prepared)
    linkage.apply_trained_parameters(ours, splink_own.misc.save_model_to_json())
    linkage.sanitise_parameters(ours)
    blocked = register_blocked_pairs(
        ours,
        linkage.blocking_keys(prepared),
        join_condition=linkage.NAMES_CAN_LINK_SQL,
        pair_condition=linkage.DATES_CAN_LINK_SQL,
        keep=(explained,),
    )
    got = _scored(ours)

    def involves(frame: pd.DataFrame, record: str) -> Any:
        return frame.index.get_level_values(0).isin([record]) | frame.index.get_level_values(1).isin([record])

    wanted = expected[(expected["excluded"] == "") | involves(expected, explained)]
    assert set(got.index) == set(wanted.index)
    assert blocked.as_pandas_dataframe().shape[0] >= len(got)
    both = wanted[["match_weight"]].join(got[["match_weight"]], rsuffix="_ours")
    assert np.allclose(both["match_weight"], both["match_weight_ours"], rtol=0, atol=1e-9)
    # The explained record's forbidden links are still scored, with their reasons.
    assert (got.loc[involves(got, explained), "excluded"] != "").any()
    assert (got.loc[~involves(got, explained), "excluded"] == "").all()

    clusters = linkage.cluster_records(prepared["unique_id"], expected.reset_index(), 0.5, prepared)
    ours_clusters = linkage.cluster_records(prepared["unique_id"], got.reset_index(), 0.5, prepared)
    pd.testing.assert_frame_equal(clusters, ours_clusters)


def test_can_link_sql_is_the_cannot_link_rules() -> None:
    """Every pair of a set of records built to meet each rule's edge cases: the SQL says "may link"
    exactly where ``exclusions`` finds no reason."""
    rng = random.Random(4)
    dates = [
        "1990-01-02",
        "1990-02-01",  # day and month swapped
        "1991-01-02",  # year off by one
        "1980-01-02",  # one digit of the year
        "2043-01-02",  # two digits of the year
        "1990-01-03",
        "1990-11-22",
        "1909-10-20",
        "1990",
        "1991",
        "1980",
        "1999",
        "2000",
        "1990-01",
        "",
    ]
    givens = ["ivan", "petr", None, "vladislav"]
    rows = []
    for n in range(240):
        given = rng.choice(givens)
        rows.append(
            {
                "unique_id": f"r{n:03d}",
                "given_key": given,
                "given_alts": ["vladislav", "vaceslav"]
                if given == "vladislav"
                else ([given] if given else None),
                "patronymic_key": rng.choice(["ivan", "petr", None]),
                "birth_date": rng.choice(dates) or None,
            }
        )
    prepared = pd.DataFrame(rows)
    keys = linkage.blocking_keys(prepared)
    connection = duckdb.connect()
    connection.register("k", keys)
    allowed = connection.execute(
        f"select l.unique_id, r.unique_id, {linkage.CAN_LINK_SQL} from k as l join k as r "
        "on l.unique_id < r.unique_id"
    ).fetchall()
    pairs = pd.DataFrame(list(itertools.combinations(rows, 2)), columns=["l", "r"])
    sides = {
        f"{column}_{side}": pairs[side].map(lambda row, c=column: row[c])
        for side in ("l", "r")
        for column in ("unique_id", "given_key", "given_alts", "patronymic_key", "birth_date")
    }
    frame = pd.DataFrame(sides)
    reasons = dict(
        zip(
            zip(frame["unique_id_l"], frame["unique_id_r"], strict=True),
            linkage.exclusions(frame),
            strict=True,
        )
    )
    assert len(allowed) == len(reasons)
    assert {reason for reason in reasons.values()} == set(linkage._REASONS.values())
    for left, right, may_link in allowed:
        assert may_link == (reasons[(left, right)] == ""), (left, right, reasons[(left, right)])


def test_clusters_do_not_depend_on_the_order_of_the_pairs() -> None:
    """Equal probabilities are taken in the order of their records, not of the rows."""
    frame = pd.DataFrame(
        [
            {"record_id": "a", "full_name": "Волков Александр Максимович", "birth_date": "1975-03-28"},
            {"record_id": "b", "full_name": "Sasha Volkov", "birth_date": "1975"},
            {"record_id": "c", "full_name": "Волков Олександр Максимович", "birth_date": "1975-05-05"},
        ]
    ).assign(surname="", given_name="")
    prepared = linkage.prepare_records(frame)
    pairs = pd.DataFrame(
        {"unique_id_l": ["a", "b"], "unique_id_r": ["b", "c"], "match_probability": [0.9, 0.9]}
    )
    forward = linkage.cluster_records(prepared["unique_id"], pairs, 0.5, prepared)
    backward = linkage.cluster_records(prepared["unique_id"], pairs.iloc[::-1], 0.5, prepared)
    pd.testing.assert_frame_equal(forward, backward)
    assert forward.set_index("record_id").loc["b", "cluster_id"] == "a"  # a-b comes first among equals


def test_a_runs_exclusions_are_the_cannot_link_rules_of_its_pairs(harsh: pd.DataFrame) -> None:
    """``link_records`` finds the reasons from the facts of the records: :func:`exclusions` of its pairs."""
    result = linkage.link_records(
        harsh,
        linkage.LinkageOptions(em_max_pairs=3e5, u_max_pairs=5e5, explain=(str(harsh["record_id"][0]),)),
    )
    assert len(result.pairs) > 100
    pd.testing.assert_series_equal(
        result.pairs["excluded"], linkage.exclusions(result.pairs), check_names=False
    )
