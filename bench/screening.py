"""Benchmark of all-against-all DNA screening: speed, memory and accuracy by reference configuration.

Run by hand (not by the test suite):

    PYTHONPATH=src python bench/screening.py --families 100000 --remains 10000

Writes bench/results/screening.json (or --out): pairs per second of the screening phase, families per
second of the precomputation, peak memory (max RSS), and sensitivity and false positives per million pairs
at LR thresholds 10^3, 10^4 and 10^6 by reference configuration, on the scenario generator's families
(23 synthetic STR markers, stepwise mutation, degraded remains). A sample of pairs is re-checked with the
exact engine to confirm that every pair at or above 10^4 is in the shortlist.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

from kinlink.genetics.screening import ScreeningIndex, ScreeningPanel, Target
from kinlink.scenario.dna import generate_dna

THRESHOLDS = (3, 4, 6)  # log10 LR


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the precompute workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--remains", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--exact-sample", type=int, default=300, help="true pairs re-checked exactly")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "screening.json"))
    args = parser.parse_args(argv)

    warm = generate_dna(20, 10, seed=99)  # compile (or load) the numba kernels before timing
    warm_index = ScreeningIndex(ScreeningPanel(tuple(warm.loci)))
    warm_index.add_families(warm.families)
    warm_index.add_remains(warm.remains)
    warm_index.screen()

    t0 = time.perf_counter()
    sc = generate_dna(args.families, args.remains, seed=args.seed, share_related=0.6)
    t_gen = time.perf_counter() - t0
    panel = ScreeningPanel(tuple(sc.loci))
    index = ScreeningIndex(panel, threshold=10.0 ** min(THRESHOLDS), top=args.top, workers=args.workers)

    t0, c0 = time.perf_counter(), _cpu_seconds()
    index.add_families(sc.families)
    t_pre, cpu_pre = time.perf_counter() - t0, _cpu_seconds() - c0
    rss_after_tables = _peak_rss_gb()
    index.add_remains(sc.remains)
    t0, c0 = time.perf_counter(), _cpu_seconds()
    n_pairs = index.screen()
    t_screen, cpu_screen = time.perf_counter() - t0, _cpu_seconds() - c0
    peak = _peak_rss_gb()

    # truth: screening scores of the true pairs, and the false pairs over each threshold
    target_pos = {t.family: i for i, t in enumerate(index.targets)}
    config_of = sc.configuration
    configs = sorted(set(config_of.values()))
    families_per_config = {c: sum(1 for f in config_of.values() if f == c) for c in configs}
    true_scores: dict[str, list[float]] = {c: [] for c in configs}
    true_pairs = [(r, f) for r, f in sc.truth.items() if f is not None]
    for r, f in true_pairs:
        true_scores[config_of[f]].append(index.screening_log10_lr(r, index.targets[target_pos[f]]))
    false_hits: dict[str, list[float]] = {c: [] for c in configs}
    for (ri, ti), s in index.hits.items():
        target = index.targets[ti]
        if sc.truth[index.remains[ri]] != target.family:
            false_hits[config_of[target.family]].append(s)
    by_config = {}
    for c in configs:
        scores = np.array(true_scores[c])
        pairs_c = len(sc.remains) * families_per_config[c]
        by_config[c] = {
            "families": families_per_config[c],
            "true_pairs": len(scores),
            **{
                f"sensitivity_1e{k}": float(np.mean(scores >= k)) if len(scores) else None for k in THRESHOLDS
            },
            **{
                f"false_positives_per_million_pairs_1e{k}": 1e6
                * sum(1 for s in false_hits[c] if s >= k)
                / pairs_c
                for k in THRESHOLDS
            },
        }

    # exact re-check: shortlisted pairs at or above 10^4 and a sample of true pairs
    rng = np.random.default_rng(args.seed)
    sample = [
        true_pairs[i] for i in rng.choice(len(true_pairs), min(args.exact_sample, len(true_pairs)), False)
    ]
    shortlisted = {(index.remains[r], index.targets[t]) for r, t, _, _ in index.shortlist()}
    t0 = time.perf_counter()
    worst = 0.0
    missed = 0
    exact_ge = 0
    for r, f in sample:
        target = Target(f, "MP")
        exact = index.exact_log10_lr(r, target)
        fast = index.screening_log10_lr(r, target)
        if math.isfinite(exact):
            worst = max(worst, abs(exact - fast))
        if exact >= 4:
            exact_ge += 1
            missed += (r, target) not in shortlisted
    t_exact = time.perf_counter() - t0
    hits_1e4 = [(r, t) for (r, t), s in index.hits.items() if s >= 4 - 0.01]
    t0 = time.perf_counter()
    for ri, ti in hits_1e4[:200]:
        index.exact_log10_lr(index.remains[ri], index.targets[ti])  # timed: the re-check of one hit
    t_recheck = (time.perf_counter() - t0) / max(1, min(200, len(hits_1e4)))

    total = t_pre + t_screen
    full_pairs = 10_000 * 100_000
    result = {
        "benchmark": "screening",
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_average_at_end": os.getloadavg(),
            "note": "the 2-core machine is shared with other jobs; the load average says how busy it was",
        },
        "sizes": {
            "families": args.families,
            "remains": args.remains,
            "markers": len(sc.loci),
            "pairs": n_pairs,
        },
        "seconds": {
            "scenario_generation": round(t_gen, 2),
            "precomputation": round(t_pre, 2),
            "screening": round(t_screen, 2),
            "precomputation_plus_screening": round(total, 2),
        },
        "cpu_seconds": {
            "precomputation": round(cpu_pre, 1),
            "screening": round(cpu_screen, 1),
            "note": "CPU time of all processes; on an otherwise idle 2-core machine wall time is about "
            "CPU time / 2 when both cores are used",
        },
        "families_per_second_precomputation": round(args.families / t_pre, 1),
        "pairs_per_second_screening": round(n_pairs / t_screen, 0),
        "peak_memory_gb": round(peak, 3),
        "memory_after_tables_gb": round(rss_after_tables, 3),
        "table_bytes_per_family": int(index.table_row(0).nbytes),
        "extrapolated_full_scale": {
            "pairs": full_pairs,
            "seconds_precomputation": round(100_000 / (args.families / t_pre), 1),
            "seconds_screening": round(full_pairs / (n_pairs / t_screen), 1),
            "table_memory_gb": round(100_000 * index.table_row(0).nbytes / 1024**3, 2),
        },
        "accuracy_by_configuration": by_config,
        "exact_check": {
            "true_pairs_rechecked": len(sample),
            "with_exact_lr_at_least_1e4": exact_ge,
            "missing_from_shortlist": missed,
            "max_abs_log10_difference_float32": worst,
            "seconds_per_exact_pair": round(t_exact / max(1, len(sample)), 4),
            "seconds_per_recheck_of_a_hit": round(t_recheck, 4),
            "pairs_at_or_above_1e4_screening": len(hits_1e4),
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
