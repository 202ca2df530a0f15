"""Public figures (no sign-in): suppressed counts, charts drawn on the server as SVG, the estimate of the
total against the named count, a CSV of the published tables and the method note.

The figures are computed by ``registry.services.figures.public_figures`` when the registry changes (the
worker's pass, ``kinlink figures refresh``) and stored as a ``FiguresSnapshot``; the page, its CSV and the
statistics report read the latest snapshot (one indexed query; its JSON decoded once per process), and say
when it was computed. A visit never runs the estimation, except the very first on an instance that has no
snapshot yet. Responses carry an ETag (the snapshot's digest) and Last-Modified, so a browser revalidates
with one query and a 304. Nothing on the page names a person: every number comes from the suppressed tables.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kinlink import __version__
from kinlink.documents.models import Inquiry
from kinlink.estimation.aggregates import MISSING
from kinlink.lib import csvsafe
from kinlink.lib.formats import format_partial_date
from kinlink.registry.models import Fate, LegalStatus, SourceKind
from kinlink.registry.services.figures import SnapshotRef, current_figures, figures_threshold

CHART_W = 480
CHART_H = 200
PAD = 36


# Military branches as the registry records them (codes of the scenario and the imports); any other value
# is free text typed by a caseworker and is shown as it is.
BRANCH_LABELS = {
    "motor_rifle": gettext_lazy("motor rifle troops"),
    "airborne": gettext_lazy("airborne troops"),
    "marines": gettext_lazy("naval infantry"),
    "artillery": gettext_lazy("artillery"),
    "tank": gettext_lazy("tank troops"),
    "volunteer": gettext_lazy("volunteer formations"),
    "territorial_defence": gettext_lazy("territorial defence"),
}
_CHOICES: dict[str, type[Fate] | type[LegalStatus] | type[SourceKind]] = {
    "fate": Fate,
    "legal_status": LegalStatus,
    "source_kind": SourceKind,
}


#: What became of an inquiry (``documents.figures.OUTCOMES``), as the public table names it.
OUTCOME_LABELS = {
    "answered": gettext_lazy("answered in time"),
    "answered_late": gettext_lazy("answered late"),
    "overdue": gettext_lazy("no answer, deadline passed"),
    "waiting": gettext_lazy("no answer yet, not overdue"),
}


def value_label(field: str, key: str) -> str:
    """What a reader sees for a category code: the translated label of a fate, legal status, source kind
    or branch, a month as the language writes it (``май 2023 г.``), ``unknown`` and ``Total`` translated;
    regions as they are."""
    if key == MISSING:
        return _("unknown")
    if key == "total":
        return _("Total")
    if field in _CHOICES:
        try:
            return str(_CHOICES[field](key).label)
        except ValueError:
            return key
    if field == "branch":
        return str(BRANCH_LABELS.get(key, key))
    if field == "month":
        return format_partial_date(key, get_language() or "en")
    if field == "addressee_kind":
        try:
            return str(Inquiry.Addressee(key).label)
        except ValueError:
            return key
    if field == "outcome":
        return str(OUTCOME_LABELS.get(key, key))
    return key


def cached_figures() -> dict[str, Any]:
    """The public figures of the latest snapshot (``registry.services.figures.current_figures``); the
    statistics report reads the same."""
    return current_figures()[1]


#: How long a browser or a proxy may reuse the page without asking again (seconds); then it revalidates.
FIGURES_MAX_AGE = 60

PORTAL_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def render_version() -> str:
    """What else the page's bytes depend on beside the figures: the code's version, the templates and the
    translations (a new release changes the ETag even when the figures did not)."""
    h = hashlib.sha256(__version__.encode())
    templates = PORTAL_DIR / "templates" / "portal"
    for path in [templates / "base.html", *sorted((templates / "figures").glob("*.html"))]:
        h.update(path.read_bytes())
    for path in sorted((PORTAL_DIR.parent / "locale").glob("*/LC_MESSAGES/django.mo")):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _conditional(request: HttpRequest, ref: SnapshotRef, respond: Callable[[], HttpResponse]) -> HttpResponse:
    """``respond()``, or a 304 when the browser's copy is current; with the snapshot's validators.

    A page carrying a flash message (signed out a moment ago) is this visitor's own: neither shared nor
    validated."""
    if len(get_messages(request)):
        response = respond()
        response["Cache-Control"] = "private, no-cache"
        return response
    etag = f'"{ref.digest[:24]}-{render_version()}-{get_language() or settings.LANGUAGE_CODE}"'
    last_modified = int(ref.computed_at.timestamp())
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    response = respond() if not_modified is None else not_modified
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={FIGURES_MAX_AGE}"
    return response


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int | None
    tick: bool


def timeline(counts: dict[str, int | None]) -> tuple[list[Bar], int]:
    """Bars of people per month of disappearance; withheld months are drawn as a dashed stub."""
    months = sorted(k for k in counts if k not in ("total", "unknown"))
    if not months:
        return [], 0
    top = max([v for k, v in counts.items() if k in months and v is not None] or [1])
    step = (CHART_W - 2 * PAD) / len(months)
    bars = []
    for i, m in enumerate(months):
        v = counts[m]
        h = (CHART_H - 2 * PAD) * (v / top if v is not None else 0.0)
        bars.append(
            Bar(PAD + i * step + 1, CHART_H - PAD - h, max(step - 2, 1), h, m, v, i == 0 or m.endswith("-01"))
        )
    return bars, top


@dataclass(frozen=True)
class Bubble:
    x: float
    y: float
    r: float
    label: str
    value: int


#: Approximate region centroids (provenance in ``data/README.md``), independent of the synthetic scenario.
REGION_CENTROIDS_FILE = Path(__file__).resolve().parent / "data" / "region_centroids.csv"


@lru_cache(maxsize=1)
def region_centroids() -> dict[str, tuple[float, float]]:
    """Region name (Russian as the registry records it, or Ukrainian) -> approximate (lat, lon)."""
    out: dict[str, tuple[float, float]] = {}
    with REGION_CENTROIDS_FILE.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            point = (float(row["lat"]), float(row["lon"]))
            out[row["region"]] = point
            out.setdefault(row["name_uk"], point)
    return out


def bubble_map(counts: dict[str, int | None]) -> tuple[list[Bubble], list[str]]:
    """A schematic bubble map (equirectangular, fitted to the regions present); area ∝ people.

    Returns the bubbles and the regions that could not be placed (no known centroid or withheld count).
    """
    cent = region_centroids()
    placed = {r: v for r, v in counts.items() if r in cent and v}
    missing = sorted(r for r in counts if r not in ("total", "unknown") and r not in placed)
    if not placed:
        return [], missing
    lats = [cent[r][0] for r in placed]
    lons = [cent[r][1] for r in placed]
    lat0, lat1 = min(lats) - 1, max(lats) + 1
    lon0, lon1 = min(lons) - 1, max(lons) + 1
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    sx = (CHART_W - 2 * PAD) / max((lon1 - lon0) * kx, 1e-9)
    sy = (CHART_H * 1.5 - 2 * PAD) / max(lat1 - lat0, 1e-9)
    s = min(sx, sy)
    top = max(placed.values())
    bubbles = [
        Bubble(
            PAD + (cent[r][1] - lon0) * kx * s,
            CHART_H * 1.5 - PAD - (cent[r][0] - lat0) * s,
            3 + 17 * math.sqrt(v / top),
            r,
            v,
        )
        for r, v in sorted(placed.items(), key=lambda rv: -rv[1])
    ]
    return bubbles, missing


@dataclass(frozen=True)
class IntervalRow:
    label: str
    named: int
    estimate: float
    lo: float
    hi: float | None
    y: float
    x_named: float
    x_est: float
    x_lo: float
    x_hi: float


def interval_chart(figures: dict[str, Any]) -> tuple[list[IntervalRow], float]:
    """Named count (published) against the estimate and its interval, for the total and large regions."""
    rows: list[tuple[str, int, float, float, float | None]] = []
    est = figures.get("estimate")
    if est:
        rows.append(
            (
                _("All regions"),
                int(est["observed"]),
                est["estimate"],
                est["interval"][0],
                est["interval"][1],
            )
        )
    for r in figures.get("region_estimates", []):
        rows.append(
            (
                value_label("region", r["region"]),
                r["named"],
                r["estimate"],
                r["interval"][0],
                r["interval"][1],
            )
        )
    if not rows:
        return [], 0.0
    top = max(max(n, e, h if h is not None else e) for _, n, e, _, h in rows) * 1.05
    scale = (CHART_W - 2 * PAD - 150) / top
    out = []
    for i, (label, named, e, lo, hi) in enumerate(rows):
        x0 = 150 + PAD
        out.append(
            IntervalRow(
                label,
                named,
                e,
                lo,
                hi,
                20 + 22 * i,
                x0 + named * scale,
                x0 + e * scale,
                x0 + lo * scale,
                x0 + (hi if hi is not None else top) * scale,
            )
        )
    return out, top


def _cell(v: int | None) -> str:
    return "" if v is None else str(v)


#: Rendered pages by (snapshot, its digest and time, address, language): a process renders each once.
_PAGES: dict[tuple[int, str, str, str, str], bytes] = {}
_PAGES_KEPT = 12
_PAGES_LOCK = threading.Lock()


def figures_page(request: HttpRequest) -> HttpResponse:
    """The page from the latest snapshot, with its "as of" time; 304 when the browser has it. The page
    rendered from a snapshot is kept in the process (a page with a flash message is rendered each time)."""
    ref, figures = current_figures()
    key = (ref.id, ref.digest, ref.computed_at.isoformat(), request.get_full_path(), get_language() or "")

    def respond() -> HttpResponse:
        if len(get_messages(request)):
            return _render_page(request, ref, figures)
        body = _PAGES.get(key)
        if body is None:
            body = _render_page(request, ref, figures).content
            with _PAGES_LOCK:
                while len(_PAGES) >= _PAGES_KEPT:
                    _PAGES.pop(next(iter(_PAGES)))
                _PAGES[key] = body
        return HttpResponse(body, content_type="text/html; charset=utf-8")

    return _conditional(request, ref, respond)


def _render_page(request: HttpRequest, ref: SnapshotRef, figures: dict[str, Any]) -> HttpResponse:
    bars, top = timeline(figures["counts"]["month"])
    bubbles, unplaced = bubble_map(figures["counts"]["region"])
    intervals, _top = interval_chart(figures)
    counts = [
        (
            field,
            _field_title(field),
            [(value_label(field, key), v, key == "total") for key, v in values.items()],
        )
        for field, values in figures["counts"].items()
    ]
    tables = [
        {
            **t,
            "title": f"{_field_title(t['rows'])} × {_field_title(t['columns'])}",
            "columns_shown": [value_label(t["columns"], c) for c in t["column_labels"]],
            "body": list(
                zip(
                    [value_label(t["rows"], r) for r in t["row_labels"]],
                    t["cells"],
                    t["row_totals"],
                    strict=True,
                )
            ),
        }
        for t in figures["tables"]
    ]
    return render(
        request,
        "portal/figures/figures.html",
        {
            "inquiries": _inquiry_table(figures.get("inquiries")),
            "figures": figures,
            "as_of": ref.computed_at,
            "counts": counts,
            "tables": tables,
            "bars": bars,
            "bars_top": top,
            "bubbles": bubbles,
            "unplaced": [value_label("region", r) for r in unplaced],
            "intervals": intervals,
            "chart_w": CHART_W,
            "chart_h": CHART_H,
            "map_h": int(CHART_H * 1.5),
            "axis_y": CHART_H - PAD,
            "interval_h": 30 + 22 * len(intervals),
        },
    )


def _inquiry_table(section: dict[str, Any] | None) -> dict[str, Any] | None:
    """The inquiries' suppressed table (addressee kind × outcome) with its labels, or None when there is
    none to publish."""
    if not section or not section.get("table"):
        return None
    t = section["table"]
    return {
        **t,
        "total": section["total"],
        "overdue_shown": _shown(_column_total(t, "overdue")),
        "total_shown": _shown(section["total"]),
        "columns_shown": [value_label("outcome", c) for c in t["column_labels"]],
        "body": list(
            zip(
                [value_label("addressee_kind", r) for r in t["row_labels"]],
                t["cells"],
                t["row_totals"],
                strict=True,
            )
        ),
    }


def _shown(value: int | None) -> str:
    return "—" if value is None else str(value)


def _column_total(table: dict[str, Any], column: str) -> int | None:
    """A column's published total (None when withheld), 0 when no inquiry falls in that column."""
    if column not in table["column_labels"]:
        return 0
    total: int | None = table["column_totals"][table["column_labels"].index(column)]
    return total


