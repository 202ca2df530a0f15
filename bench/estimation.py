"""Benchmark and validation run for kinlink.estimation (run by hand, not by the test suite).

Writes bench/results/estimation.json: timings of the model searches and samplers, and the BCa bootstrap
intervals at 1,000 and 5,000 replicates next to the published ones (which come from R's generator, so they
can only be matched up to Monte Carlo error).

    PYTHONPATH=src python bench/estimation.py [--shared ../shared/estimation]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from kinlink.estimation.capture import read_capture_csv
from kinlink.estimation.dga import dga
from kinlink.estimation.intervals import bootstrap_bca
from kinlink.estimation.lcmcr import lcmcr
from kinlink.estimation.selection import bic_ranking, estimate_total, select_model

ROOT = Path(__file__).resolve().parents[1]
BCA_CASES = [
    ("us_western_site_trafficking_5lists.csv", "stepwise", (1293, 3670)),
    ("new_orleans_trafficking_5lists.csv", "stepwise", (589, 1703)),
    ("new_orleans_trafficking_8lists.csv", "stepwise", (717, 1657)),
]


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average": list(os.getloadavg()),
    }


def timed(fn: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "estimation"))
    parser.add_argument("--replicates", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    shared = Path(args.shared)
    results: dict[str, Any] = {"machine": machine(), "searches": [], "bca": [], "samplers": []}

    for name, order in [
        ("uk_modern_slavery_2013_5lists.csv", 2),
        ("uk_modern_slavery_2013_5lists.csv", 3),
        ("uk_modern_slavery_2013_6lists.csv", 2),
    ]:
        data = read_capture_csv(shared / name)
        ranking, secs = timed(lambda data=data, order=order: bic_ranking(data, order))
        results["searches"].append(
            {
                "data": name,
                "max_order": order,
                "models": len(ranking),
                "seconds": round(secs, 2),
                "best": ranking[0].name,
                "estimate": round(ranking[0].estimate, 1),
            }
        )
        print(results["searches"][-1], flush=True)

    for name, method, published in BCA_CASES:
        data = read_capture_csv(shared / name)
        fit = select_model(data, method).fit
        for n_boot in args.replicates:
            res, secs = timed(
                lambda data=data, n_boot=n_boot: bootstrap_bca(
                    data, lambda d: estimate_total(d, "stepwise"), n_boot, seed=1234
                )
            )
            row = {
                "data": name,
                "method": method,
                "model": fit.model,
                "estimate": round(fit.estimate, 1),
                "replicates": n_boot,
                "bca": [round(res.lo, 1), round(res.hi, 1)],
                "published": list(published),
                "relative_difference": [
                    round((res.lo - published[0]) / published[0], 4),
                    round((res.hi - published[1]) / published[1], 4),
                ],
                "z0": round(res.z0, 4),
                "acceleration": round(res.acceleration, 4),
                "seconds": round(secs, 1),
            }
            results["bca"].append(row)
            print(row, flush=True)

    kosovo = read_capture_csv(shared / "kosovo_1999_killings_4lists.csv")
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
    my5 = read_capture_csv(shared / "madigan_york_5lists.csv")
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
    out = ROOT / "bench" / "results" / "estimation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
