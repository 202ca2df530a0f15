"""The aggregate statistics report: public figures with small-cell suppression and estimates.

The estimation engine (``kinlink.estimation``) is expected to hand over a :class:`StatisticsData`
(see ``KINLINK_STATISTICS_PROVIDER``). Until it is wired in, :func:`registry_statistics` counts
persons with an open case by their factual fate and home region, and gives a two-list Chapman
estimate of the total from the two largest imported lists, as a clearly labelled provisional figure.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kinlink.documents.labels import term

#: Counts below this are printed as "<K" so that no family can be singled out.
SUPPRESSION_THRESHOLD = 5


@dataclass(frozen=True, slots=True)
class AggregateRow:
    group: str  # what is counted by: "fate", "region"
    value: str
    count: int


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


def suppressed(count: int, threshold: int) -> str:
    return f"<{threshold}" if 0 < count < threshold else str(count)


def chapman(n1: int, n2: int, overlap: int) -> tuple[float, float, float]:
    """Chapman's two-list estimate of a closed population, with a normal 95% interval (persons).

    N = (n1+1)(n2+1)/(m+1) - 1; Var = (n1+1)(n2+1)(n1-m)(n2-m) / ((m+1)^2 (m+2)). The lower bound is
    never below the number of distinct persons seen, n1 + n2 - m. Assumes independent lists and
    equal catchability: real lists violate both, hence "provisional".
    """
    estimate = (n1 + 1) * (n2 + 1) / (overlap + 1) - 1
    variance = (n1 + 1) * (n2 + 1) * (n1 - overlap) * (n2 - overlap) / ((overlap + 1) ** 2 * (overlap + 2))
    half = 1.96 * math.sqrt(variance)
    seen = n1 + n2 - overlap
    return estimate, max(seen, estimate - half), estimate + half


def registry_statistics() -> StatisticsData:
    """Figures from the registry itself: persons with a case, by factual fate and by home region."""
    from kinlink.registry.fate import ClaimFact, reconcile
    from kinlink.registry.models import Case, Claim, ListRecord, Person
    from kinlink.registry.services.fate import claim_fact

    persons = Person.objects.filter(id__in=Case.objects.values("person_id"))
    facts: dict[int, list[ClaimFact]] = {}
    for claim in Claim.objects.filter(person__in=persons).select_related("source").order_by("id"):
        facts.setdefault(claim.person_id, []).append(claim_fact(claim))
    fates: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    for person_id, region in persons.order_by("id").values_list("id", "region"):
        fates[reconcile(facts.get(person_id, [])).fate] += 1
        regions[region or "—"] += 1
    aggregates = [AggregateRow("fate", value, count) for value, count in sorted(fates.items())]
    aggregates += [AggregateRow("region", value, count) for value, count in sorted(regions.items())]
    lists: dict[int, set[int]] = {}
    for source_id, person_id in ListRecord.objects.values_list("source_id", "person_id"):
        lists.setdefault(source_id, set()).add(person_id)
    estimates = []
    largest = sorted(lists.values(), key=len, reverse=True)[:2]
    if len(largest) == 2:
        first, second = largest
        value, low, high = chapman(len(first), len(second), len(first & second))
        estimates.append(
            Estimate(
                "persons on either of the two largest lists' population",
                value,
                low,
                high,
                "Chapman two-list (provisional)",
            )
        )
    note = (
        "Counts are of persons with a case in this registry, by the factual fate the registry derives from "
        f"its claims. Counts below {SUPPRESSION_THRESHOLD} are suppressed. The estimate uses Chapman's "
        "two-list capture-recapture formula, which assumes independent lists and equal chances of being "
        "listed; it is provisional until the multiple-systems estimate replaces it."
    )
    return StatisticsData(aggregates, estimates, note)


def statistics_facts(data: StatisticsData, lang: str) -> dict[str, Any]:
    k = data.threshold
    rows = [[term(r.group, lang), term(r.value, lang), suppressed(r.count, k)] for r in data.aggregates]
    charts: dict[str, list[dict[str, Any]]] = {}
    for row in data.aggregates:
        shown = row.count if row.count >= k else 0
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
        "estimates": [
            [e.quantity, f"{e.estimate:.0f}", f"{e.low:.0f} – {e.high:.0f}", e.method] for e in data.estimates
        ],
        "method": data.method_note,
        "threshold": k,
    }
