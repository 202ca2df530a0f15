"""The factual fate of a person from the registry's claims, translated for the reader."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext

from kinlink.partialdate import parse_optional
from kinlink.registry.fate import ClaimFact, FateAssessment, Message, parse_claim_label, reconcile
from kinlink.registry.legal import Deadline, default_rules
from kinlink.registry.models import Case, Claim, Fate, Person


def claim_fact(claim: Claim) -> ClaimFact:
    source = claim.source
    return ClaimFact(
        claim_id=str(claim.pk),
        source_id=str(source.pk),
        source_kind=source.kind,
        source_name=source.name,
        reliability=source.reliability,
        fate=claim.fate,
        fate_date=parse_optional(claim.date),
        stated_on=parse_optional(source.date),
        place=claim.place,
        circumstances=claim.circumstances,
        site_id=str(claim.site_id) if claim.site_id else None,
        retracted=claim.retracted_at is not None,
    )


def assess_person(person: Person) -> FateAssessment:
    claims = Claim.objects.filter(person=person).select_related("source")
    return reconcile([claim_fact(c) for c in claims])


def fate_label(code: str) -> str:
    """A fate code ("dead") in the active language; an unknown code as it is."""
    if code == "unknown":
        return gettext("unknown")
    return str(Fate(code).label) if code in Fate.values else code


def claim_label(label: str) -> str:
    """A claim's label ("source: dead 2022-03-30 (stated 2022-04-02)") in the active language."""
    parts = parse_claim_label(label)
    if parts is None:
        return label
    when = f" {parts['when']}" if parts["when"] else ""
    text = f"{parts['source']}: {fate_label(parts['fate'])}{when}"
    if parts["stated"]:
        text += " " + gettext("(stated {date})").format(date=parts["stated"])
    return text


def render(message: Message) -> str:
    """Translate an explanation line into the active language, fate words and claim labels included,
    then fill in its parameters."""
    params = dict(message.params)
    for key in ("fate", "other_fate"):
        if key in params:
            params[key] = fate_label(params[key])
    if "claim" in params:
        params["claim"] = claim_label(params["claim"])
    return gettext(message.template).format(**params)


def explanation_lines(assessment: FateAssessment) -> list[str]:
    return [render(m) for m in assessment.explanation]


@dataclass(frozen=True, slots=True)
class LegalView:
    jurisdiction: str
    jurisdiction_name: str
    status: str
    since: dt.date | None
    last_news: dt.date | None
    deadlines: list[Deadline]


def last_news_date(person: Person) -> dt.date | None:
    """The latest date on which a source put the person alive, wounded, detained or missing in action."""
    dates = [
        parsed.latest
        for c in Claim.objects.filter(person=person, retracted_at__isnull=True)
        if (parsed := parse_optional(c.date)) is not None
    ]
    return max(dates) if dates else None


def identified_on(person: Person) -> dt.date | None:
    """The date of the person's DNA identification (a live ``identified`` claim from a DNA source), or
    None: the legal plan then moves to registering the death."""
    from kinlink.registry.fate import DNA_KINDS

    dates = [
        parsed.earliest
        for c in Claim.objects.filter(
            person=person, retracted_at__isnull=True, fate=Fate.IDENTIFIED, source__kind__in=DNA_KINDS
        ).select_related("source")
        if (parsed := parse_optional(c.date or c.source.date)) is not None
    ]
    return min(dates) if dates else None


def legal_view(case: Case, today: dt.date | None = None) -> LegalView:
    rules = default_rules()
    last_news = last_news_date(case.person)
    return LegalView(
        jurisdiction=case.jurisdiction,
        jurisdiction_name=rules.jurisdiction_name(case.jurisdiction),
        status=case.legal_status,
        since=case.legal_status_since,
        last_news=last_news,
        deadlines=rules.deadlines(
            case.jurisdiction,
            case.legal_status,
            last_news,
            case.legal_status_since,
            today=today,
            identified_on=identified_on(case.person),
        ),
    )
