"""The one published BCa interval bench/estimation.py leaves out, because it is slow: UK 2013, 5 lists,
BIC over all hierarchical models, 25,311 [11,168, 56,052] (reproduce-2024.md Table 6), with R's own
resamples (``set.seed(1234); rmultinom``). ``--max-order 3`` searches the 6,212 models up to three-way
terms (kinlink's default for five lists); ``--max-order 4`` the 6,893 models of the 2024 code's "all
hierarchical models".

Every replicate reruns the exhaustive search (about 2 s each), so the 1,000 replicates run in a process
pool; the jackknife (one fit per distinct capture history) runs in the parent. Writes
bench/results/estimation_bic_order<N>.json. Run by hand:

    flock /work/wt/heavy.lock env PYTHONPATH=src python bench/estimation_bic_order3.py [--max-order 4]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import write_results
from tests.data import DATA
from tests.estimation.r_draws import r_resamples

from kinlink.estimation.capture import CaptureData, read_capture_csv
from kinlink.estimation.intervals import bootstrap_bca
from kinlink.estimation.selection import estimate_total

NAME = "uk_modern_slavery_2013_5lists.csv"
PUBLISHED_ESTIMATE = 25311
PUBLISHED = (11168.0, 56052.0)


def _one(lists: tuple[str, ...], order: int, counts: np.ndarray) -> float:
    try:
        return estimate_total(CaptureData(lists, counts), "bic", max_order=order)
    except ValueError:
        return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(DATA / "estimation"), help="reference capture histories")
    parser.add_argument("--max-order", type=int, default=3, choices=(3, 4))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--replicates", type=int, default=0, help="use only the first N of R's draws")
    args = parser.parse_args()
    data = read_capture_csv(Path(args.data) / NAME)
    draws = r_resamples(data, NAME)
    if args.replicates:
        draws = draws[: args.replicates]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        values = list(pool.map(functools.partial(_one, data.lists, args.max_order), list(draws), chunksize=8))
    known = {draw.tobytes(): value for draw, value in zip(draws, values, strict=True)}
    replicate_seconds = time.perf_counter() - t0

    def estimator(d: CaptureData) -> float:
        hit = known.get(np.asarray(d.counts, dtype=np.float64).tobytes())
        if hit is not None:
            if np.isnan(hit):
                raise ValueError("no model can be fitted to this replicate")
            return hit
        return estimate_total(d, "bic", max_order=args.max_order)

    res = bootstrap_bca(data, estimator, 0, resamples=draws)
    row = {
        "data": NAME,
        "method": "bic",
        "max_order": args.max_order,
        "estimate": round(res.estimate, 1),
        "published_estimate": PUBLISHED_ESTIMATE,
        "replicates": len(res.replicates),
        "resamples": "R set.seed(1234); rmultinom",
        "bca": [round(res.lo, 1), round(res.hi, 1)],
        "published": list(PUBLISHED),
        "relative_difference": [
            round((res.lo - PUBLISHED[0]) / PUBLISHED[0], 4),
            round((res.hi - PUBLISHED[1]) / PUBLISHED[1], 4),
        ],
        "z0": round(res.z0, 4),
        "acceleration": round(res.acceleration, 4),
        "failed_replicates": res.failed,
        "replicate_seconds": round(replicate_seconds, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "workers": args.workers,
        "load_average_at_end": list(os.getloadavg()),
    }
    print(row, flush=True)
    if not args.replicates:
        write_results(f"estimation_bic_order{args.max_order}", row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
