"""Where the caseworker console, the lab console and the partner API spend their time, page by page.

Run by hand against a database that holds a demo (``kinlink demo --size medium --no-serve``)::

    DATABASE_URL=postgres://127.0.0.1:5432/kinlink_pages KINLINK_DEVELOPMENT_KEYS=1 \\
        PYTHONPATH=src .venv/bin/python bench/pages.py [-n 20] [--profile] [--only NAME] [--out pages]

Each page is requested ``-n`` times in this process with Django's test ``Client`` (the whole middleware
stack, the template rendered), signed in as the demo's ``caseworker`` (poisk) or ``lab`` (central-lab) with
the second factor marked done, and the API with a bearer token issued for the run (revoked at its end).
Per page it records the number of queries, the database time the queries took (as the driver saw it), the
total time (median and p95), the CPU time of this process (the web side's own work: Python, templates, the
driver; not PostgreSQL's, median) and, with ``--profile``, the top of a cProfile of the page's requests.
Writes ``bench/results/<out>.json`` with the machine, its load average and the database.

Timings are of one process on a shared machine: the 1-minute load average is recorded next to them, and
figures taken under load are only comparable with figures taken under the same load.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinlink.settings")
os.environ.setdefault("KINLINK_DEVELOPMENT_KEYS", "1")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from bench._machine import write_results  # noqa: E402


@dataclass
class Page:
    name: str
    role: str  # "caseworker", "lab" or "api"
    url: str
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Measured:
    name: str
    url: str
    status: int
    queries: list[int] = field(default_factory=list)
    db_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    profile: str = ""


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def staff_client(username: str) -> Client:
    """A client signed in as the demo's ``username`` with its TOTP second factor done (as tests do)."""
    from django.contrib.auth import get_user_model
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise SystemExit(f"the demo user {username} has no TOTP device: is the demo built?")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def pages() -> list[Page]:
    """One page of every class the caseworker, the lab and a partner use, on the demo's objects."""
    from kinlink.demo import seed_case
    from kinlink.identification.models import CandidateIdentification
    from kinlink.matching.models import CandidateLink
    from kinlink.registry.models import Case, Person, Remains, Sample, Site, TracingRequest

    seed = seed_case()
    if seed is None:
        raise SystemExit("no demo in this database: run `kinlink demo --size medium --no-serve` first")
    # a typical case of poisk: the newest one (the home page lists these first)
    typical = Case.objects.filter(organisation__slug="poisk").order_by("-opened_at", "-pk").first()
    tracing = (
        TracingRequest.objects.filter(consent_organisations__slug="poisk").order_by("-submitted_at").first()
    )
    link = CandidateLink.objects.filter(status="open").order_by("-match_weight", "pk").first()
    candidate = CandidateIdentification.objects.order_by("pk").first()
    site = Site.objects.order_by("pk").first()
    sample = Sample.objects.filter(lab__slug="central-lab").order_by("pk").first()
    person = Person.objects.get(pk=seed.person_id)
    remains = Remains.objects.order_by("pk").first()
    if not (typical and tracing and site and sample):
        raise SystemExit(f"the demo lacks a case, request, site or sample: {typical, tracing, site, sample}")
    found: list[Page] = [
        Page("staff_home", "caseworker", reverse("portal:staff_home")),
        Page("staff_home_page3", "caseworker", reverse("portal:staff_home") + "?page=3&overdue_page=3"),
        Page("case_list", "caseworker", reverse("portal:queue_cases")),
        Page("case_list_page2", "caseworker", reverse("portal:queue_cases") + "?page=2"),
        Page("search", "caseworker", reverse("portal:staff_search"), "post", {"surname": "Иванов"}),
        Page("request", "caseworker", reverse("portal:staff_request", args=[tracing.pk])),
        Page("person", "caseworker", reverse("portal:person", args=[person.pk])),
        Page("case_seed", "caseworker", reverse("portal:case", args=[seed.pk])),
        Page("case_typical", "caseworker", reverse("portal:case", args=[typical.pk])),
        Page("links", "caseworker", reverse("portal:links")),
        Page("dna_queue", "caseworker", reverse("portal:dna_candidates")),
        Page("field_sites", "caseworker", reverse("portal:field_sites")),
        Page("field_site", "caseworker", reverse("portal:field_site", args=[site.pk])),
        Page("field_batches", "caseworker", reverse("portal:field_batches")),
        Page("lab_home", "lab", reverse("portal:lab_home")),
        Page("lab_samples_page2", "lab", reverse("portal:lab_home") + "?page=2"),
        Page("lab_sample", "lab", reverse("portal:lab_sample", args=[sample.pk])),
        Page("api_persons", "api", "/api/v1/persons?limit=50"),
        Page("api_persons_500", "api", "/api/v1/persons?limit=500"),
        Page("api_requests", "api", "/api/v1/requests?limit=50"),
        Page("api_remains", "api", "/api/v1/remains?limit=50"),
        Page("api_samples", "api", "/api/v1/samples?limit=50"),
        Page("api_case", "api", f"/api/v1/cases/{seed.number}"),
        Page("api_person_claims", "api", f"/api/v1/persons/{person.uid}/claims"),
        Page("api_person_candidates", "api", f"/api/v1/persons/{person.uid}/candidates"),
    ]
    if link is not None:
        found.append(Page("link", "caseworker", reverse("portal:link", args=[link.pk])))
    if candidate is not None:
        found.append(
            Page("dna_candidate", "caseworker", reverse("portal:dna_candidate", args=[candidate.pk]))
        )
    if remains is not None:
        found.append(Page("field_remains", "caseworker", reverse("portal:field_remains", args=[remains.pk])))
        found.append(Page("api_remains_one", "api", f"/api/v1/remains/{remains.code}"))
    return found


