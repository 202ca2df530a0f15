"""Genetics engine benchmark: reference fixtures, a 12-person stepwise pedigree, and scaling.

Run by hand (not by the test suite):

    PYTHONPATH=src python bench/genetics.py [--cases 1000]

Writes bench/results/genetics.json. Figures are CPU seconds of the computation only (process_time),
after imports and input parsing, on one core; the fixture figure is also given as wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from kinlink.genetics.formats import read_case_json
from kinlink.genetics.kinship import KinshipCase, missing_person_lr
from kinlink.genetics.markers import Locus, synthetic_database
from kinlink.genetics.mutation import MarkerMutation, MutationModel
from kinlink.genetics.pedigree import Pedigree, Person
from kinlink.genetics.report import simulate_profiles

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "data" / "genetics" / "cases"  # the 60 forrel reference cases
REFERENCE_R_SECONDS = 10.0  # forrel::missingPersonLR on the 60 fixtures (from the issue)


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def fixtures(repeats: int = 7) -> dict[str, Any]:
    paths = sorted(CASES.glob("kin-*.json"))
    cases = [read_case_json(p) for p in paths]
    start = time.process_time()
    for case in cases:
        missing_person_lr(case)
    cold = time.process_time() - start
    cpu, wall = [], []
    for _ in range(repeats):
        t0, w0 = time.process_time(), time.perf_counter()
        for case in cases:
            missing_person_lr(case)
        cpu.append(time.process_time() - t0)
        wall.append(time.perf_counter() - w0)
    best = min(cpu)
    return {
        "cases": len(cases),
        "cold_cpu_seconds": cold,
        "best_cpu_seconds": best,
        "median_cpu_seconds": statistics.median(cpu),
        "best_wall_seconds": min(wall),
        "ms_per_case": 1000 * best / len(cases),
        "speedup_vs_reference_R": REFERENCE_R_SECONDS / best,
    }


def stepwise_loci(n_markers: int, seed: int = 11) -> list[Locus]:
    db = synthetic_database(n_markers, seed=seed, alleles=(10, 24))
    female = MutationModel("stepwise", 0.001, 1e-6, 0.1)
    male = MutationModel("stepwise", 0.003, 1e-6, 0.1)
    return [db[n].with_mutation(MarkerMutation(female, male)) for n in db.names()]


def extended_family() -> Pedigree:
    """The 12-person benchmark pedigree (grandparents, three children with spouses, four grandchildren)."""
    persons = [
        Person("GF", "male"),
        Person("GM", "female"),
        Person("F", "male", "GF", "GM"),
        Person("U", "male", "GF", "GM"),
        Person("A", "female", "GF", "GM"),
        Person("M", "female"),
        Person("W", "female"),
        Person("H", "male"),
        Person("MP", "male", "F", "M"),
        Person("S", "female", "F", "M"),
        Person("C", "male", "U", "W"),
        Person("K", "female", "H", "A"),
    ]
    return Pedigree(persons)


def make_cases(
    pedigree: Pedigree, typed: list[str], loci: list[Locus], count: int, seed: int
) -> list[KinshipCase]:
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        profiles = simulate_profiles(pedigree, loci, rng)
        # Odd cases: the POI is the missing person; even cases: an unrelated man.
        unrelated = simulate_profiles(Pedigree([Person("X", "male")]), loci, rng)["X"]
        poi = profiles["MP"] if i % 2 else unrelated
        refs = {pid: profiles[pid] for pid in typed}
        cases.append(KinshipCase(f"sim-{i}", pedigree, "MP", loci, refs, poi))
    return cases


def time_cases(cases: list[KinshipCase]) -> dict[str, float]:
    missing_person_lr(cases[0])  # plan cache warm-up
    per_case = []
    start = time.process_time()
    for case in cases:
        t = time.process_time()
        missing_person_lr(case)
        per_case.append(time.process_time() - t)
    total = time.process_time() - start
    return {
        "cases": len(cases),
        "mean_ms": 1000 * total / len(cases),
        "median_ms": 1000 * statistics.median(per_case),
        "p95_ms": 1000 * float(np.quantile(per_case, 0.95)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "genetics.json"))
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine()}
    results["fixtures_60"] = fixtures()
    print("fixtures:", results["fixtures_60"], flush=True)

    loci = stepwise_loci(23)
    ped = extended_family()
    typed = ["GM", "S", "U", "K"]
    cases = make_cases(ped, typed, loci, args.cases, seed=5)
    results["pedigree_12_typed_4_stepwise_23"] = {
        "pedigree": ped.to_json(),
        "typed": typed,
        **time_cases(cases),
    }
    print(
        "12-person:",
        {k: v for k, v in results["pedigree_12_typed_4_stepwise_23"].items() if k != "pedigree"},
        flush=True,
    )

    # Growth with the number of untyped members (same 12-person pedigree, fewer references typed).
    order = ["GM", "S", "U", "K", "GF", "A", "C", "M", "W", "H", "F"]
    untyped_rows = []
    for n_typed in (11, 8, 6, 4, 2, 1):
        sub = make_cases(ped, order[:n_typed], loci, 100, seed=9)
        row = {"typed": n_typed, "untyped": 12 - n_typed - 1, **time_cases(sub)}
        untyped_rows.append(row)
        print("untyped:", row, flush=True)
    results["growth_with_untyped_members"] = untyped_rows

    # Growth with pedigree size: chains of nuclear families, 4 typed members.
    size_rows = []
    for size in (3, 6, 12, 24, 48):
        chain = _chain(size)
        typed_ids = [p.id for p in chain if p.id != "MP"][-4:] if size > 3 else ["F0"]
        sub = make_cases(chain, typed_ids, loci, 100, seed=13)
        row = {"persons": len(chain), "typed": len(typed_ids), **time_cases(sub)}
        size_rows.append(row)
        print("size:", row, flush=True)
    results["growth_with_pedigree_size"] = size_rows
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print("wrote", args.out)


def _chain(size: int) -> Pedigree:
    """``size`` persons: MP's parents, then generations going down through MP's sister's line."""
    persons = [Person("F0", "male"), Person("M0", "female"), Person("MP", "male", "F0", "M0")]
    mother_line = "M0"
    father_line = "F0"
    k = 0
    while len(persons) + 3 <= size:
        k += 1
        child = Person(f"D{k}", "female", father_line, mother_line)
        spouse = Person(f"H{k}", "male")
        persons += [child, spouse]
        father_line, mother_line = f"H{k}", f"D{k}"
        persons.append(Person(f"G{k}", "male", father_line, mother_line))
    return Pedigree(persons)


if __name__ == "__main__":
    main()
