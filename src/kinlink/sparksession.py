"""The one way kinlink starts a Spark session (pure: no Django).

A Python process has one JVM and, in practice, one Spark session: ``getOrCreate`` hands the first session
back to every later caller, with the first caller's settings. So every session of the project starts with
what any of its Spark jobs needs:

* Splink's string-similarity UDF jar (linkage), which must be on the JVM's classpath from the start;
* this interpreter for the Python workers (genetics screening runs numba kernels in them).

Without this, a linkage run after a screening run in the same process (a worker, the test suite) fails
with an unresolved JARO_WINKLER, and a screening run after a linkage run cannot import kinlink.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def project_spark_jars() -> str:
    """Comma-separated jars for ``spark.jars``: Splink's similarity UDFs where Splink is installed."""
    try:
        from splink.backends.spark import similarity_jar_location
    except ImportError:  # pragma: no cover - splink is a dependency; without it no jar is needed
        return ""
    return str(similarity_jar_location())


def spark_builder(app: str, master: str) -> Any:
    """A ``SparkSession.builder`` with the project-wide settings; callers add theirs and ``getOrCreate``."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors use this interpreter
    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.jars", project_spark_jars())
        .config("spark.pyspark.python", os.environ["PYSPARK_PYTHON"])
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
