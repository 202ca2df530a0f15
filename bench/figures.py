"""Registry figures benchmark: `kinlink estimate registry` and the public figures page on the demo registry.

Run by hand: `.venv/bin/python bench/figures.py [--size small]`. Builds the demo in a fresh SQLite database
under a temporary folder, then times (from the outside) the CLI estimate by region and quarter with a
linkage sensitivity run, and the computation, page weight and cached re-render of `/en/figures/`.
Writes bench/results/figures.json.
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

PAGE = """
import json, os, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "kinlink.settings"
django.setup()
from django.conf import settings
from django.test import Client
settings.ALLOWED_HOSTS = ["*"]
c = Client()
t = time.monotonic(); r = c.get("/en/figures/"); first = time.monotonic() - t
t = time.monotonic(); r2 = c.get("/ru/figures/"); cached = time.monotonic() - t
csv = c.get("/en/figures/figures.csv")
print(json.dumps({"first_s": first, "cached_s": cached, "page_bytes": len(r.content),
                  "status": [r.status_code, r2.status_code, csv.status_code], "csv_bytes": len(csv.content)}))
"""


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small", choices=["small", "medium"])
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "KINLINK_TASK_BACKEND": "immediate",
            "KINLINK_PROGRESS": "0",
            "PYTHONPATH": str(SRC),
        }
        kinlink = [sys.executable, "-m", "kinlink"]
        demo_s, _ = run([*kinlink, "demo", "--size", opts.size, "--no-serve"], env)
        estimate = ["estimate", "registry", "--by", "region,quarter", "--sensitivity", "10", "--seed", "1"]
        est_s, out = run([*kinlink, *estimate, "--format", "json"], env)
        result = json.loads(out)
        _, page_out = run([sys.executable, "-c", PAGE], env)
        page = json.loads(page_out.strip().splitlines()[-1])
    strata = result["strata"]
    figures = {
        "demo_size": opts.size,
        "demo_build_s": round(demo_s, 1),
        "estimate_registry": {
            "wall_s": round(est_s, 1),
            "lists": result["lists"],
            "derived": result["derived"],
            "strata": len(strata),
            "refused": sum("refused" in s for s in strata),
            "total": result["total"],
            "linkage_sensitivity": result["linkage_sensitivity"],
        },
        "figures_page": {
            "first_request_s": round(page["first_s"], 2),
            "cached_request_s": round(page["cached_s"], 3),
            "page_bytes": page["page_bytes"],
            "csv_bytes": page["csv_bytes"],
            "status": page["status"],
        },
    }
    path = write_results("figures", figures)
    print(path.read_text())


if __name__ == "__main__":
    main()
