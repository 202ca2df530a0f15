"""Benchmark of joint identification (DVI) on dvir's 12 datasets, against dvir's ``dviSolve``.

Run by hand (not by the test suite):

    PYTHONPATH=src python bench/dvi.py [--data tests/data/genetics/dvi] [--repeat 5]

Per dataset: ``solve()`` (exclusions, undisputed matches, the joint search and dvir's staged conclusions)
timed cold (the first solve in a fresh process: no cached elimination plans) and best of ``--repeat`` warm
runs, each as wall-clock and as CPU seconds of the process; dvir's ``dviSolve`` seconds for reference and
the ratio dvir / kinlink. The dvir seconds for icmp, planecrash and grave are those of the issue (dvir
3.4.2); for example1, example2 and fire the ``seconds`` of the shared reference data; for the others the
CPU seconds of dviSolve measured on this machine (``DVIR_HERE``). Every row also has the same-machine CPU
ratio (dviSolve's CPU seconds here / kinlink's).

The machine is shared: the 1-minute load average before and after is recorded. Under load the wall-clock
seconds are inflated by the other processes, and the CPU seconds of this process are the fairer figure.
Writes bench/results/dvi.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import write_results
from kinlink.genetics.dvi import read_dvi_json, solve

DATASETS = (
    "example1",
    "example2",
    "fire",
    "planecrash",
    "grave",
    "icmp",
    "exclusionExample",
    "symmetricSibs",
    "KETPchap481",
    "KETPchap484",
    "KETPexer497",
    "KETPexer498",
)
#: dviSolve seconds given in issue 16 (dvir 3.4.2).
ISSUE_SECONDS = {"icmp": 15.0, "planecrash": 0.63, "grave": 4.0}
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "genetics" / "dvi"
#: dviSolve (dvir 3.4.2, R 4.2.2) on the machine of this benchmark, 2026-12-02, one run each under a 1-minute
#: load average of about 13 on 2 cores (other sessions): wall-clock and CPU seconds of the R process.
DVIR_HERE = {
    "example1": (10.337, 0.996),
    "example2": (4.133, 0.418),
    "fire": (8.108, 0.814),
    "planecrash": (4.33, 0.469),
    "grave": (25.026, 2.609),
    "icmp": (78.178, 6.126),
    "exclusionExample": (13.336, 1.035),
    "symmetricSibs": (2.526, 0.19),
    "KETPchap481": (0.921, 0.08),
    "KETPchap484": (3.287, 0.28),
    "KETPexer497": (2.391, 0.188),
    "KETPexer498": (2.472, 0.191),
}


def _time_once(path: Path) -> dict[str, float]:
    data = read_dvi_json(path)
    wall, cpu = time.perf_counter(), time.process_time()
    solve(data)
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def _cold(path: Path) -> dict[str, float]:
    """The first solve in a fresh interpreter (imports done before the clock starts)."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return json.loads(out.stdout)


def _dvir_seconds(name: str, folders: list[Path]) -> tuple[float | None, str]:
    """dviSolve's seconds to compare with: the issue's (idle machine), else the shared reference data's
    ``seconds`` (example1, example2, fire), else the CPU seconds measured here (``DVIR_HERE``)."""
    if name in ISSUE_SECONDS:
        return ISSUE_SECONDS[name], "issue 16 (dvir 3.4.2 dviSolve, wall-clock)"
    for folder in folders:
        path = folder / f"{name}.expected.json"
        if path.exists():
            expected = json.loads(path.read_text())
            if isinstance(expected.get("seconds"), (int, float)):
                return float(
                    expected["seconds"]
                ), f"{path.name}: {expected.get('computed_by')} dviSolve, wall-clock"
    if name in DVIR_HERE:
        return DVIR_HERE[name][1], "dvir 3.4.2 dviSolve on this machine, CPU seconds (DVIR_HERE)"
    return None, "not available"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(_time_once(args.one)))
        return 0
    expected_folders = [
        args.data,
        Path(__file__).resolve().parent.parent / "tests" / "data" / "genetics" / "dvi",
    ]
    load_before = os.getloadavg()[0]
    rows: dict[str, Any] = {}
    for name in args.only or DATASETS:
        path = args.data / f"{name}.json"
        if not path.exists():
            continue
        cold = _cold(path)
        warm = [_time_once(path) for _ in range(args.repeat)]
        best_wall = min(w["wall"] for w in warm)
        best_cpu = min(w["cpu"] for w in warm)
        dvir, source = _dvir_seconds(name, expected_folders)
        rows[name] = {
            "kinlink_cold_wall_s": round(cold["wall"], 4),
            "kinlink_cold_cpu_s": round(cold["cpu"], 4),
            "kinlink_best_wall_s": round(best_wall, 4),
            "kinlink_best_cpu_s": round(best_cpu, 4),
            "dvir_dviSolve_s": dvir,
            "dvir_source": source,
            "ratio_dvir_over_kinlink_cpu": round(dvir / best_cpu, 1) if dvir else None,
            "ratio_dvir_over_kinlink_wall": round(dvir / best_wall, 1) if dvir else None,
            "goal_10x_cpu": bool(dvir and dvir / best_cpu >= 10),
            "dvir_here_wall_s": DVIR_HERE.get(name, (None, None))[0],
            "dvir_here_cpu_s": DVIR_HERE.get(name, (None, None))[1],
            "ratio_cpu_same_machine": round(DVIR_HERE[name][1] / best_cpu, 1) if name in DVIR_HERE else None,
        }
        print(name, rows[name], flush=True)
    path = write_results(
        "dvi",
        {
            "repeat": args.repeat,
            "load_average_1min_before": round(load_before, 2),
            "load_average_1min_after": round(os.getloadavg()[0], 2),
            "note": "best = the fastest of the warm runs; cold = the first solve in a fresh process. On a "
            "shared machine the wall-clock figures include waiting for the CPU (see the load averages); the "
            "CPU seconds of the process do not.",
            "datasets": rows,
        },
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
