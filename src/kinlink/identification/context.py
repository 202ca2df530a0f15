"""The prior of a screening candidate from the remains' context (reads only; screening stores the result).

For each remains sample screened, the prior that it is a given candidate person comes from what the
registry knows of the remains (``docs/methods/screening.md``, "The prior and its basis"):

* remains tied to an event (their own, their site's or their batch's: ``field.services.context_event``)
  whose missing persons (``Event.persons``, open fates: ``field.services.open_missing_persons``) number M:
  ``(1 - share) / (M - k)`` for each of them not excluded by the non-DNA comparison (k excluded),
  ``share / O`` for each missing person outside the event (O: the registry's other open missing persons,
  at least the families screened outside the event), :class:`kinlink.identification.prior.ContextPrior`;
* a person of the event whom the non-DNA comparison excluded (sex, age, stature, or a caseworker's
  remembered exclusion) keeps the prior he would have without the exclusion, ``(1 - share) / (M - k + 1)``,
  and his candidate carries the conflict (``CandidateIdentification.non_dna_conflict``): DNA is never
  hidden by a physical exclusion, and never silently overrides one;
* remains without an event (or whose event has no open missing person): ``1 / N`` over the N families
  screened, as before; the conflict of the candidate person with the non-DNA comparison is still marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from kinlink.field.compare import EXCLUSION, Comparison, compare
from kinlink.field.models import ComparisonDecision
from kinlink.field.services import (
    antemortem_record,
    candidates,
    context_event,
    open_missing_persons,
    postmortem_record,
)
from kinlink.identification.prior import (
    EXCLUDED,
    IN_EVENT,
    OUTSIDE,
    ContextPrior,
    context_basis,
    screened_basis,
)
from kinlink.registry.models import Event, Person, Remains


def outside_share() -> float:
    """``settings.KINLINK_PRIOR_OUTSIDE_SHARE``, checked (strictly between 0 and 1)."""
    share = float(getattr(settings, "KINLINK_PRIOR_OUTSIDE_SHARE", 0.01))
    if not 0.0 < share < 1.0:
        raise ValueError(f"KINLINK_PRIOR_OUTSIDE_SHARE must lie strictly between 0 and 1, not {share}")
    return share


def root_person_id(person: Person) -> int:
    """The record a person was merged into (followed to the end), else the person's own id."""
    seen: set[int] = set()
    current = person
    while current.merged_into_id is not None and current.pk not in seen:
        seen.add(current.pk)
        current = current.merged_into  # type: ignore[assignment]
    return int(current.pk)


def conflict_of(comparison: Comparison | None, decision: ComparisonDecision | None) -> dict[str, Any]:
    """What of the non-DNA comparison excludes the person: the fields that exclude, and a caseworker's
    remembered exclusion with its reason; empty when nothing excludes."""
    fields = [f.field for f in comparison.fields if f.outcome == EXCLUSION] if comparison else []
    out: dict[str, Any] = {}
    if fields:
        out["fields"] = fields
    if decision is not None and decision.decision == ComparisonDecision.Decision.EXCLUDED:
        out["caseworker"] = decision.reason
    return out


@dataclass
class _RemainsPriors:
    prior_of_event: ContextPrior | None  # the event's frame (place filled per candidate), None: no context
    members: set[int] = field(default_factory=set)
    conflicts: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CandidatePrior:
    prior: float
    basis: str
    conflict: dict[str, Any]


class PriorBook:
    """The priors of one screening run: ``screened`` maps each screened family (its id) to the person it
    looks for (the merge root's id). One context per remains record, computed once."""

    def __init__(self, screened: dict[str, int]) -> None:
        self.screened = screened
        self.share = outside_share()
        self._remains: dict[int, _RemainsPriors] = {}
        self._others: dict[int, int] = {}

    @property
    def families(self) -> int:
        return len(self.screened)

    def _via(self, remains: Remains, event: Event) -> tuple[str, str]:
        """What ties the remains to the event, the most telling first: the site they were recovered from
        (recovery copies the site's event onto the remains), the batch they came in, their own record."""
        if remains.site_id and remains.site is not None and remains.site.event_id == event.pk:
            return "site", remains.site.name
        batch = remains.batch
        if batch is not None and batch.event_id == event.pk:
            return "batch", batch.code
        return "remains", remains.code

    def _context(self, remains: Remains) -> _RemainsPriors:
        known = self._remains.get(remains.pk)
        if known is not None:
            return known
        event = context_event(remains)
        members = (
            set(open_missing_persons().filter(events=event).values_list("pk", flat=True)) if event else set()
        )
        if event is None or not members:
            result = _RemainsPriors(None)
        else:
            ranked, excluded = candidates(remains)  # the event's missing persons, as the field page shows
            conflicts = {c.person.pk: conflict_of(c.comparison, c.decision) for c in excluded}
            members |= {c.person.pk for c in (*ranked, *excluded)}
            others = self._others.get(event.pk)
            if others is None:
                outside_registry = open_missing_persons().exclude(pk__in=members).count()
                outside_screened = sum(1 for pid in self.screened.values() if pid not in members)
                others = self._others[event.pk] = max(1, outside_registry, outside_screened)
            via, via_name = self._via(remains, event)
            frame = ContextPrior(  # the event's frame; each candidate's place is set in prior()
                OUTSIDE,
                int(event.pk),
                event.name,
                via,
                via_name,
                len(members),
                sum(1 for c in conflicts.values() if c),
                self.share,
                others,
            )
            result = _RemainsPriors(frame, members, conflicts)
        self._remains[remains.pk] = result
        return result

    def prior(self, remains: Remains | None, family: str) -> CandidatePrior:
        """The prior that ``remains`` are the person of screened family ``family``, its basis, and the
        conflict of that person with the non-DNA comparison of the remains."""
        person_id = self.screened[family]
        context = self._context(remains) if remains is not None else _RemainsPriors(None)
        frame = context.prior_of_event
        if frame is None:
            conflict = _pair_conflict(remains, person_id) if remains is not None else {}
            n = self.families
            return CandidatePrior(1.0 / n, screened_basis(n), conflict)
        if person_id not in context.members:
            place = OUTSIDE
            conflict = _pair_conflict(remains, person_id) if remains is not None else {}
        else:
            conflict = context.conflicts.get(person_id, {})
            place = EXCLUDED if conflict else IN_EVENT
        stated = ContextPrior(place, *_frame_fields(frame))
        return CandidatePrior(stated.prior, context_basis(stated), conflict)


def _frame_fields(frame: ContextPrior) -> tuple[Any, ...]:
    return (
        frame.event_id,
        frame.event_name,
        frame.via,
        frame.via_name,
        frame.members,
        frame.excluded,
        frame.share,
        frame.others,
    )


def _pair_conflict(remains: Remains, person_id: int) -> dict[str, Any]:
    """The non-DNA conflict of one (remains, person) pair outside an event's list (one comparison)."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return {}
    decision = (
        ComparisonDecision.objects.filter(remains=remains, person=person).order_by("-created", "-pk").first()
    )
    return conflict_of(compare(antemortem_record(person), postmortem_record(remains)), decision)
