"""Registry linkage at scale (issue 17): import a person list with `kinlink import-list`, then run the
linkage the worker runs (`kinlink worker --batch`), each in its own process whose peak memory is measured.

Run by hand, under an address-space cap so that a runaway run cannot take the machine down::

    prlimit --as=6000000000 .venv/bin/python bench/registry_linkage.py --rows 200000
    prlimit --as=6000000000 .venv/bin/python bench/registry_linkage.py --rows 20000 --database postgres

The list is generated with :mod:`kinlink.scenario` and re-rendered with realistic variation
(:func:`kinlink.scenario.lists.varied_lists`). The database is a fresh SQLite file (or, with ``--database
postgres``, the database named by ``--database-url``, emptied first). DuckDB runs inside the worker
process, so the worker's peak resident set (``ru_maxrss`` of the child) includes DuckDB's memory.
Writes ``bench/results/registry_linkage.json`` (``registry_linkage_postgres.json``), keeping the
figures of other sizes already there.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bench._machine import RESULTS, machine

RECORDS_PER_SOLDIER = 1.295  # list records per soldier in kinlink.scenario (bench/linkage.py)
TARGET_PEAK_MB = 4096
_YEAR = re.compile(r"\d{4}")
POSTGRES_URL = "postgres://127.0.0.1:5432/kinlink_bench_linkage"

_COUNTS = """
from kinlink.commands.base import setup_django
setup_django(migrate=False)
import json
from django_tasks_db.models import DBTaskResult
from kinlink.matching.models import CandidateLink, PendingLinkage
from kinlink.registry.models import Person
task = DBTaskResult.objects.order_by("-enqueued_at").first()
print(json.dumps({
    "persons": Person.objects.count(),
    "candidate_links": CandidateLink.objects.count(),
    "still_waiting": PendingLinkage.objects.count(),
    "task_status": str(task.status) if task else "",
    "task_result": task.return_value if task and task.status == "SUCCESSFUL" else None,
    "task_error": (task.exception_class_path + ": " + task.traceback[-1500:])
    if task and task.status == "FAILED" else "",
}))
"""


def write_list(path: Path, rows: int, seed: int) -> tuple[int, int]:
    from kinlink.lib.personlist import PERSON_LIST_COLUMNS
    from kinlink.scenario import generate
    from kinlink.scenario.lists import varied_lists

    world = generate(seed=seed, size=max(100, round(rows / RECORDS_PER_SOLDIER)))
    records = varied_lists(world)[:rows]
    this_year = dt.date.today().year
    cleared = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PERSON_LIST_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        for record in records:
            row = dict(record.row)
            for column in ("birth_date", "event_date"):
                # A typo in the year can put a date in the future, which the import refuses (rightly):
                # the list's keeper would have cleared it.
                year = _YEAR.search(str(row.get(column) or ""))
                if year and int(year.group()) > this_year:
                    row[column] = ""
                    cleared += 1
            writer.writerow(row)
    return len(records), cleared


def blocked_pairs(path: Path, sample: float) -> dict[str, Any]:
    """How many pairs the blocking rules put up for scoring among the list's own rows (Splink's
    estimate from a sample of ``sample`` of the records on each side), and what the path before
    issue 17 scored: the list against a registry that still held it, every pair twice and every row
    against itself."""
    import duckdb
    import pandas as pd
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from kinlink.linkage.model import blocking_rules, prepare_records

    started = time.monotonic()
    prepared = prepare_records(pd.read_csv(path, dtype=str, keep_default_na=False))
    db_api = DuckDBAPI(connection=duckdb.connect(config={"memory_limit": "2GB", "threads": 2}))
    frame = db_api.register(prepared, dataset_display_name="list")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "based on few sampled comparisons" of rare rules
        counts = count_comparisons_from_blocking_rules(
            frame, blocking_rules=blocking_rules(), link_type="dedupe_only", record_sample_proportion=sample
        )
    pairs = int(counts[-1]["cumulative_comparison_count"])
    return {
        "rules": len(counts),
        "sample_per_side": sample,
        "dedupe_pairs_estimated": pairs,
        "pairs_per_record": round(pairs / len(prepared), 1),
        "before_issue_17_pairs_estimated": 2 * pairs + len(prepared),
        "seconds": round(time.monotonic() - started, 1),
    }


def measured(args: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run one command in a child process; its wall time and peak resident set (ru_maxrss)."""
    started = time.monotonic()
    with log.open("w") as out:
        child = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed ({code}):\n{log.read_text()[-4000:]}")
    return {"seconds": round(elapsed, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def empty_postgres(url: str, env: dict[str, str]) -> None:
    """Drop and recreate the bench database (never the others on the server)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--database-url", default=POSTGRES_URL, help="with --database postgres")
    parser.add_argument(
        "--count-pairs",
        type=float,
        metavar="SAMPLE",
        help="also estimate the blocked pairs (sample per side)",
    )
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kinlink-bench-") as tmp:
        env = {
            **os.environ,
            "KINLINK_PROGRESS": "0",
            "KINLINK_VAR_DIR": tmp,
            "PYTHONPATH": os.environ.get("PYTHONPATH", str(Path(__file__).resolve().parent.parent / "src")),
        }
        env.pop("KINLINK_TASK_BACKEND", None)  # the database queue, as in production
        if args.database == "postgres":
            empty_postgres(args.database_url, env)
            env["DATABASE_URL"] = args.database_url
        else:
            env["DATABASE_URL"] = f"sqlite:///{tmp}/registry.sqlite3"
        kinlink = [sys.executable, "-m", "kinlink"]
        mark = time.monotonic()
        path = Path(tmp) / "list.csv"
        rows, cleared = write_list(path, args.rows, args.seed)
        generate_s = time.monotonic() - mark
        logs = Path(tmp)
        importing = measured(
            [*kinlink, "import-list", str(path), "--source-kind", "obituary", "--source-name", "bench"],
            env,
            logs / "import.log",
        )
        linking = measured([*kinlink, "worker", "--batch"], env, logs / "worker.log")
        print(f"import {importing}, linkage {linking}", file=sys.stderr, flush=True)
        done = subprocess.run([sys.executable, "-c", _COUNTS], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"counting failed:\n{done.stderr[-3000:]}")
        counts = json.loads(done.stdout.strip().splitlines()[-1])
        worker_log = (logs / "worker.log").read_text()[-2000:]
        pairs = blocked_pairs(path, args.count_pairs) if args.count_pairs else None
    result = counts.get("task_result") or {}
    figures = {
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "database": args.database,
        "rows": rows,
        "future_dates_cleared": cleared,
        "memory_limit_setting": os.environ.get("KINLINK_LINKAGE_MEMORY_LIMIT", "default (2GB)"),
        "seconds": {
            "generate_list": round(generate_s, 1),
            "import_list": importing["seconds"],
            "linkage": linking["seconds"],
        },
        "peak_rss_mb": {"import_list": importing["peak_rss_mb"], "linkage": linking["peak_rss_mb"]},
        "persons": counts["persons"],
        "candidate_links": counts["candidate_links"],
        "links_proposed": result.get("proposed"),
        "still_waiting": counts["still_waiting"],
        "task_status": counts["task_status"],
        "blocked_pairs_of_the_list": pairs,
        "run": {k: result.get(k) for k in ("new_records", "existing_persons", "model", "engine", "notes")},
        "target": {"peak_rss_mb": TARGET_PEAK_MB, "rows": 200_000},
        "within_target": linking["peak_rss_mb"] <= TARGET_PEAK_MB,
    }
    if counts["task_status"] != "SUCCESSFUL":
        figures["worker_log_tail"] = worker_log
        figures["task_error"] = counts.get("task_error", "")
    name = "registry_linkage" if args.database == "sqlite" else "registry_linkage_postgres"
    out = RESULTS / f"{name}.json"
    kept: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    kept = kept if "runs" in kept else {"runs": {}}
    kept["runs"][str(rows)] = figures
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(kept, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
