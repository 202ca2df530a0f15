"""Issue 16: `kinlink import-list` of a 106,410-row person list against a plain COPY of the same file.

PostgreSQL (127.0.0.1:5432 by default): a fresh database ``bench_imports`` is created, migrated with
``kinlink migrate``, and dropped afterwards; the reference is psql's ``\\copy`` of the CSV into a plain
staging table of text columns. SQLite: a fresh file; the reference is the sqlite3 shell's ``.import
--csv`` into a staging table (Python's csv + executemany when the shell is missing). Both are timed from
the outside, as a user waits for them (process start included), best of ``--repeat`` runs each. The
machine is shared: the load average before each run is recorded, and the CPU time (user + sys) of each
process, which the load changes less than the wall time (for PostgreSQL it is the client's; the CPU time
of the server processes serving the import is recorded next to it, ``all_import_server_cpu_seconds``).

Run by hand: `.venv/bin/python bench/imports.py [--rows 106410] [--repeat 2] [--skip-postgres]`.
Writes bench/results/imports.json.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bench._machine import write_results
from bench.registry import write_list
from kinlink.lib.personlist import PERSON_LIST_COLUMNS

GOAL_RATIO = 25


def load() -> float:
    return round(os.getloadavg()[0], 2)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys) of one command."""
    cpu = children_cpu()
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, children_cpu() - cpu


def kinlink(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    return timed([sys.executable, "-m", "kinlink", *args], env)


def backend_cpu(pid: int) -> float | None:
    """User + sys seconds of a server process on this machine (None once it has ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_with_server(
    command: list[str], env: dict[str, str], admin: str, database: str
) -> tuple[float, float, float]:
    """Wall and CPU seconds of one command, and the CPU seconds of the server processes serving its
    database, read from ``/proc`` every 0.1 s while it runs (the server must run on this machine; the
    last tenth of a second of a backend may be missed)."""
    import psycopg

    seen: dict[int, float] = {}
    cpu = children_cpu()
    started = time.monotonic()
    with psycopg.connect(admin, autocommit=True) as monitor:
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while child.poll() is None:
            rows = monitor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database]
            ).fetchall()
            for (pid,) in rows:
                used = backend_cpu(pid)
                if used is not None:
                    seen[pid] = used
            time.sleep(0.1)
        out, err = child.communicate()
    elapsed = time.monotonic() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{out}\n{err}")
    return elapsed, children_cpu() - cpu, sum(seen.values())


def exact_list(path: Path, rows: int) -> None:
    """The bench's generator writes whole lists; keep exactly ``rows`` of them."""
    full = path.with_suffix(".all.csv")
    write_list(full, rows)
    with full.open(encoding="utf-8", newline="") as src, path.open("w", encoding="utf-8", newline="") as out:
        reader = csv.reader(src)
        writer = csv.writer(out)
        for n, row in enumerate(reader):
            if n > rows:
                break
            writer.writerow(row)
    full.unlink()


def staging_sql(table: str) -> str:
    return f"CREATE TABLE {table} ({', '.join(f'{c} text' for c in PERSON_LIST_COLUMNS)})"


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True, capture_output=True)


def postgres_runs(path: Path, base_url: str, repeat: int, env: dict[str, str]) -> dict[str, Any]:
    admin = f"{base_url}/postgres"
    db_url = f"{base_url}/bench_imports"
    copies: list[tuple[tuple[float, float], float]] = []
    imports: list[tuple[tuple[float, float], float]] = []
    server_cpus: list[float] = []
    for _ in range(repeat):
        psql(admin, "DROP DATABASE IF EXISTS bench_imports")
        psql(admin, "CREATE DATABASE bench_imports")
        try:
            psql(db_url, staging_sql("staging"))
            before = load()
            copies.append(
                (timed(["psql", db_url, "-c", f"\\copy staging FROM '{path}' CSV HEADER"], env), before)
            )
            run_env = {**env, "DATABASE_URL": db_url}
            kinlink(["migrate"], run_env)
            before = load()
            wall, cpu, server = timed_with_server(
                [sys.executable, "-m", "kinlink", *_import_args(path)], run_env, admin, "bench_imports"
            )
            imports.append(((wall, cpu), before))
            server_cpus.append(round(server, 2))
        finally:
            psql(admin, "DROP DATABASE IF EXISTS bench_imports")
    figures = _figures(copies, imports, "psql \\copy into a staging table of text columns", cpu_ratio=False)
    figures["all_import_server_cpu_seconds"] = server_cpus
    return figures


