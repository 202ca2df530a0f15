"""The factual fate of a person from the registry's claims, translated for the reader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import get_language, gettext

from kinlink.lib.formats import format_partial_date
from kinlink.partialdate import PartialDate, PartialDateError, parse_optional
from kinlink.registry.fate import ClaimFact, FateAssessment, Message, parse_claim_label, reconcile
from kinlink.registry.legal import default_rules
from kinlink.registry.legalplan import InquiryFacts, Plan, PlanFacts, Step, build_plan
from kinlink.registry.models import Case, Claim, Fate, Person, Source, SourceKind, TracingRequest
from kinlink.registry.services.grammar import gendered
from kinlink.registry.services.memo import remembered
from kinlink.registry.services.sources import source_name


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
        retracted=claim.is_retracted,
    )


def merge_groups(person_ids: Iterable[int]) -> dict[int, int]:
    """Each person of each given person's merge group, mapped to the given person it belongs to.

    A person's merge group is the person and every person merged into it, transitively (``merged_into``
    points from the merged record to the one it was merged into). Merges never move claims, so this is
    how the claims of a merged record keep counting for the person it was merged into. Read once per
    set of persons inside a ``page_memo`` block (a page asks it from several helpers)."""
    ids = tuple(person_ids)
    return dict(remembered(("merge_groups", frozenset(ids)), lambda: _merge_groups(ids)))


def _merge_groups(person_ids: Iterable[int]) -> dict[int, int]:
    group: dict[int, int] = {pid: pid for pid in person_ids}
    frontier = list(group)
    while frontier:
        children = Person.objects.filter(merged_into_id__in=frontier).values_list("pk", "merged_into_id")
        frontier = []
        for child, parent in children:
            if child not in group:
                group[child] = group[parent]
                frontier.append(child)
    return group


def person_claims(person: Person) -> QuerySet[Claim]:
    """The claims about ``person`` and about every person merged into it (transitively): the one way the
    registry reads a person's claims."""
    return Claim.objects.filter(person_id__in=list(merge_groups([person.pk])))


def assess_person(person: Person) -> FateAssessment:
    """The reconciliation over the person's claims (its merge group's); the stored ``Person.fate`` is this
    assessment's fate, written by ``registry.actions.recompute_fate``."""
    claims = person_claims(person).select_related("source", "retraction").order_by("date", "created", "pk")
    return reconcile([claim_fact(c) for c in claims])


def fate_label(code: str, sex: str | None = None) -> str:
    """A fate code ("dead") in the active language; an unknown code as it is. With the person's sex
    (``Person.sex``), in its grammatical gender (погиб / погибла)."""
    if code == "unknown":
        return gettext("unknown")
    if code not in Fate.values:
        return code
    if sex is not None:
        return gendered(str(Fate(code).value), sex)  # the fate's label is its code, in English
    return str(Fate(code).label)


def claim_label(label: str, sex: str | None = None) -> str:
    """A claim's label ("source: dead 2022-03-30 (stated 2022-04-02)") in the active language, its dates
    as the language writes them ("погиб 30 марта 2022 г. (сообщено 2 апреля 2022 г.)")."""
    parts = parse_claim_label(label)
    if parts is None:
        return label
    lang = get_language() or "en"
    when = f" {format_partial_date(parts['when'], lang)}" if parts["when"] else ""
    text = f"{source_name(parts['source'])}: {fate_label(parts['fate'], sex)}{when}"
    if parts["stated"]:
        stated = format_partial_date(parts["stated"], lang)
        text += " " + gettext("(stated {date})").format(date=stated)
    return text


def render(message: Message, sex: str | None = None) -> str:
    """Translate an explanation line into the active language, fate words and claim labels included,
    then fill in its parameters. ``sex`` (``Person.sex``: M, F, U) picks the grammatical gender of the
    texts that speak of the person (the "male", "female" and "unknown" contexts of the catalogue)."""
    params = dict(message.params)
    for key in ("fate", "other_fate"):
        if key in params:
            params[key] = fate_label(params[key], sex)
    if "claim" in params:
        params["claim"] = claim_label(params["claim"], sex)
    for key in ("source", "dead_source", "missing_source", "other_source"):
        if key in params:
            params[key] = source_name(params[key])
    template = gendered(message.template, sex) if sex is not None else gettext(message.template)
    return template.format(**params)


def explanation_lines(assessment: FateAssessment, sex: str | None = None) -> list[str]:
    """The explanation in the active language; with the person's sex, in its grammatical gender."""
    return [render(m, sex) for m in assessment.explanation]


