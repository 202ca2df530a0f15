"""Issue 16: the PostgreSQL server's own share of an import, the floor no client can go under.

An import writes 4 x 106,410 rows into tables with their indexes and their deferred foreign keys; the
reference (``bench/imports.py``) copies the file into one staging table without either. This bench
imports the list once with ``kinlink import-list``, takes the rows it wrote (``COPY ... TO``), and
copies them back into a freshly migrated database in one transaction, table by table, reading the CPU
time (user + sys) of the server process that does it from ``/proc`` (so the server must run on this
machine) next to the staging COPY's. The ratio of the two is the least an import can cost against the
reference, whatever the client does.

Run by hand: `.venv/bin/python bench/imports_floor.py [--rows 106410]`. Writes
bench/results/imports_floor.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import psycopg

from bench._machine import write_results
from bench.imports import exact_list, load, staging_sql

TABLES = (
    "registry_source",
    "registry_person",
    "registry_namevariant",
    "registry_claim",
    "registry_listrecord",
)


def server_cpu(pid: int) -> float:
    """User + sys seconds of a server process (a backend on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=106_410)
    parser.add_argument("--postgres", default="postgres://127.0.0.1:5432", help="server URL, no database")
    args = parser.parse_args()
    admin = f"{args.postgres}/postgres"
    source_db, target_db = f"{args.postgres}/bench_floor_a", f"{args.postgres}/bench_floor_b"
    results: dict[str, Any] = {"rows": args.rows, "load_average_start": load()}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "list.csv"
        exact_list(path, args.rows)
        env = {**os.environ, "KINLINK_PROGRESS": "0", "KINLINK_VAR_DIR": tmpdir}
        env.setdefault("KINLINK_DEVELOPMENT_KEYS", "1")
        try:
            for name, url in (("bench_floor_a", source_db), ("bench_floor_b", target_db)):
                fresh(admin, name)
                run = {**env, "DATABASE_URL": url}
                subprocess.run(
                    [sys.executable, "-m", "kinlink", "migrate"], env=run, check=True, capture_output=True
                )
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "kinlink",
                    "import-list",
                    str(path),
                    "--source-kind",
                    "obituary",
                    "--source-name",
                    "bench",
                ],
                env={**env, "DATABASE_URL": source_db},
                check=True,
                capture_output=True,
            )
            dumps: dict[str, bytes] = {}
            with psycopg.connect(source_db) as conn, conn.cursor() as cursor:
                for table in TABLES:
                    with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                        dumps[table] = b"".join(bytes(chunk) for chunk in copy)
            figures: dict[str, float] = {}
            with psycopg.connect(target_db) as conn:
                pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
                conn.execute(staging_sql("staging"))
                conn.commit()
                before, started = server_cpu(pid), time.monotonic()
                with conn.cursor().copy("COPY staging FROM STDIN CSV HEADER") as copy:
                    copy.write(path.read_bytes())
                conn.commit()
                figures["staging_copy_cpu_seconds"] = server_cpu(pid) - before
                figures["staging_copy_seconds"] = time.monotonic() - started
                started_all, before_all = time.monotonic(), server_cpu(pid)
                for table in TABLES:
                    before = server_cpu(pid)
                    with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                        copy.write(dumps[table])
                    figures[f"{table}_cpu_seconds"] = server_cpu(pid) - before
                before = server_cpu(pid)
                conn.commit()  # the deferred foreign keys are checked here, one query per row and key
                figures["commit_cpu_seconds"] = server_cpu(pid) - before
                figures["tables_cpu_seconds"] = server_cpu(pid) - before_all
                figures["tables_seconds"] = time.monotonic() - started_all
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS bench_floor_a")
                conn.execute("DROP DATABASE IF EXISTS bench_floor_b")
    results["postgresql_server"] = {k: round(v, 2) for k, v in figures.items()}
    results["floor_cpu_ratio_to_staging_copy"] = round(
        figures["tables_cpu_seconds"] / figures["staging_copy_cpu_seconds"], 1
    )
    results["load_average_end"] = load()
    print(write_results("imports_floor", results))
    print(results)


if __name__ == "__main__":
    main()
