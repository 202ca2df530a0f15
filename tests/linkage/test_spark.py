"""The same settings on Spark (local mode): scores equal DuckDB's for a model trained once."""

from __future__ import annotations

import importlib.util
import shutil

import pandas as pd
import pytest

from kinlink.linkage.model import LinkageOptions, LinkageResult, link_records

pytestmark = [
    pytest.mark.slow,
    pytest.mark.spark,
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="pyspark is not installed"),
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java"),
]


def test_spark_engine_reproduces_duckdb(
    small_lists: tuple[pd.DataFrame, dict[str, str]], linked: LinkageResult
) -> None:
    frame, truth = small_lists
    persons = pd.Series([truth[r] for r in frame["record_id"]], index=frame.index)
    repeated = persons[persons.duplicated(keep=False)].unique()[:25]
    sample = frame[persons.isin(repeated)]
    # The first two blocking rules keep Spark's many small jobs few; comparisons and parameters are the same.
    duck = link_records(sample, LinkageOptions(blocking_rule_count=2), model=linked.model)
    spark = link_records(sample, LinkageOptions(engine="spark", blocking_rule_count=2), model=linked.model)
    merged = duck.clusters.merge(spark.clusters, on="record_id", suffixes=("_duckdb", "_spark"))
    assert len(merged) == len(sample)
    pd.testing.assert_series_equal(
        merged["match_probability_duckdb"].round(6),
        merged["match_probability_spark"].round(6),
        check_names=False,
    )
    assert (merged["cluster_id_duckdb"] == merged["cluster_id_spark"]).all()
    assert merged["match_probability_duckdb"].notna().any()