@dataclass(frozen=True, slots=True)
class LegalView:
    """A case's legal status and its plan (``registry.legalplan``), for the case page, the follow page and
    the dossier. Caseworkers read ``steps`` (with citations); a family reads ``family_steps`` in plain words,
    which is None while the plan rests on news of a death (an identification, the unit's notice) that a
    caseworker must give the family in person first."""

    jurisdiction: str
    jurisdiction_name: str
    status: str
    since: dt.date | None
    last_news: dt.date | None
    plan: Plan
    death_news: bool

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.plan.steps

    @property
    def legal_steps(self) -> list[Step]:
        """The steps of the law itself (the inquiries' reply dates left out)."""
        return [s for s in self.plan.steps if s.action != "reply_due"]

    @property
    def family_steps(self) -> list[Step] | None:
        return None if self.death_news else self.legal_steps


#: The fates that are a sign of life: news that the person was alive, wounded, detained or missing in action
#: on a date. A claim of death, burial or identification is not news of the person alive.
SIGN_OF_LIFE_FATES: frozenset[str] = frozenset({Fate.ALIVE, Fate.WOUNDED, Fate.DETAINED, Fate.MISSING})


def last_news_values(person_ids: Iterable[int]) -> dict[int, PartialDate]:
    """The last news of each person (persons without any have no entry), as the sources gave it (a day, a
    month or a year): the latest credible sign of life, that is a live (not retracted) claim of its merge
    group that puts it alive, wounded, detained or missing, or the last contact a family reported in a
    tracing request; never a claim of death, burial or identification. The one definition of "last news",
    for the legal plan, the case page, the staff queue and the documents."""
    group = merge_groups(person_ids)
    members = list(group)
    latest: dict[int, PartialDate] = {}

    def note(person_id: int, text: str) -> None:
        try:
            parsed = parse_optional(text)
        except PartialDateError:
            return
        if parsed is None:
            return
        owner = group[person_id]
        if owner not in latest or parsed.latest > latest[owner].latest:
            latest[owner] = parsed

    for start in range(0, len(members), 500):
        chunk = members[start : start + 500]
        claims = (
            Claim.objects.filter(person_id__in=chunk, retraction__isnull=True, fate__in=SIGN_OF_LIFE_FATES)
            .exclude(date="")
            .values_list("person_id", "date")
        )
        for person_id, text in claims:
            note(person_id, text)
        contacts = (
            TracingRequest.objects.filter(person_id__in=chunk)
            .exclude(last_contact="")
            .values_list("person_id", "last_contact")
        )
        for person_id, text in contacts:
            note(person_id, text)
    return latest


def last_news_dates(person_ids: Iterable[int]) -> dict[int, dt.date]:
    """The last day of each person's last news (see :func:`last_news_values`)."""
    return {pid: value.latest for pid, value in last_news_values(person_ids).items()}


def command_notice_dates(person_ids: Iterable[int]) -> dict[int, dt.date]:
    """The day the unit first reported each person's death: a live ``dead`` claim from a unit notice, dated
    by the notice (else by the claim). It opens the path of the command's certificate of death."""
    group = merge_groups(person_ids)
    found: dict[int, dt.date] = {}
    rows = Claim.objects.filter(
        person_id__in=list(group),
        retraction__isnull=True,
        fate=Fate.DEAD,
        source__kind=SourceKind.UNIT_NOTICE,
    ).values_list("person_id", "source__date", "date")
    for person_id, stated, dated in rows:
        try:
            parsed = parse_optional(stated) or parse_optional(dated)
        except PartialDateError:
            continue
        if parsed is None:
            continue
        owner = group[person_id]
        if owner not in found or parsed.latest < found[owner]:
            found[owner] = parsed.latest
    return found


def last_news_date(person: Person) -> dt.date | None:
    """The last news of one person (see :func:`last_news_dates`)."""
    return last_news_dates([person.pk]).get(person.pk)


def identified_on(person: Person) -> dt.date | None:
    """The date of the person's DNA identification (a live ``identified`` claim from a DNA source), or
    None: the legal plan then moves to registering the death."""
    from kinlink.registry.fate import DNA_KINDS

    dates = [
        parsed.earliest
        for c in person_claims(person)
        .filter(retraction__isnull=True, fate=Fate.IDENTIFIED, source__kind__in=DNA_KINDS)
        .select_related("source")
        if (parsed := parse_optional(c.date or c.source.date)) is not None
    ]
    return min(dates) if dates else None


def plan_facts(
    case: Case,
    today: dt.date,
    *,
    last_news: PartialDate | None,
    identified: dt.date | None,
    command_notice: dt.date | None,
    inquiries: Iterable[InquiryFacts] = (),
) -> PlanFacts:
    """The facts of a case's legal plan: its jurisdiction and legal status, the person's last news, the
    DNA identification, the unit's notice of death, and the inquiries (gathered by the caller: they live in
    ``documents``, above the registry)."""
    return PlanFacts(
        jurisdiction=case.jurisdiction,
        as_of=today,
        last_news=last_news,
        status=case.legal_status,
        status_since=case.legal_status_since,
        inquiries=tuple(inquiries),
        identified_on=identified,
        command_notice=command_notice,
    )


