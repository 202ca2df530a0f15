"""Exact kinship LRs end to end, as a user runs them: `kinlink dna lr CASE.json ...` in a fresh process.

Run by hand (not by the test suite):

    PYTHONPATH=src python bench/lr_end_to_end.py [--cases 300] [--repeats 5] [--single 30]

``--src DIR --name NAME`` runs another source tree (e.g. main's, from ``git archive``) for comparison.

(a) ``--cases`` cases (the 60 forrel fixtures of tests/data/genetics/cases, cycled, each copy with its
own id) in ONE process: wall time from starting the interpreter to its exit (start-up, imports, reading
and validating the case files, planning, the LR computation and the JSON output). The best and the
median of ``--repeats`` runs.
(b) ``--single`` cases, each in its OWN process (`kinlink dna lr ONE.json`): per case the best of
``--single-repeats`` runs; the median and the 95th percentile over cases (and the same over all runs).

Every run's output is checked against forrel's expected LR (relative 1e-6). The machine is shared, so
the load average is written with the figures, and the CPU time (user + system) of each process beside
its wall time: on a loaded machine the wall time measures the queue as much as kinlink. kinlink's
bytecode is compiled first (``compileall``), as an installed package has it; with
``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` every process would compile the engine's source
again. Writes bench/results/lr_end_to_end.json.

Reference: forrel 1.9.0 ``missingPersonLR`` took 785 s for the same 300 cases end to end, measured by
the author of issue 16 on this machine type (2 cores). R is not installed here, so forrel was not rerun.
"""

from __future__ import annotations

import argparse
import compileall
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import write_results

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "data" / "genetics" / "cases"
FORREL_300_SECONDS = 785.0  # forrel 1.9.0, 300 cases, one R process, end to end (issue 16)
GOAL_SPEEDUP = 200.0
GOAL_SINGLE_MEDIAN_SECONDS = 0.3


def write_cases(folder: Path, count: int) -> tuple[list[Path], dict[str, float]]:
    """``count`` case files cycling the 60 fixtures; returns the paths and the expected LR per id."""
    fixtures = sorted(CASES.glob("kin-*.json"))
    paths: list[Path] = []
    expected: dict[str, float] = {}
    for k in range(count):
        obj = json.loads(fixtures[k % len(fixtures)].read_text(encoding="utf-8"))
        obj["id"] = f"{obj['id']}-{k // len(fixtures)}"
        path = folder / f"{obj['id']}.json"
        path.write_text(json.dumps(obj), encoding="utf-8")
        paths.append(path)
        expected[obj["id"]] = float(obj["expected"]["lr"])
    return paths, expected


