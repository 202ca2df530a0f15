"""The screening kernel on Spark in local mode gives the local engine's candidates."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from kinlink.cli import main
from kinlink.scenario.dna import generate_dna

pytest.importorskip("pyspark")
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")


@pytest.mark.slow
@pytest.mark.spark
@needs_java
def test_spark_engine_matches_local(tmp_path: Path) -> None:
    sc = generate_dna(20, 8, seed=13)
    paths = sc.write_csv(tmp_path)
    common = [
        "dna",
        "screen",
        "--pedigrees",
        str(paths["pedigrees"]),
        "--references",
        str(paths["references"]),
        "--remains",
        str(paths["remains"]),
        "--frequencies",
        str(paths["frequencies"]),
        "--mutation",
        "stepwise:rate=0.002,rate2=1e-6,range=0.1",
        "--top",
        "3",
    ]
    assert main([*common, "--out", str(tmp_path / "local.csv")]) == 0
    assert main([*common, "--engine", "spark", "--out", str(tmp_path / "spark.csv")]) == 0
    local = (tmp_path / "local.csv").read_text()
    assert (tmp_path / "spark.csv").read_text() == local
    with (tmp_path / "spark.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["remains"] for r in rows} == set(sc.remains)
