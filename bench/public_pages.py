"""What one anonymous page and one API page cost the server, request by request: CPU, queries, cookies.

Run by hand against a database that holds a demo (``kinlink demo --no-serve``), for instance the one
``bench/web.py`` built::

    DATABASE_URL=postgres://127.0.0.1:5432/kinlink_webbench_pub KINLINK_DEVELOPMENT_KEYS=1 \\
        PYTHONPATH=src .venv/bin/python bench/public_pages.py [-n 200] [--profile] [--out public_pages]

Each page is requested ``-n`` times in this process with Django's test ``Client`` through the whole
middleware stack, every time as a new visitor (no cookie), the way ``bench/web.py``'s public, figures and
API classes send them. Per page: the CPU of this thread per request (``time.thread_time``: the figure that
sets a server's capacity, ≈ cores ÷ CPU per request, and that other work on a shared machine disturbs far
less than wall time), the wall time, the queries, and the cookies the answer sets (an anonymous page
should set none: no session row, no per-visitor state). The API pages use a bearer token issued for the run
(revoked at its end). ``--profile`` adds the top of a cProfile of each page.
Writes ``bench/results/<out>.json`` with the machine and its 1-minute load average.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinlink.settings")
os.environ.setdefault("KINLINK_DEVELOPMENT_KEYS", "1")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench._machine import write_results  # noqa: E402

#: (name, path, bearer token needed): the anonymous pages of bench/web.py and the API's lists
PAGES = (
    ("home", "/ru/", False),
    ("request_form", "/ru/request/new", False),
    ("follow_form", "/ru/request/follow", False),
    ("figures", "/ru/figures/", False),
    ("static_css", "/static/portal/kinlink.css", False),
    ("healthz", "/healthz", False),
    ("api_persons", "/api/v1/persons?limit=50&offset={offset}", True),
    ("api_requests", "/api/v1/requests?limit=50", True),
)


@dataclass
class Measured:
    name: str
    path: str
    statuses: set[int] = field(default_factory=set)
    cpu_ms: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    cookies: set[str] = field(default_factory=set)
    profile: str = ""


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def measure(name: str, path: str, headers: dict[str, str], n: int, profile: bool) -> Measured:
    result = Measured(name, path)
    profiler = cProfile.Profile() if profile else None
    # one client: a new one loads the middleware again (WhiteNoise scans every static file), which a
    # server does once per process
    client = Client(**headers)
    client.get(path.format(offset=0))  # warm: templates compiled, translations loaded
    for i in range(n):
        client.cookies.clear()  # a new visitor each time: no cookie
        url = path.format(offset=(i * 50) % 1000)
        with CaptureQueriesContext(connection) as captured:
            cpu, wall = time.thread_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            response = client.get(url, headers={"accept-language": "ru"})
            if profiler is not None:
                profiler.disable()
            result.cpu_ms.append((time.thread_time() - cpu) * 1000)
            result.wall_ms.append((time.perf_counter() - wall) * 1000)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)  # type: ignore[arg-type]
            response.close()
        result.statuses.add(response.status_code)
        result.queries.append(len(captured.captured_queries))
        result.cookies.update(response.cookies.keys())
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
        result.profile = out.getvalue()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200, help="requests per page (default 200)")
    parser.add_argument("--profile", action="store_true", help="add a cProfile top list per page")
    parser.add_argument("--only", action="append", default=[], help="only these pages (repeatable)")
    parser.add_argument("--out", default="public_pages", help="results file name (bench/results/NAME.json)")
    parser.add_argument("--label", default="", help="a note stored with the figures (e.g. before/after)")
    args = parser.parse_args()

    logging.getLogger("kinlink.request").setLevel(logging.WARNING)  # one line a request: not here
    from kinlink.api.actions import issue_token, revoke_token
    from kinlink.api.models import Scope
    from kinlink.registry.models import Organisation

    row, token = issue_token(
        None, Organisation.objects.get(slug="poisk"), "bench public pages", [Scope.READ_CASES], days=1
    )
    load_before = os.getloadavg()[0]
    results: list[Measured] = []
    try:
        for name, path, needs_token in PAGES:
            if args.only and name not in args.only:
                continue
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if needs_token else {}
            measured = measure(name, path, headers, args.n, args.profile)
            results.append(measured)
            print(
                f"{name:14} {sorted(measured.statuses)} queries {max(measured.queries):3d}  "
                f"cpu {statistics.median(measured.cpu_ms):6.2f} ms (p95 {_p95(measured.cpu_ms):6.2f})  "
                f"wall {statistics.median(measured.wall_ms):6.2f} ms  cookies {sorted(measured.cookies)}",
                flush=True,
            )
            if measured.profile:
                print(measured.profile)
    finally:
        revoke_token(None, row, label="bench/public_pages.py")
    write = write_results(
        args.out,
        {
            "what": "server CPU (this thread) per request of the anonymous pages and the API lists, "
            "Django's test client through every middleware, each request a new visitor",
            "label": args.label,
            "database": connection.vendor,
            "load_average_1m_before": round(load_before, 2),
            "load_average_1m_after": round(os.getloadavg()[0], 2),
            "requests_per_page": args.n,
            "pages": {
                m.name: {
                    "path": m.path,
                    "statuses": sorted(m.statuses),
                    "queries": max(m.queries),
                    "cookies_set": sorted(m.cookies),
                    "cpu_ms_median": round(statistics.median(m.cpu_ms), 2),
                    "cpu_ms_p95": round(_p95(m.cpu_ms), 2),
                    "wall_ms_median": round(statistics.median(m.wall_ms), 2),
                    **({"profile": m.profile.splitlines()} if m.profile else {}),
                }
                for m in results
            },
        },
    )
    print(write)


if __name__ == "__main__":
    main()