def run_lr(paths: list[Path], expected: dict[str, float], src: Path = ROOT / "src") -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one `python -m kinlink dna lr PATHS` process; checks every
    LR against forrel. CPU time is what the process itself needed, whatever the machine's load."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "kinlink", "dna", "lr", *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"kinlink dna lr failed ({done.returncode}): {done.stderr[-2000:]}")
    records = [json.loads(line) for line in done.stdout.splitlines()]
    if len(records) != len(paths):
        raise SystemExit(f"expected {len(paths)} results, got {len(records)}")
    for record in records:
        want, got = expected[record["id"]], record["lr"] or 0.0
        if not math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-300):
            raise SystemExit(f"{record['id']}: LR {got} differs from forrel's {want}")
    return wall, cpu


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--single", type=int, default=30, help="cases run one per process")
    parser.add_argument("--single-repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print the figures only")
    parser.add_argument("--name", default="lr_end_to_end", help="results file name (bench/results/NAME.json)")
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src", help="the kinlink source tree to run (to compare versions)"
    )
    args = parser.parse_args()

    compileall.compile_dir(str(args.src / "kinlink"), quiet=1)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kinlink-lr-bench-") as tmp:
        paths, expected = write_cases(Path(tmp), args.cases)
        batch_runs = [run_lr(paths, expected, args.src) for _ in range(args.repeats)]
        single_paths = paths[: args.single]
        per_case: list[list[tuple[float, float]]] = [[] for _ in single_paths]
        for _ in range(args.single_repeats):
            for k, path in enumerate(single_paths):
                per_case[k].append(run_lr([path], expected, args.src))
        env = {**os.environ, "PYTHONPATH": str(args.src)}
        bare: list[float] = []
        for _ in range(args.single_repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import numpy"], env=env, check=True)
            bare.append(time.perf_counter() - start)
    load_after = os.getloadavg()

    batch = [wall for wall, _ in batch_runs]
    batch_cpu = [cpu for _, cpu in batch_runs]
    best_per_case = [min(wall for wall, _ in runs) for runs in per_case]
    cpu_per_case = [min(cpu for _, cpu in runs) for runs in per_case]
    all_runs = [wall for runs in per_case for wall, _ in runs]
    best_batch = min(batch)
    scale = args.cases / 300
    goal_batch = FORREL_300_SECONDS * scale / GOAL_SPEEDUP
    figures: dict[str, Any] = {
        "command": "python -m kinlink dna lr CASE.json ... (output checked against forrel, rel 1e-6)",
        "bytecode": "compiled before the runs (as an installed package has it)",
        "source": str(args.src),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "batch_one_process": {
            "cases": args.cases,
            "repeats": args.repeats,
            "best_wall_seconds": round(best_batch, 3),
            "median_wall_seconds": round(statistics.median(batch), 3),
            "all_wall_seconds": [round(t, 3) for t in batch],
            "best_cpu_seconds": round(min(batch_cpu), 3),
            "all_cpu_seconds": [round(t, 3) for t in batch_cpu],
            "ms_per_case_best_wall": round(1000 * best_batch / args.cases, 2),
        },
        "one_case_per_process": {
            "cases": len(single_paths),
            "repeats_per_case": args.single_repeats,
            "median_wall_seconds_best_of_repeats": round(statistics.median(best_per_case), 3),
            "p95_wall_seconds_best_of_repeats": round(percentile(best_per_case, 0.95), 3),
            "median_wall_seconds_all_runs": round(statistics.median(all_runs), 3),
            "p95_wall_seconds_all_runs": round(percentile(all_runs, 0.95), 3),
            "median_cpu_seconds_best_of_repeats": round(statistics.median(cpu_per_case), 3),
            "p95_cpu_seconds_best_of_repeats": round(percentile(cpu_per_case, 0.95), 3),
            "python_import_numpy_only_best_wall_seconds": round(min(bare), 3),
        },
        "reference": {
            "forrel_1_9_0_300_cases_seconds": FORREL_300_SECONDS,
            "note": (
                "forrel was measured by the author of issue 16 on this machine type (2 cores); R is not "
                "installed here, so it was not rerun"
            ),
        },
        "speedup_vs_forrel_end_to_end_best_wall": round(FORREL_300_SECONDS * scale / best_batch, 1),
        "speedup_vs_forrel_end_to_end_best_cpu": round(FORREL_300_SECONDS * scale / min(batch_cpu), 1),
        "goals": {
            "batch_seconds_at_most": round(goal_batch, 3),
            "batch_met_wall": best_batch <= goal_batch,
            "batch_met_cpu": min(batch_cpu) <= goal_batch,
            "single_median_seconds_below": GOAL_SINGLE_MEDIAN_SECONDS,
            "single_met_wall": statistics.median(best_per_case) < GOAL_SINGLE_MEDIAN_SECONDS,
            "single_met_cpu": statistics.median(cpu_per_case) < GOAL_SINGLE_MEDIAN_SECONDS,
        },
    }
    print(json.dumps(figures, indent=2))
    if not args.no_write:
        print(f"wrote {write_results(args.name, figures)}", file=sys.stderr)


if __name__ == "__main__":
    main()
