"""The screening kernel on Apache Spark (``kinlink dna screen --engine spark``).

The driver computes the family tables (exact, as in :mod:`kinlink.genetics.screening`) and broadcasts
them; the remains are split into partitions, and each Spark task runs the same numba kernel
(:func:`~kinlink.genetics.screening.screen_block`) for its remains against every table block. Tasks return
their top-k lists and threshold hits; the driver merges them into a :class:`ScreeningIndex` and re-checks
the shortlist with the exact engine, so the output equals the local engine's.

The master is ``KINLINK_SPARK_MASTER`` (default ``local[*]``); on a cluster submit with spark-submit (see
docs/methods/screening.md).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from kinlink.genetics.screening import (
    _BLOCK_ROWS,
    BlockResult,
    Candidate,
    Family,
    Profile,
    ScreeningIndex,
    ScreeningPanel,
    screen_block,
)


def _partition_task(
    ranges: Iterable[tuple[int, int]], blocks: Any, codes: Any, k: int, cut: float
) -> Iterator[tuple[int, int, list[tuple[int, BlockResult]]]]:
    """One Spark task: its remains ranges against every table block (runs on an executor)."""
    col1, col2, lw1, lw2, col3 = codes.value
    for start, end in ranges:
        part = (col1[start:end], col2[start:end], lw1[start:end], lw2[start:end], col3[start:end])
        results = []
        for b, block in enumerate(blocks.value):
            rows = np.arange(block.shape[0], dtype=np.int64)
            results.append((b, screen_block(block, rows, part, k, cut)))
        yield start, end, results


def spark_screen(
    panel: ScreeningPanel,
    families: Sequence[Family],
    remains: Mapping[str, Profile],
    threshold: float = 1e4,
    top: int = 5,
    dropout: float = 0.0,
    recheck: str = "threshold",
    partitions: int | None = None,
    master: str | None = None,
) -> tuple[list[Candidate], list[str]]:
    """Screen ``remains`` against ``families`` on Spark; returns the exact-checked candidates and notes."""
    from kinlink.sparksession import spark_builder

    index = ScreeningIndex(panel, threshold, top)
    index.add_families(families)
    index.add_remains(remains, dict.fromkeys(remains, dropout))
    n_r = len(index.remains)
    spark = spark_builder(
        "kinlink-screening", master or os.environ.get("KINLINK_SPARK_MASTER", "local[*]")
    ).getOrCreate()
    try:
        sc = spark.sparkContext
        n_parts = partitions or max(1, min(n_r, sc.defaultParallelism))
        bounds = np.linspace(0, n_r, n_parts + 1).astype(int)
        ranges = [(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]
        blocks = sc.broadcast(index.blocks)
        codes = sc.broadcast(index.code_arrays(np.arange(n_r, dtype=np.int64)))
        k, cut = index.top, index.cut
        out = (
            sc.parallelize(ranges, len(ranges))
            .mapPartitions(lambda it: _partition_task(it, blocks, codes, k, cut))
            .collect()
        )
    finally:
        spark.stop()
    pairs = 0
    for start, end, results in out:
        remains_pos = np.arange(start, end, dtype=np.int64)
        for b, res in results:
            n_rows = index.blocks[b].shape[0]
            targets = np.arange(b * _BLOCK_ROWS, b * _BLOCK_ROWS + n_rows, dtype=np.int64)
            index.absorb(remains_pos, targets, res)
            pairs += n_rows * remains_pos.size
    index.mark_screened(pairs)
    return index.candidates(recheck), list(index.notes)
