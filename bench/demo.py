"""How long `kinlink demo --no-serve` takes to build, step by step: wall time, CPU seconds of the build
process, and the machine's load while it ran.

Run by hand: `PYTHONPATH=src .venv/bin/python bench/demo.py --size medium [--database-url URL] [--out NAME]`.
The demo is built by the real CLI in a fresh database (a fresh SQLite file in a temporary folder by
default; with a PostgreSQL URL the database must exist and be empty) and timed from the outside; each step
is the time the demo's own step reporter prints. Writes bench/results/NAME.json (default
``demo_<size>_<database>``).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import write_results

ROOT = Path(__file__).resolve().parent.parent
#: A step line of the demo's reporter: "  what it did (12.3 s)".
STEP = re.compile(r"^  (?P<what>.+) \((?P<seconds>[0-9.]+) s\)$")


def build(size: str, env: dict[str, str]) -> dict[str, Any]:
    """Build the demo in a child process; its wall time, CPU seconds and steps (seconds since the start of
    the build, and each step's own share)."""
    load_before = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "kinlink", "demo", "--size", size, "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_after = os.getloadavg()
    if done.returncode != 0:
        raise SystemExit(f"kinlink demo failed:\n{done.stderr[-4000:]}")
    steps: list[dict[str, Any]] = []
    last = 0.0
    for line in done.stderr.splitlines():
        match = STEP.match(line)
        if match:
            at = float(match["seconds"])
            steps.append({"step": match["what"], "at_s": at, "took_s": round(at - last, 1)})
            last = at
    summary = next((line for line in done.stdout.splitlines() if line.startswith("Database ")), "")
    return {
        "wall_s": round(wall, 1),
        "cpu_user_s": round(after.ru_utime - before.ru_utime, 1),
        "cpu_system_s": round(after.ru_stime - before.ru_stime, 1),
        "load_1min_before": round(load_before[0], 2),
        "load_1min_after": round(load_after[0], 2),
        "load_5min_after": round(load_after[1], 2),
        "steps": steps,
        "summary": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="medium", choices=("small", "medium"))
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a fresh SQLite file)")
    parser.add_argument("--out", help="results file name (default demo_<size>_<database>)")
    parser.add_argument("--note", default="", help="what the figures were taken under (stored as is)")
    args = parser.parse_args()
    database = "postgresql" if args.database_url else "sqlite"
    with tempfile.TemporaryDirectory(prefix="kinlink-bench-demo-") as tmp:
        env = {
            **os.environ,
            "KINLINK_PROGRESS": "0",
            "KINLINK_VAR_DIR": tmp,
            "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/demo.sqlite3",
            "PYTHONPATH": str(ROOT / "src"),
        }
        figures = build(args.size, env)
    result = {
        "size": args.size,
        "database": database,
        "cpu_count": os.cpu_count(),
        "note": args.note,
        **figures,
    }
    print(write_results(args.out or f"demo_{args.size}_{database}", result))
    print(result)


if __name__ == "__main__":
    main()