def sqlite_runs(path: Path, tmp: Path, repeat: int, env: dict[str, str]) -> dict[str, Any]:
    copies: list[tuple[tuple[float, float], float]] = []
    imports: list[tuple[tuple[float, float], float]] = []
    shell = shutil.which("sqlite3")
    for n in range(repeat):
        staging = tmp / f"staging{n}.sqlite3"
        with sqlite3.connect(staging) as db:
            db.execute(staging_sql("staging"))
        before = load()
        if shell:
            copies.append(
                (
                    timed([shell, str(staging), ".import --csv --skip 1 " + str(path) + " staging"], env),
                    before,
                )
            )
        else:
            started, cpu = time.monotonic(), time.process_time()
            with sqlite3.connect(staging) as db, path.open(encoding="utf-8", newline="") as handle:
                reader = csv.reader(handle)
                next(reader)
                db.executemany(
                    f"INSERT INTO staging VALUES ({', '.join('?' * len(PERSON_LIST_COLUMNS))})", reader
                )
            copies.append(((time.monotonic() - started, time.process_time() - cpu), before))
        run_env = {**env, "DATABASE_URL": f"sqlite:///{tmp}/import{n}.sqlite3"}
        kinlink(["migrate"], run_env)
        before = load()
        imports.append((kinlink(_import_args(path), run_env), before))
    reference = "sqlite3 shell .import --csv" if shell else "Python csv + executemany into a staging table"
    return _figures(copies, imports, reference, cpu_ratio=True)


def _import_args(path: Path) -> list[str]:
    return ["import-list", str(path), "--source-kind", "obituary", "--source-name", "bench"]


def _figures(
    copies: list[tuple[tuple[float, float], float]],
    imports: list[tuple[tuple[float, float], float]],
    reference: str,
    *,
    cpu_ratio: bool,
) -> dict[str, Any]:
    """Best of the runs by wall time. ``cpu_ratio``: the reference does all its work in its own process
    (the sqlite3 shell), so the ratio of CPU times compares the two paths' work; psql's is the server's."""
    (copy_s, copy_cpu), copy_load = min(copies)
    (import_s, import_cpu), import_load = min(imports)
    return {
        "reference": reference,
        "copy_seconds": round(copy_s, 2),
        "copy_cpu_seconds": round(copy_cpu, 2),
        "copy_load_average": copy_load,
        "import_seconds": round(import_s, 2),
        "import_cpu_seconds": round(import_cpu, 2),
        "import_load_average": import_load,
        "import_rows_per_second": None,
        "ratio_to_copy": round(import_s / copy_s, 1),
        "cpu_ratio_to_copy": round(import_cpu / copy_cpu, 1) if cpu_ratio and copy_cpu > 0 else None,
        "all_copy_seconds": [round(s, 2) for (s, _), _ in copies],
        "all_copy_cpu_seconds": [round(c, 2) for (_, c), _ in copies],
        "all_copy_load_averages": [load for _, load in copies],
        "all_import_seconds": [round(s, 2) for (s, _), _ in imports],
        "all_import_cpu_seconds": [round(c, 2) for (_, c), _ in imports],
        "all_import_load_averages": [load for _, load in imports],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=106_410)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--postgres", default="postgres://127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--list", type=Path, help="an existing list to import instead of generating one")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "rows": args.rows,
        "goal_ratio_to_copy": GOAL_RATIO,
        "load_average_start": load(),
    }
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        env = {**os.environ, "KINLINK_PROGRESS": "0", "KINLINK_VAR_DIR": tmpdir}
        env.setdefault("KINLINK_DEVELOPMENT_KEYS", "1")  # a throwaway database: keys derived for the run
        path = args.list or tmp / "list.csv"
        if args.list is None:
            exact_list(path, args.rows)
        if not args.skip_sqlite:
            results["sqlite"] = sqlite_runs(path, tmp, args.repeat, env)
        if not args.skip_postgres:
            results["postgresql"] = postgres_runs(path, args.postgres, args.repeat, env)
    for key in ("sqlite", "postgresql"):
        if key in results:
            results[key]["import_rows_per_second"] = round(args.rows / results[key]["import_seconds"])
    results["load_average_end"] = load()
    print(write_results("imports", results))
    print(results)


if __name__ == "__main__":
    main()
