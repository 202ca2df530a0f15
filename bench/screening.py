"""Benchmark of all-against-all DNA screening: speed, memory and accuracy by reference configuration.

Run by hand (not by the test suite):

    PYTHONPATH=src python bench/screening.py --families 100000 --remains 10000

    PYTHONPATH=src python bench/screening.py --shapes [--shape-families 4000 --exact-families 400]

Writes bench/results/screening.json (or --out): pairs per second of the screening phase, families per
second of the precomputation, peak memory (max RSS), and sensitivity and false positives per million pairs
at LR thresholds 10^3, 10^4 and 10^6 by reference configuration, on the scenario generator's families
(23 synthetic STR markers, stepwise mutation, degraded remains). A sample of pairs is re-checked with the
exact engine to confirm that every pair at or above 10^4 is in the shortlist.

``--shapes`` measures the precomputation alone per pedigree shape (nuclear shapes on the closed form of
``genetics.nuclear``, the others on the batched peeling of ``genetics.peeling``) against the exact engine
(the old fallback of every non-nuclear shape), with the largest difference of the table entries in log10,
and writes bench/results/screening_shapes.json.
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
from typing import Any

import numpy as np

from bench._machine import write_results
from kinlink.genetics.pedigree import Pedigree, Person
from kinlink.genetics.screening import Family, ScreeningIndex, ScreeningPanel, Target, family_tables
from kinlink.scenario import dna as scenario_dna
from kinlink.scenario.dna import CONFIGURATIONS, generate_dna

THRESHOLDS = (3, 4, 6)  # log10 LR


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the precompute workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


_GRAND = (("GF", "male", None, None), ("GM", "female", None, None), ("FA", "male", "GF", "GM"))
_PARENTS = (("MO", "female", None, None), ("MP", "male", "FA", "MO"))
_UNCLE = (("UN", "male", "GF", "GM"),)
_COUSIN = (("UW", "female", None, None), ("CO", "female", "UN", "UW"))
_HALF = (("M2", "female", None, None), ("HS", "male", "FA", "M2"))

#: Shapes that are not nuclear: members (id, sex, father, mother) and typed references.
NON_NUCLEAR: dict[str, tuple[tuple[tuple[str, str, str | None, str | None], ...], tuple[str, ...]]] = {
    "grandmother": ((*_GRAND, *_PARENTS), ("GM",)),
    "grandparents": ((*_GRAND, *_PARENTS), ("GF", "GM")),
    "grandmother_mother": ((*_GRAND, *_PARENTS), ("GM", "MO")),
    "paternal_half_sibling": ((("FA", "male", None, None), *_PARENTS, *_HALF), ("HS",)),
    "half_sibling_mother": ((("FA", "male", None, None), *_PARENTS, *_HALF), ("HS", "M2", "MO")),
    "uncle": ((*_GRAND, *_PARENTS, *_UNCLE), ("UN",)),
    "uncle_grandmother_mother": ((*_GRAND, *_PARENTS, *_UNCLE), ("UN", "GM", "MO")),
    "first_cousin": ((*_GRAND, *_PARENTS, *_UNCLE, *_COUSIN), ("CO",)),
    "cousin_uncle_aunt": ((*_GRAND, *_PARENTS, *_UNCLE, *_COUSIN), ("CO", "UN", "UW")),
    "two_wives_children": (
        (
            ("MP", "male", None, None),
            ("W1", "female", None, None),
            ("W2", "female", None, None),
            ("C1", "male", "MP", "W1"),
            ("C2", "female", "MP", "W2"),
            ("C3", "male", "MP", "W2"),
        ),
        ("C1", "W2", "C2", "C3"),
    ),
}


def _shape_families(
    config: tuple[Any, ...], loci: list[Any], k: int, rng: np.random.Generator
) -> list[Family]:
    members, typed = config
    alleles, _mutations = scenario_dna._simulate(members, loci, k, rng)
    pedigree = Pedigree([Person(*m) for m in members])
    return [
        Family(f"F{i:06d}", pedigree, ["MP"], {p: scenario_dna._profile(loci, alleles[p][i]) for p in typed})
        for i in range(k)
    ]


def _timed(panel: ScreeningPanel, families: list[Family], fast: bool) -> tuple[float, float, np.ndarray]:
    t0, c0 = time.perf_counter(), _cpu_seconds()
    _targets, table, _notes = family_tables(panel, families, np.float64, fast=fast)
    return time.perf_counter() - t0, _cpu_seconds() - c0, table


def shapes_main(args: argparse.Namespace) -> int:
    load_start = os.getloadavg()
    sc = generate_dna(20, 10, seed=args.seed)
    loci = list(sc.loci)
    panel = ScreeningPanel(tuple(loci))
    rng = np.random.default_rng(args.seed)
    family_tables(panel, sc.families)  # compile (or load) the numba kernels before timing
    shapes: dict[str, Any] = {}
    all_shapes = {**{f"nuclear:{k}": v for k, v in CONFIGURATIONS.items()}, **NON_NUCLEAR}
    for name, config in all_shapes.items():
        families = _shape_families(config, loci, args.shape_families, rng)
        _timed(panel, families[:50], True)  # warm this shape's code paths
        wall, cpu, fast_table = _timed(panel, families, True)
        sample = families[: args.exact_families]
        wall_x, cpu_x, exact_table = _timed(panel, sample, False)
        fast_part = fast_table[: len(sample)]
        finite = np.isfinite(exact_table)
        same_inf = bool(np.array_equal(finite, np.isfinite(fast_part)))
        diff = float(np.abs(fast_part[finite] - exact_table[finite]).max()) if finite.any() else 0.0
        shapes[name] = {
            "typed": list(config[1]),
            "path": "nuclear closed form" if name.startswith("nuclear:") else "batched peeling",
            "families_per_second_fast": round(len(families) / wall, 1),
            "cpu_families_per_second_fast": round(len(families) / max(cpu, 1e-9), 1),
            "families_per_second_exact_fallback": round(len(sample) / wall_x, 1),
            "cpu_families_per_second_exact_fallback": round(len(sample) / max(cpu_x, 1e-9), 1),
            "speed_up_wall": round((len(families) / wall) / (len(sample) / wall_x), 1),
            "max_abs_log10_difference_vs_exact": diff,
            "same_impossible_entries": same_inf,
            "families_fast": len(families),
            "families_exact": len(sample),
        }
        print(name, shapes[name], flush=True)
    path = write_results(
        "screening_shapes",
        {
            "load_average_start": load_start,
            "load_average_end": os.getloadavg(),
            "note": "the 2-core machine is shared with other jobs: wall times depend on the load average; "
            "CPU families/s count the CPU time of all threads (numba kernels use every core)",
            "markers": len(loci),
            "mutation": "stepwise rate 0.002, rate2 1e-6, range 0.1 (scenario generator)",
            "shapes": shapes,
        },
    )
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shapes", action="store_true", help="precomputation speed per pedigree shape")
    parser.add_argument("--shape-families", type=int, default=4000)
    parser.add_argument("--exact-families", type=int, default=400)
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--remains", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--exact-sample", type=int, default=300, help="true pairs re-checked exactly")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "screening.json"))
    args = parser.parse_args(argv)
    if args.shapes:
        return shapes_main(args)

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