def measure(page: Page, request: Callable[[], Any], n: int, profile: bool) -> Measured:
    request()  # warm: templates compiled, translations loaded, connection open
    result = Measured(page.name, page.url, 0)
    profiler = cProfile.Profile() if profile else None
    for _ in range(n):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            cpu_started = time.process_time()
            if profiler is not None:
                profiler.enable()
            response = request()
            if profiler is not None:
                profiler.disable()
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
        result.status = response.status_code
        result.queries.append(len(captured.captured_queries))
        result.db_ms.append(1000 * sum(float(q["time"]) for q in captured.captured_queries))
        result.total_ms.append(1000 * elapsed)
        result.cpu_ms.append(1000 * cpu)
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        result.profile = out.getvalue()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=20, help="requests per page (default 20)")
    parser.add_argument("--profile", action="store_true", help="add a cProfile top list per page")
    parser.add_argument("--only", action="append", default=[], help="only these pages (repeatable)")
    parser.add_argument("--out", default="pages", help="results file name (bench/results/NAME.json)")
    parser.add_argument("--label", default="", help="a note stored with the figures (e.g. before/after)")
    args = parser.parse_args()

    logging.getLogger("kinlink.request").setLevel(logging.WARNING)  # one line a request: not here
    translation.activate("en")
    from kinlink.api.actions import issue_token, revoke_token
    from kinlink.api.models import Scope
    from kinlink.registry.models import Organisation

    clients = {"caseworker": staff_client("caseworker"), "lab": staff_client("lab")}
    row, token = issue_token(
        None,
        Organisation.objects.get(slug="poisk"),
        "bench pages",
        [Scope.READ_CASES, Scope.WRITE_CLAIMS, Scope.LAB_UPLOAD],
        label="bench/pages.py",
        days=1,
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    lab_token_row, lab_token = issue_token(
        None,
        Organisation.objects.get(slug="central-lab"),
        "bench pages (lab)",
        [Scope.LAB_UPLOAD],
        label="bench/pages.py",
        days=1,
    )
    lab_api = Client(HTTP_AUTHORIZATION=f"Bearer {lab_token}")
    results: list[Measured] = []
    try:
        for page in pages():
            if args.only and page.name not in args.only:
                continue
            client = api if page.role == "api" else clients[page.role]
            if page.name == "api_samples":
                client = lab_api

            def request(client: Client = client, page: Page = page) -> Any:
                if page.method == "post":
                    return client.post(page.url, page.data)
                return client.get(page.url)

            measured = measure(page, request, args.n, args.profile)
            results.append(measured)
            print(
                f"{measured.name:24} {measured.status} queries {max(measured.queries):4d}  "
                f"db {statistics.median(measured.db_ms):7.1f} ms  "
                f"total {statistics.median(measured.total_ms):7.1f} ms (p95 {_p95(measured.total_ms):7.1f})  "
                f"cpu {statistics.median(measured.cpu_ms):7.1f} ms",
                flush=True,
            )
    finally:
        revoke_token(None, row, label="bench/pages.py")
        revoke_token(None, lab_token_row, label="bench/pages.py")
    figures = {
        "label": args.label,
        "database": connection.vendor,
        "load_average_1min": os.getloadavg()[0],
        "requests_per_page": args.n,
        "pages": {
            m.name: {
                "url": m.url,
                "status": m.status,
                "queries": max(m.queries),
                "db_ms_median": round(statistics.median(m.db_ms), 2),
                "total_ms_median": round(statistics.median(m.total_ms), 2),
                "total_ms_p95": round(_p95(m.total_ms), 2),
                "cpu_ms_median": round(statistics.median(m.cpu_ms), 2),
                **({"profile": m.profile.splitlines()} if m.profile else {}),
            }
            for m in results
        },
    }
    if args.only:
        figures["only"] = args.only
    print(write_results(args.out, figures))


if __name__ == "__main__":
    main()
