"""Public figures benchmark: the worker's computation of the figures, and the page served from the stored
snapshot (cold, warm, 304), plus `kinlink estimate registry` on the demo registry.

Run by hand: `.venv/bin/python bench/figures.py [--size small|medium] [--database-url URL]`. Without
`--database-url` it builds the demo in a fresh SQLite database under a temporary folder. With it, it uses
that database as it is (build it first: `DATABASE_URL=URL kinlink demo --size medium --no-serve`; the issue's
figures are on PostgreSQL) and changes only its figures snapshots. It times, from the outside, the CLI
estimate by region and quarter with a linkage sensitivity run; then in child processes: the computation
and storing of a snapshot (what the worker does after a change), the first request of a fresh process with a
snapshot present (cold), 200 requests each of the page in ru and en, of the CSV, and of the page revalidated
with its ETag (304), as server time through Django's test client (the whole middleware stack, no network).
Writes bench/results/figures.json with the machine and its 1-minute load average (the figures are only as
good as the machine was idle).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
SRC = Path(__file__).resolve().parent.parent / "src"
sys.path.insert(0, str(SRC))

from bench._machine import write_results  # noqa: E402

SETUP = """
import json, os, statistics, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "kinlink.settings"
django.setup()
from django.conf import settings
from django.test import Client
settings.ALLOWED_HOSTS = ["*"]
"""

REFRESH = (
    SETUP
    + """
from kinlink.registry.models import FiguresSnapshot, Person
from kinlink.registry.services.figures import refresh_public_figures
t = time.monotonic(); ref = refresh_public_figures(); wall = time.monotonic() - t
snap = FiguresSnapshot.objects.get(pk=ref.id)
print(json.dumps({"wall_s": wall, "computation_s": snap.seconds, "payload_bytes": len(snap.payload.encode()),
                  "persons": Person.objects.filter(merged_into__isnull=True).count()}))
"""
)

COLD = (
    SETUP
    + """
t = time.monotonic(); r = Client().get("/en/figures/"); cold = time.monotonic() - t
print(json.dumps({"cold_s": cold, "status": r.status_code}))
"""
)

WARM = (
    SETUP
    + """
N = int(os.environ.get("BENCH_N", "200"))
c = Client()
c.get("/en/figures/"); c.get("/ru/figures/"); c.get("/en/figures/figures.csv")

def times(path, **headers):
    out, status = [], set()
    for _ in range(N):
        t = time.perf_counter(); r = c.get(path, **headers); out.append(time.perf_counter() - t)
        status.add(r.status_code)
    out.sort()
    return {"median_ms": 1000 * statistics.median(out), "p95_ms": 1000 * out[int(0.95 * len(out)) - 1],
            "max_ms": 1000 * out[-1], "status": sorted(status), "n": N}

page = c.get("/en/figures/")
print(json.dumps({
    "page_en": times("/en/figures/"),
    "page_ru": times("/ru/figures/"),
    "csv": times("/en/figures/figures.csv"),
    "not_modified": times("/en/figures/", HTTP_IF_NONE_MATCH=page["ETag"]),
    "page_bytes": len(page.content),
    "cache_control": page["Cache-Control"],
}))
"""
)


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
    return elapsed, done.stdout


def last_json(out: str) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return parsed


def measure(env: dict[str, str], size: str, build: bool, estimate_cli: bool = True) -> dict[str, object]:
    kinlink = [sys.executable, "-m", "kinlink"]
    out: dict[str, object] = {"demo_size": size}
    if build:
        demo_s, _ = run([*kinlink, "demo", "--size", size, "--no-serve"], env)
        out["demo_build_s"] = round(demo_s, 1)
    if estimate_cli:
        estimate = ["estimate", "registry", "--by", "region,quarter", "--sensitivity", "10", "--seed", "1"]
        est_s, est_out = run([*kinlink, *estimate, "--format", "json"], env)
        result = json.loads(est_out)
        strata = result["strata"]
        out["estimate_registry"] = {
            "wall_s": round(est_s, 1),
            "lists": result["lists"],
            "derived": result["derived"],
            "strata": len(strata),
            "refused": sum("refused" in s for s in strata),
            "total": result["total"],
            "linkage_sensitivity": result["linkage_sensitivity"],
        }
    load_before = os.getloadavg()[0]
    refresh = last_json(run([sys.executable, "-c", REFRESH], env)[1])
    cold = [last_json(run([sys.executable, "-c", COLD], env)[1]) for _ in range(3)]
    warm = last_json(run([sys.executable, "-c", WARM], env)[1])
    out["snapshot"] = {
        "what": "refresh_public_figures(): public_figures() computed and stored (the worker's step)",
        "persons": refresh["persons"],
        "computation_s": round(float(refresh["computation_s"]), 2),  # type: ignore[arg-type]
        "wall_s_with_store": round(float(refresh["wall_s"]), 2),  # type: ignore[arg-type]
        "payload_bytes": refresh["payload_bytes"],
    }
    out["figures_page_with_snapshot"] = {
        "what": "server time through Django's test client, snapshot present",
        "cold_first_request_of_a_process_s": [round(float(c["cold_s"]), 3) for c in cold],  # type: ignore[arg-type]
        **{
            key: {k: round(v, 2) if isinstance(v, float) else v for k, v in warm[key].items()}  # type: ignore[attr-defined]
            for key in ("page_en", "page_ru", "csv", "not_modified")
        },
        "page_bytes": warm["page_bytes"],
        "queries_per_page": "1 (tests/portal/test_figures.py asserts it)",
        "cache_control": warm["cache_control"],
    }
    out["load_average_1m"] = {
        "before_page_timings": round(load_before, 2),
        "after": round(os.getloadavg()[0], 2),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small", choices=["small", "medium"])
    parser.add_argument(
        "--database-url",
        default="",
        help="use this database (its demo already built) instead of a new SQLite one",
    )
    parser.add_argument(
        "--no-estimate", action="store_true", help="skip the `kinlink estimate registry` timing"
    )
    opts = parser.parse_args()
    base = {
        **os.environ,
        "KINLINK_TASK_BACKEND": "immediate",
        "KINLINK_PROGRESS": "0",
        "KINLINK_DEVELOPMENT_KEYS": "1",
        "KINLINK_REQUEST_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(SRC),
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = opts.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        env = {**base, "DATABASE_URL": url, "KINLINK_VAR_DIR": os.environ.get("KINLINK_VAR_DIR", tmp)}
        figures = measure(env, opts.size, build=not opts.database_url, estimate_cli=not opts.no_estimate)
    figures["database"] = "postgresql" if url.startswith("postgres") else "sqlite"
    path = write_results("figures", figures)
    print(path.read_text())


if __name__ == "__main__":
    main()