def _field_title(field: str) -> str:
    titles = {
        "region": _("Region"),
        "month": _("Month of disappearance"),
        "fate": _("Fate"),
        "legal_status": _("Legal status"),
        "source_kind": _("Kind of first source"),
        "branch": _("Branch"),
        "addressee_kind": _("Kind of addressee"),
        "outcome": _("Answer"),
    }
    return titles.get(field, field)


CSV_HEADER = ("table", "row_variable", "row_value", "column_variable", "column_value", "people", "withheld")


def figures_csv(request: HttpRequest) -> HttpResponse:
    """The published (suppressed) tables as one long table, with a header that says what each column is.

    Columns: ``table`` (``region`` or ``region x fate``), ``row_variable`` and ``row_value``,
    ``column_variable`` and ``column_value`` (empty for one-way counts), ``people`` (empty when withheld)
    and ``withheld`` (``yes``/``no``). Values stay codes (``dead``, ``obituary``, ``unknown``; ``total``
    for margins) so that the file reads the same in every language; the method page explains them.
    """
    ref, figures = current_figures()
    return _conditional(request, ref, lambda: _csv_response(figures))


def _csv_response(figures: dict[str, Any]) -> HttpResponse:
    buf = io.StringIO()
    w = csvsafe.writer(buf)
    w.writerow(CSV_HEADER)

    def row(table: str, rv: str, rk: str, cv: str, ck: str, v: int | None) -> None:
        w.writerow([table, rv, rk, cv, ck, _cell(v), "yes" if v is None else "no"])

    for field, values in figures["counts"].items():
        for key, v in values.items():
            row(field, field, key, "", "", v)
    for t in figures["tables"]:
        name = f"{t['rows']} x {t['columns']}"
        rv, cv = t["rows"], t["columns"]
        for i, rk in enumerate(t["row_labels"]):
            for j, ck in enumerate(t["column_labels"]):
                row(name, rv, rk, cv, ck, t["cells"][i][j])
            row(name, rv, rk, cv, "total", t["row_totals"][i])
        for j, ck in enumerate(t["column_labels"]):
            row(name, rv, "total", cv, ck, t["column_totals"][j])
        row(name, rv, "total", cv, "total", t["total"])
    inquiries = (figures.get("inquiries") or {}).get("table")
    if inquiries:  # inquiries, not people: the table's name says so
        rv, cv = inquiries["rows"], inquiries["columns"]
        name = f"inquiries: {rv} x {cv}"
        for i, rk in enumerate(inquiries["row_labels"]):
            for j, ck in enumerate(inquiries["column_labels"]):
                row(name, rv, rk, cv, ck, inquiries["cells"][i][j])
            row(name, rv, rk, cv, "total", inquiries["row_totals"][i])
        for j, ck in enumerate(inquiries["column_labels"]):
            row(name, rv, "total", cv, ck, inquiries["column_totals"][j])
        row(name, rv, "total", cv, "total", inquiries["total"])
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kinlink-figures.csv"'
    return response


def figures_method(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/figures/method.html", {"threshold": figures_threshold()})
