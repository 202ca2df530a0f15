"""Benchmark and validation run for kinlink.estimation (run by hand, not by the test suite).

Writes bench/results/estimation.json:

* ``searches``: timings and results of the exhaustive BIC searches and of the downhill BIC search;
* ``bca_r_resamples``: every published BCa interval of reference_estimates.csv recomputed with R's own
  multinomial resamples (``set.seed(1234)``; stored by bench/r_resamples.py under
  tests/data/estimation/r_draws), i.e. the same replicates as the published run: this checks the
  algorithm (the two-way BIC row also gives the limits with the 2024 code's acceleration,
  ``with_2024_code_acceleration``);
* ``bca_seed_spread``: the same intervals with numpy's generator over several seeds, 1,000 replicates each:
  what the published figure would look like from another random stream (the Monte Carlo spread);
* ``samplers``: the two MCMC-type estimators.

    flock /work/wt/heavy.lock env PYTHONPATH=src python bench/estimation.py [--seeds 20] [--quick]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import write_results
from tests.data import DATA
from tests.estimation.r_draws import r_resamples

from kinlink.estimation.capture import CaptureData, read_capture_csv
from kinlink.estimation.dga import dga
from kinlink.estimation.intervals import BootstrapInterval, bca_interval, bootstrap_bca
from kinlink.estimation.lcmcr import lcmcr
from kinlink.estimation.loglinear import check_model, fit_many, model_name
from kinlink.estimation.selection import bic_ranking, downhill_search, estimate_total

ROOT = Path(__file__).resolve().parents[1]
# (data, method, max_order, published estimate, published BCa, R run noted in reference_estimates.csv)
BCA_CASES: list[tuple[str, str, int | None, float, tuple[float, float], tuple[float, float] | None]] = [
    ("us_western_site_trafficking_5lists.csv", "stepwise", None, 2483, (1293, 3670), (1293, 3672)),
    ("new_orleans_trafficking_5lists.csv", "stepwise", None, 1034, (589, 1703), (589, 1704)),
    ("new_orleans_trafficking_8lists.csv", "stepwise", None, 1184, (717, 1657), None),
    ("uk_modern_slavery_2013_5lists.csv", "bic-downhill", 4, 12262, (9330, 32115), None),
    ("uk_modern_slavery_2013_6lists.csv", "bic-downhill", 5, 12350, (9622, 27889), None),
    ("uk_modern_slavery_2013_5lists.csv", "bic", 2, 22991, (11456, 43894), None),
]


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _estimate(d: CaptureData, method: str, order: int | None) -> float:
    return estimate_total(d, method, max_order=order)


def rel(a: float, b: float) -> float:
    return round((a - b) / b, 4)


def with_2024_code_acceleration(data: CaptureData, res: BootstrapInterval, n_top: int) -> dict[str, Any]:
    """The BCa limits from the same replicates, with the acceleration as MultipleSystemsEstimation's
    ``ntopBCa(z, maxorder = 2)`` computes it for ``z`` assembled over all hierarchical models: the jackknife
    chooses among the ``n_top`` best models (with an MLE) of the all-orders ranking, not among the two-way
    models the bootstrap chooses from (docs/methods/estimation.md, section 5)."""
    top: list[tuple[tuple[int, ...], ...]] = []
    for ranked in bic_ranking(data, data.n_lists - 1):
        if check_model(data, ranked.terms).ok:
            top.append(ranked.terms)
        if len(top) == n_top:
            break

    def choose(d: CaptureData) -> float:
        fits = fit_many(d, top, normalised=True)
        order = sorted(range(len(fits)), key=lambda k: -2 * fits[k][3] + np.log(d.observed) * fits[k][4])
        return next(fits[k][2] for k in order if fits[k][5] and check_model(d, top[k]).ok)

    cells = np.flatnonzero(data.counts > 0)
    jack = np.array([choose(data.with_counts(data.counts - np.eye(len(data.counts))[c])) for c in cells])
    lo, hi, _z0, a = bca_interval(res.replicates, res.estimate, jack, res.jackknife_weights, res.level)
    return {
        "jackknife_models": f"the {n_top} best with an MLE among all hierarchical models up to order "
        f"{data.n_lists - 1}",
        "bca": [round(lo, 1), round(hi, 1)],
        "acceleration": round(a, 4),
        "jackknife_range": [round(float(jack.min()), 1), round(float(jack.max()), 1)],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(DATA / "estimation"), help="reference capture histories")
    parser.add_argument("--seeds", type=int, default=20, help="numpy seeds per stepwise case (spread)")
    parser.add_argument(
        "--quick", action="store_true", help="skip the UK bootstraps; write estimation_quick.json"
    )
    args = parser.parse_args()
    reference = Path(args.data)
    results: dict[str, Any] = {
        "note": (
            f"wall-clock seconds on a shared 2-core machine (load average {os.getloadavg()[0]:.1f} at the "
            "start), OPENBLAS_NUM_THREADS as set by the caller"
        ),
        "searches": [],
        "bca_r_resamples": [],
        "bca_seed_spread": [],
        "samplers": [],
    }

    for name, ex_order in [
        ("uk_modern_slavery_2013_5lists.csv", 2),
        ("uk_modern_slavery_2013_5lists.csv", 3),
        ("uk_modern_slavery_2013_6lists.csv", 2),
    ]:
        data = read_capture_csv(reference / name)
        ranking, secs = timed(functools.partial(bic_ranking, data, ex_order))
        results["searches"].append(
            {
                "data": name,
                "search": "exhaustive BIC",
                "max_order": ex_order,
                "models": len(ranking),
                "seconds": round(secs, 2),
                "best": ranking[0].name,
                "estimate": round(ranking[0].estimate, 1),
            }
        )
        print(results["searches"][-1], flush=True)
    for name, dh_order in [
        ("uk_modern_slavery_2013_5lists.csv", 4),
        ("uk_modern_slavery_2013_5lists.csv", 2),
        ("uk_modern_slavery_2013_6lists.csv", 5),
        ("kosovo_1999_killings_4lists.csv", 3),
        ("kosovo_1999_killings_4lists.csv", 2),
        ("korea_palembang_3lists.csv", 2),
    ]:
        data = read_capture_csv(reference / name)
        found, secs = timed(functools.partial(downhill_search, data, dh_order))
        results["searches"].append(
            {
                "data": name,
                "search": "downhill BIC from main effects",
                "max_order": dh_order,
                "models_fitted": found.visited,
                "moves": len(found.path) - 1,
                "seconds": round(secs, 3),
                "best": model_name(found.terms, data.lists),
                "bic": round(found.bic, 2),
                "estimate": round(found.estimate, 1),
            }
        )
        print(results["searches"][-1], flush=True)

    for name, method, order, published_est, published, r_run in BCA_CASES:
        if args.quick and name.startswith("uk_"):
            continue
        data = read_capture_csv(reference / name)

        estimator = functools.partial(_estimate, method=method, order=order)
        res, secs = timed(
            functools.partial(bootstrap_bca, data, estimator, 0, resamples=r_resamples(data, name))
        )
        row = {
            "data": name,
            "method": method,
            "max_order": order,
            "estimate": round(res.estimate, 1),
            "published_estimate": published_est,
            "replicates": len(res.replicates),
            "resamples": "R set.seed(1234); rmultinom",
            "bca": [round(res.lo, 1), round(res.hi, 1)],
            "published": list(published),
            "r_run": list(r_run) if r_run else None,
            "relative_difference": [rel(res.lo, published[0]), rel(res.hi, published[1])],
            "z0": round(res.z0, 4),
            "acceleration": round(res.acceleration, 4),
            "failed_replicates": res.failed,
            "seconds": round(secs, 1),
        }
        if method == "bic" and order is not None and order < data.n_lists - 1:
            n_top = sum(check_model(data, r.terms).ok for r in bic_ranking(data, order))
            extra = with_2024_code_acceleration(data, res, n_top)
            extra["relative_difference"] = [
                rel(extra["bca"][0], published[0]),
                rel(extra["bca"][1], published[1]),
            ]
            row["with_2024_code_acceleration"] = extra
        results["bca_r_resamples"].append(row)
        print(row, flush=True)

    for name, method, _order, _est, published, _r in BCA_CASES:
        if method != "stepwise":
            continue
        data = read_capture_csv(reference / name)
        n_seeds = args.seeds if "8lists" not in name else max(3, args.seeds // 4)
        los, his, z0s = [], [], []
        t0 = time.perf_counter()
        for seed in range(1, n_seeds + 1):
            b = bootstrap_bca(data, lambda d: estimate_total(d, "stepwise"), 1000, seed=seed)
            los.append(b.lo)
            his.append(b.hi)
            z0s.append(b.z0)
        row = {
            "data": name,
            "method": method,
            "replicates": 1000,
            "seeds": n_seeds,
            "published": list(published),
            "lo": {
                "min": round(min(los), 1),
                "median": round(float(np.median(los)), 1),
                "max": round(max(los), 1),
            },
            "hi": {
                "min": round(min(his), 1),
                "median": round(float(np.median(his)), 1),
                "max": round(max(his), 1),
            },
            "z0": {"min": round(min(z0s), 3), "max": round(max(z0s), 3)},
            "share_within_2pct": [
                round(float(np.mean([abs(v - published[0]) <= 0.02 * published[0] for v in los])), 3),
                round(float(np.mean([abs(v - published[1]) <= 0.02 * published[1] for v in his])), 3),
            ],
            "seconds": round(time.perf_counter() - t0, 1),
        }
        results["bca_seed_spread"].append(row)
        print(row, flush=True)

    kosovo = read_capture_csv(reference / "kosovo_1999_killings_4lists.csv")
    res_l, secs = timed(lambda: lcmcr(kosovo, seed=1))
    results["samplers"].append(
        {
            "data": "kosovo_1999_killings_4lists.csv",
            "method": "lcmcr (K=10, 5000 burn-in, 2000 draws thinned by 5)",
            "median": res_l.median,
            "interval": list(res_l.credible_interval()),
            "seconds": round(secs, 1),
        }
    )
    my5 = read_capture_csv(reference / "madigan_york_5lists.csv")
    res_d, secs = timed(lambda: dga(my5))
    results["samplers"].append(
        {
            "data": "madigan_york_5lists.csv",
            "method": "dga (822 decomposable graphs, delta 2^-5, prior 1/N)",
            "estimate": round(res_d.bayes_estimate, 1),
            "interval": list(res_d.credible_interval()),
            "seconds": round(secs, 2),
        }
    )
    print(results["samplers"], flush=True)
    out = write_results("estimation_quick" if args.quick else "estimation", results)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
