"""The aggregate statistics report: public figures with small-cell suppression and estimates.

By default :func:`registry_statistics` takes the public figures page's numbers (one computation for both,
``registry.services.figures.public_figures``); ``KINLINK_STATISTICS_PROVIDER`` may name another provider of a
:class:`StatisticsData` (for instance a published multiple-systems estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_noop

from kinlink.documents.labels import term, translate
from kinlink.lib.formats import format_integer

#: Counts below this are printed as "<K" so that no family can be singled out.
SUPPRESSION_THRESHOLD = 5


@dataclass(frozen=True, slots=True)
class AggregateRow:
    group: str  # what is counted by: "fate", "region"
    value: str
    count: int | None  # None: withheld by the disclosure control (a small cell or its complement)


@dataclass(frozen=True, slots=True)
class Estimate:
    quantity: str
    estimate: float
    low: float
    high: float
    method: str


@dataclass(frozen=True, slots=True)
class StatisticsData:
    aggregates: list[AggregateRow]
    estimates: list[Estimate] = field(default_factory=list)
    method_note: str = ""
    threshold: int = SUPPRESSION_THRESHOLD


def suppressed(count: int | None, threshold: int) -> str:
    if count is None or 0 < count < threshold:
        return f"<{threshold}" if count is not None else "—"
    return str(count)


#: The registry's own estimate and method note, gettext messages translated when the report is made.
TOTAL_QUANTITY = gettext_noop("persons in the population the registry's lists sample")
TOTAL_METHOD = gettext_noop("multiple-systems estimate over the registry's lists")
METHOD_NOTE = gettext_noop(
    "Counts are of every person in this registry, by the factual fate the registry derives from its "
    "claims: the same computation as the public figures page. Cells below {threshold} are withheld (—), "
    "with complementary suppression so that no withheld cell can be recomputed from the totals. The "
    "estimate of the total is a multiple-systems estimate over the registry's imported lists (log-linear "
    "models chosen step by step), with its interval (95%); it is shown only when the number of people named "
    "on the lists and the number on no list are both large enough to publish."
)


def registry_statistics() -> StatisticsData:
    """The public figures page's numbers (``registry.services.figures.public_figures``, one computation
    for the page and the report, at the page's suppression threshold): counts by fate and region, and
    the multiple-systems estimate of the total with its interval."""
    from kinlink.registry.services.figures import cached_public_figures

    figures = cached_public_figures()
    threshold = int(figures["threshold"])
    aggregates = [
        AggregateRow(group, str(value), count)
        for group in ("fate", "region")
        for value, count in figures["counts"][group].items()
        if value != "total"
    ]
    estimates = []
    total = figures.get("estimate")
    if total is not None:
        low, high = total["interval"]
        estimates.append(
            Estimate(
                TOTAL_QUANTITY,
                float(total["estimate"]),
                float("nan") if low is None else float(low),
                float("nan") if high is None else float(high),
                TOTAL_METHOD,
            )
        )
    return StatisticsData(aggregates, estimates, METHOD_NOTE, threshold=threshold)


def _whole(value: float, lang: str) -> str:
    """An estimate rounded to whole people, as the reader writes numbers (``∞`` for an open bound)."""
    if math.isnan(value):
        return "—"
    return format_integer(round(value), lang) if math.isfinite(value) else "∞"


def statistics_facts(data: StatisticsData, lang: str) -> dict[str, Any]:
    """The report's facts in ``lang``; the registry's own texts are translated, a provider's free text
    (not in the catalogue) is printed as given."""
    with translation.override(lang):
        return _statistics_facts(data, lang)


def _statistics_facts(data: StatisticsData, lang: str) -> dict[str, Any]:
    k = data.threshold
    rows = [[term(r.group, lang), term(r.value, lang), suppressed(r.count, k)] for r in data.aggregates]
    charts: dict[str, list[dict[str, Any]]] = {}
    for row in data.aggregates:
        shown = row.count if row.count is not None and row.count >= k else 0
        charts.setdefault(term(row.group, lang), []).append(
            {"label": term(row.value, lang), "count": shown, "text": suppressed(row.count, k)}
        )
    chart_list = []
    for group, bars in charts.items():
        top = max((b["count"] for b in bars), default=0) or 1
        chart_list.append(
            {"group": group, "bars": [{**b, "share": round(b["count"] / top, 4)} for b in bars]}
        )
    return {
        "aggregates": rows,
        "charts": chart_list,
        # a provider's own wording that is not in the catalogue is printed as it was given
        "estimates": [
            [
                translate(e.quantity, lang),
                _whole(e.estimate, lang),
                f"{_whole(e.low, lang)} – {_whole(e.high, lang)}",
                translate(e.method, lang),
            ]
            for e in data.estimates
        ],
        "method": translate(data.method_note, lang).replace("{threshold}", str(k))
        if data.method_note
        else "",
        "threshold": k,
    }
