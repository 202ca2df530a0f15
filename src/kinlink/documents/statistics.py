"""The aggregate statistics report: public figures with small-cell suppression and estimates.

By default :func:`registry_statistics` builds the figures through the estimation engine
(``kinlink.estimation``); ``KINLINK_STATISTICS_PROVIDER`` may name another provider of a
:class:`StatisticsData` (for instance a published multiple-systems estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_noop as N_

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


def registry_statistics() -> StatisticsData:
    """Figures from the registry through the estimation engine (``kinlink.estimation``).

    Persons with a case are counted by factual fate and home region with the engine's disclosure control
    (``publish_counts``: cells under the threshold withheld, with complementary suppression); the total
    is estimated with the engine's Chapman two-list estimator (log-normal 95% interval) from the two
    largest imported lists.
    """
    from kinlink.estimation.aggregates import DEFAULT_THRESHOLD, publish_counts
    from kinlink.estimation.capture import histories_from_memberships
    from kinlink.estimation.chapman import chapman
    from kinlink.registry.fate import ClaimFact, reconcile
    from kinlink.registry.models import Case, Claim, ListRecord, Person
    from kinlink.registry.services.fate import claim_fact

    persons = Person.objects.filter(id__in=Case.objects.values("person_id"))
    facts: dict[int, list[ClaimFact]] = {}
    for claim in Claim.objects.filter(person__in=persons).select_related("source").order_by("id"):
        facts.setdefault(claim.person_id, []).append(claim_fact(claim))
    records = [
        {"fate": reconcile(facts.get(person_id, [])).fate, "region": region}
        for person_id, region in persons.order_by("id").values_list("id", "region")
    ]
    aggregates = []
    for group in ("fate", "region"):
        counts = publish_counts(records, group, threshold=DEFAULT_THRESHOLD)
        aggregates += [
            AggregateRow(group, value, count) for value, count in counts.items() if value != "total"
        ]
    lists: dict[int, set[int]] = {}
    for source_id, person_id in ListRecord.objects.filter(source__reference="list").values_list(
        "source_id", "person_id"
    ):
        lists.setdefault(source_id, set()).add(person_id)
    estimates = []
    largest = sorted(lists, key=lambda k: len(lists[k]), reverse=True)[:2]
    if len(largest) == 2:
        memberships = [(str(p), str(k)) for k in largest for p in lists[k]]
        two = chapman(histories_from_memberships(memberships, lists=[str(k) for k in largest]))
        estimates.append(
            Estimate(
                N_("persons in the population the two largest lists sample"),
                two.estimate,
                two.lo,
                two.hi,
                N_("Chapman two-list (provisional)"),
            )
        )
    # "{threshold}" is filled in by statistics_facts, after the note is translated
    note = N_(
        "Counts are of persons with a case in this registry, by the factual fate the registry derives from "
        "its claims, published with the estimation engine's disclosure control: cells below "
        "{threshold} are withheld (—), with complementary suppression so that no withheld cell can "
        "be recomputed from the totals. The estimate uses Chapman's two-list capture-recapture estimator "
        "with a log-normal interval (95%); it assumes independent lists and equal chances of being listed, "
        "and is provisional until a multiple-systems estimate over all linked lists replaces it."
    )
    return StatisticsData(aggregates, estimates, note, threshold=DEFAULT_THRESHOLD)


def _whole(value: float, lang: str) -> str:
    """An estimate rounded to whole people, as the reader writes numbers (``∞`` for an open bound)."""
    return format_integer(round(value), lang) if math.isfinite(value) else "∞"


def statistics_facts(data: StatisticsData, lang: str) -> dict[str, Any]:
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