def legal_view(case: Case, today: dt.date | None = None, inquiries: Iterable[InquiryFacts] = ()) -> LegalView:
    """The case's legal status and plan as of ``today`` (``LegalStatusError`` for an unknown jurisdiction)."""
    rules = default_rules()
    today = today or dt.date.today()
    person = case.person
    news = last_news_values([person.pk]).get(person.pk)
    identified = identified_on(person)
    notice = command_notice_dates([person.pk]).get(person.pk)
    facts = plan_facts(
        case, today, last_news=news, identified=identified, command_notice=notice, inquiries=inquiries
    )
    return LegalView(
        jurisdiction=case.jurisdiction,
        jurisdiction_name=rules.jurisdiction_name(case.jurisdiction),
        status=case.legal_status,
        since=case.legal_status_since,
        last_news=news.latest if news else None,
        plan=build_plan(facts, rules),
        death_news=identified is not None or notice is not None,
    )


# --- the stored fate, in bulk ----------------------------------------------------------------------------

_FACT_COLUMNS = (
    "pk",
    "person_id",
    "fate",
    "date",
    "place",
    "circumstances",
    "site_id",
    "source_id",
    "source__kind",
    "source__name",
    "source__reliability",
    "source__date",
    "retraction__id",
)


def _fact(row: tuple[Any, ...]) -> ClaimFact:
    pk, _, fate, date, place, circumstances, site_id, source_id = row[:8]
    kind, name, reliability, stated, retraction = row[8:]
    return ClaimFact(
        claim_id=str(pk),
        source_id=str(source_id),
        source_kind=kind,
        source_name=name,
        reliability=reliability,
        fate=fate,
        fate_date=parse_optional(date),
        stated_on=parse_optional(stated),
        place=place,
        circumstances=circumstances,
        site_id=str(site_id) if site_id else None,
        retracted=retraction is not None,
    )


def _roots(person_ids: Iterable[int] | None) -> list[int]:
    """The persons whose fates are stored: the given ones, each followed to the person it was merged into."""
    if person_ids is None:
        return list(Person.objects.filter(merged_into__isnull=True).values_list("pk", flat=True))
    parent = dict(Person.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id"))
    roots: set[int] = set()
    for pid in person_ids:
        seen = {pid}
        while pid in parent and parent[pid] not in seen:
            pid = parent[pid]
            seen.add(pid)
        roots.add(pid)
    return sorted(roots)


def store_fates(person_ids: Iterable[int] | None = None, chunk: int = 2000) -> int:
    """Reconcile the claims of many persons at once and store each one's fate, confidence and number of
    conflicts on the person (all surviving persons when ``person_ids`` is ``None``). The bulk form of
    ``registry.actions.recompute_fate``: the same reconciliation, read in a few queries. Returns the
    number of persons whose fate was stored."""
    roots = _roots(person_ids)
    stored = 0
    for start in range(0, len(roots), chunk):
        group = merge_groups(roots[start : start + chunk])
        facts: dict[int, list[ClaimFact]] = {root: [] for root in set(group.values())}
        members = list(group)
        for at in range(0, len(members), chunk):
            rows = (
                Claim.objects.filter(person_id__in=members[at : at + chunk])
                .order_by("date", "created", "pk")
                .values_list(*_FACT_COLUMNS)
            )
            for row in rows:
                facts[group[row[1]]].append(_fact(row))
        by_outcome: dict[tuple[str, str, int], list[int]] = {}
        for root, claims in facts.items():
            assessment = reconcile(claims)
            key = (assessment.fate, assessment.confidence, len(assessment.conflicts))
            by_outcome.setdefault(key, []).append(root)
        for (fate, confidence, conflicts), ids in by_outcome.items():
            Person.objects.filter(pk__in=ids).update(
                fate=fate, fate_confidence=confidence, fate_conflicts=conflicts
            )
            stored += len(ids)
    return stored


def single_claim_outcome(source: Source, fate: str) -> tuple[str, str, int]:
    """The stored fate, confidence and number of conflicts of a person whose only claim is one of
    ``source`` stating ``fate``: what :func:`store_fates` stores for him, computed once for a whole list
    (one claim has no conflict, and its date, place and circumstances weigh in neither the fate nor the
    confidence; a test holds this against ``store_fates``)."""
    assessment = reconcile(
        [
            ClaimFact(
                claim_id="0",
                source_id=str(source.pk),
                source_kind=source.kind,
                source_name=source.name,
                reliability=source.reliability,
                fate=fate,
                stated_on=parse_optional(source.date),
            )
        ]
    )
    return assessment.fate, assessment.confidence, len(assessment.conflicts)
