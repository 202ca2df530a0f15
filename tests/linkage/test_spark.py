"""The same settings on Spark (local mode): scores equal DuckDB's for a model trained once."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from kinlink.linkage.model import LinkageOptions, LinkageResult, link_records

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="pyspark is not installed"
)


def test_spark_engine_reproduces_duckdb(
    small_lists: tuple[pd.DataFrame, dict[str, str]], linked: LinkageResult
) -> None:
    frame, _ = small_lists
    sample = frame[frame["source"].isin(["family_requests", "obituaries"])].head(60)
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
