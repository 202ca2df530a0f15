"""R's own bootstrap resamples of the published datasets (``set.seed(1234); rmultinom(1000, n, counts)``),
made by bench/r_resamples.py and stored here, so that the BCa intervals can be checked on the very draws
the published runs used. They are random draws, not the datasets, which are in tests/data/estimation;
the draws are in its r_draws/ folder."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from kinlink.estimation.capture import CaptureData
from tests.data import DATA

R_DATA = DATA / "estimation" / "r_draws"


def draws_path(name: str, seed: int = 1234) -> Path:
    """Where the draws for the dataset file ``name`` live (a short key of the name)."""
    key = name.removesuffix(".csv").replace("_modern_slavery_2013", "2013").replace("_trafficking", "")
    return R_DATA / f"r_rmultinom_seed{seed}_{key}.csv.gz"


def r_resamples(data: CaptureData, name: str) -> np.ndarray:
    """The stored draws for ``name`` as counts per history code, one row per replicate."""
    with gzip.open(draws_path(name), "rt", encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
        draws = np.loadtxt(fh, delimiter=",", ndmin=2)
    out = np.zeros((len(draws), len(data.counts)))
    for k, hist in enumerate(header):
        out[:, sum(int(v) << j for j, v in enumerate(hist)) - 1] += draws[:, k]
    return out
