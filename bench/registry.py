"""Registry benchmarks: `kinlink demo --size medium --no-serve` and importing a 100,000-row list.

Run by hand: `.venv/bin/python bench/registry.py [--database-url URL]`. Each step runs the real CLI in a
fresh database (SQLite under a temporary folder by default) and is timed from the outside.
Writes bench/results/registry.json.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bench._machine import write_results
from kinlink.scenario import PERSON_LIST_COLUMNS, generate


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "kinlink", *args], env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"kinlink {' '.join(args)} failed:\n{done.stderr}")
    return elapsed, done.stdout


def write_list(path: Path, rows: int) -> None:
    world = generate(seed=42, size=max(100, rows))
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PERSON_LIST_COLUMNS))
        writer.writeheader()
        for records in world.lists.values():
            for record in records:
                writer.writerow(record.row)
                written += 1
        n = 0
        while written < rows:  # top up with soldiers written as a family list would
            s = world.soldiers[n % len(world.soldiers)]
            writer.writerow(
                {
                    "record_id": f"X{n}",
                    "source": "bench",
                    "full_name": f"{s.surname} {s.given_name}",
                    "birth_date": s.birth_date.isoformat(),
                    "unit": s.unit,
                    "event_date": s.fate_date.isoformat(),
                }
            )
            n += 1
            written += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KINLINK_PROGRESS": "0", "KINLINK_VAR_DIR": tmp}
        env["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        demo_s, demo_out = run(["demo", "--size", "medium", "--no-serve"], env)
        env["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/import.sqlite3"
        run(["export", "--format", "json", "--out", f"{tmp}/empty.json"], env)  # migrate an empty database
        path = Path(tmp) / "list.csv"
        write_list(path, args.rows)
        import_s, _ = run(
            ["import-list", str(path), "--source-kind", "obituary", "--source-name", "bench"], env
        )
        again_s, again_out = run(
            ["import-list", str(path), "--source-kind", "obituary", "--source-name", "bench"], env
        )
    figures = {
        "database": "postgresql" if args.database_url else "sqlite",
        "demo_medium_seconds": round(demo_s, 1),
        "demo_medium_summary": demo_out.splitlines()[0],
        "import_rows": args.rows,
        "import_seconds": round(import_s, 1),
        "import_rows_per_second": round(args.rows / import_s),
        "reimport_seconds": round(again_s, 1),
        "reimport_output": again_out.strip(),
        "targets": {"demo_medium_seconds": 180, "import_100k_seconds": 120},
    }
    print(write_results("registry" if not args.database_url else "registry_postgres", figures))
    print(figures)


if __name__ == "__main__":
    main()
