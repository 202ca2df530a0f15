"""Linking new persons against the registry, and the queries of the review pages.

:func:`link_persons_against_registry` turns the new persons and every other live (not merged) person
into person-list rows and asks :func:`kinlink.linkage.model.link_new_records` for scored pairs of a
new person and an existing one (only those: the run is incremental, not all against all). Pairs at or
above ``settings.KINLINK_LINK_REVIEW_THRESHOLD`` become :class:`CandidateLink` for review.

Which model scores the pairs (docs/methods/linkage.md, "Which model scores a run"):

- a small input (fewer than ``KINLINK_LINK_RETRAIN_MIN_NEW`` new persons: one tracing request, a short
  list) is scored with the registry's latest trained model (:class:`LinkageModel`), without training;
- otherwise, or when no trained model exists, the model is trained on the run when the registry has at
  least ``KINLINK_LINK_TRAIN_MIN_RECORDS`` records, and kept for the next small inputs;
- a registry too small to train on is scored with the documented default model.

The transitions (accept, reject, merge, unmerge) are in :mod:`kinlink.matching.actions`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from kinlink.matching.models import CandidateLink, LinkageModel
from kinlink.registry.models import Claim, ListRecord, NameVariant, Person
from kinlink.registry.services import audit
from kinlink.registry.services.access import persons_visible_to

logger = logging.getLogger(__name__)

#: Below this many records (new and registry together), Splink's probe phase for u sampling costs more
#: than it saves.
SMALL_REGISTRY = 50_000
#: Values a spreadsheet or a careless export writes for "nothing"; linkage reads them as empty.
_EMPTY_WORDS = frozenset({"nan", "none", "null", "nat", "n/a", "-", "—"})


def train_min_records() -> int:
    """Fewest records (new and registry together) a model is trained on; below, a stored or the
    default model scores the run."""
    return int(settings.KINLINK_LINK_TRAIN_MIN_RECORDS)


def retrain_min_new() -> int:
    """Fewest new persons for which a run trains its own model even though a trained one is stored."""
    return int(settings.KINLINK_LINK_RETRAIN_MIN_NEW)


class MergeError(ValueError):
    """Two persons cannot be merged (the same person, or one already merged), or a merge cannot be
    undone."""


class LinkDecisionError(ValueError):
    """A link that is no longer open for a decision."""


@dataclass(slots=True)
class LinkRunResult:
    """What one linkage run did."""

    source_id: int | None = None
    reason: str = ""
    new_records: int = 0
    existing_persons: int = 0
    proposed: int = 0
    reproposed: int = 0
    already_proposed: int = 0
    still_rejected: int = 0
    model: str = ""  # which model scored the run: "stored model 3", "trained ... (model 4)", "default model"
    notes: list[str] = field(default_factory=list)


# --- person-list rows from the registry ------------------------------------------------------------


def _primary(names: list[NameVariant]) -> NameVariant | None:
    return next((n for n in names if n.is_primary), names[0] if names else None)


def _first_claims(persons: QuerySet[Person]) -> dict[int, Claim]:
    """Each person's earliest live claim that gives a date or a place (its event date and place).

    ``persons`` goes into the query as a subquery, so any number of persons fits one statement.
    """
    first: dict[int, Claim] = {}
    claims = (
        Claim.objects.filter(person_id__in=persons.values("pk"), retraction__isnull=True)
        .filter(~Q(date="") | ~Q(place=""))
        .order_by("date", "created", "pk")
        .only("person_id", "date", "place")
    )
    for claim in claims.iterator(chunk_size=5000):
        first.setdefault(claim.person_id, claim)
    return first


def _text(value: object) -> str:
    """A registry value as linkage reads it: stripped, and empty for "nan", "None", "null" and the like."""
    text = "" if value is None else str(value).strip()
    return "" if text.lower() in _EMPTY_WORDS else text


def _date(value: object) -> str:
    """A partial date linkage can compare (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, or ``DD.MM.YYYY``
    turned round), or empty for anything else: a registry value linkage cannot read is left out of the
    comparison rather than stopping the run."""
    from kinlink.linkage.model import LinkageInputError, normalise_date

    try:
        text = normalise_date(_text(value))
    except LinkageInputError:
        return ""
    try:
        if len(text) == 10:
            dt.date.fromisoformat(text)
        elif len(text) == 7 and not 1 <= int(text[5:7]) <= 12:
            return ""
    except ValueError:
        return ""
    return text


def person_rows(persons: QuerySet[Person], source: str) -> list[dict[str, str]]:
    """One person-list row per person with a name: its primary name variant and its own details.

    ``record_id`` is the person's id. Values linkage cannot read (a date that is no date, "nan") are
    left empty; a person without any name is left out.
    """
    claims = _first_claims(persons)
    rows = []
    for person in persons.prefetch_related("names").order_by("pk"):
        name = _primary(list(person.names.all()))
        if name is None:
            continue
        row = {
            "record_id": str(person.pk),
            "source": source,
            "full_name": _text(name.full_name),
            "surname": _text(name.surname),
            "given_name": _text(name.given_name),
            "patronymic": _text(name.patronymic),
            "birth_date": _date(person.birth_date),
            "birth_place": _text(person.birth_place),
            "unit": _text(person.unit),
            "rank": _text(person.rank),
            "event_date": "",
            "event_place": "",
        }
        if not (row["full_name"] or row["surname"] or row["given_name"]):
            continue
        claim = claims.get(person.pk)
        if claim is not None:
            row["event_date"], row["event_place"] = _date(claim.date), _text(claim.place)
        rows.append(row)
    return rows


def person_fingerprint(person: Person) -> str:
    """SHA-256 of what linkage compares for one person: its name variants, list rows and details."""
    names = sorted(
        json.dumps([n.full_name, n.surname, n.given_name, n.patronymic], ensure_ascii=False)
        for n in person.names.all()
    )
    rows = sorted(ListRecord.objects.filter(person=person).values_list("row_sha256", flat=True))
    details = [person.birth_date, person.birth_place, person.unit, person.rank]
    text = json.dumps([names, rows, details], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def pair_fingerprint(a: Person, b: Person) -> str:
    first, second = sorted((a, b), key=lambda p: p.pk)
    text = person_fingerprint(first) + ":" + person_fingerprint(second)
    return hashlib.sha256(text.encode()).hexdigest()


# --- linking -----------------------------------------------------------------------------------------


def link_persons_against_registry(
    person_ids: list[int], reason: str = "", threshold: float | None = None, *, among_themselves: bool = False
) -> LinkRunResult:
    """Propose candidate links between the given (new) persons and every other live person
    (``among_themselves``: and between the new persons too, as when several requests waited together).

    Merged persons among ``person_ids`` are left out (their kept person speaks for them). Pairs already
    proposed are left as they are; a rejected pair, or one whose merge was undone, is proposed again
    only when its fingerprint changed (one of the persons gained a name variant, a list row or a
    detail).
    """
    threshold = settings.KINLINK_LINK_REVIEW_THRESHOLD if threshold is None else threshold
    result = LinkRunResult(reason=reason)
    ids = sorted({int(i) for i in person_ids})
    new = Person.objects.filter(pk__in=ids, merged_into__isnull=True)
    new_rows = person_rows(new, "new")
    existing = Person.objects.filter(merged_into__isnull=True)
    if not among_themselves:
        existing = existing.exclude(pk__in=ids)
    existing_rows = person_rows(existing, "registry")
    result.new_records, result.existing_persons = len(new_rows), len(existing_rows)
    if not new_rows or not existing_rows:
        return result
    pairs = _scored_pairs(new_rows, existing_rows, threshold, result)
    if pairs.empty:
        return result
    persons = Person.objects.in_bulk(
        {int(i) for i in pairs["new_record_id"]} | {int(i) for i in pairs["person_record_id"]}
    )
    for new_id, person_id, probability, weight, explanation in pairs.itertuples(index=False):
        if int(new_id) == int(person_id):
            continue  # a waiting person compared with itself
        a, b = sorted((persons[int(new_id)], persons[int(person_id)]), key=lambda p: p.pk)
        _propose(a, b, float(probability), float(weight), explanation, result)
    return result


def link_source_against_registry(source_id: int, threshold: float | None = None) -> LinkRunResult:
    """Link one imported list's (live) persons against every other live person."""
    from kinlink.registry.models import Source

    source = Source.objects.filter(pk=source_id).first()
    person_ids = list(
        ListRecord.objects.filter(source_id=source_id).values_list("person_id", flat=True).distinct()
    )
    name = source.name if source is not None else "?"
    result = link_persons_against_registry(person_ids, f"list {name} (source {source_id})", threshold)
    result.source_id = source_id
    return result


def _scored_pairs(
    new_rows: list[dict[str, str]],
    existing_rows: list[dict[str, str]],
    threshold: float,
    result: LinkRunResult,
) -> Any:
    """Score the pairs with the model the module docstring describes; a newly trained model is kept."""
    from kinlink.linkage.model import LinkageOptions, default_model, link_new_records

    total = len(new_rows) + len(existing_rows)
    options = LinkageOptions(
        u_num_chunks=1 if total < SMALL_REGISTRY else 10, term_frequencies=total >= train_min_records()
    )
    stored = LinkageModel.objects.order_by("-created", "-pk").first()
    model: dict[str, Any] | None
    if stored is not None and (len(new_rows) < retrain_min_new() or total < train_min_records()):
        model, result.model = stored.parameters, f"stored model {stored.pk}"
    elif total >= train_min_records():
        model = None
    else:
        model, result.model = default_model(), "default model"
    links = link_new_records(
        new_rows_frame(new_rows),
        new_rows_frame(existing_rows),
        min_probability=threshold,
        options=options,
        model=model,
    )
    result.notes = list(links.notes)
    if model is None:
        if links.trained:
            kept = LinkageModel.objects.create(
                records=total, reason=result.reason[:300], parameters=links.model
            )
            result.model = f"trained on {total} records (model {kept.pk})"
        else:
            result.model = "default model (training gave no usable model)"
    logger.info(
        "linkage %s: %d new against %d persons, %s",
        result.reason,
        len(new_rows),
        len(existing_rows),
        result.model,
    )
    return links.pairs


def new_rows_frame(rows: list[dict[str, str]]) -> Any:
    """Rows as a pandas DataFrame in the person-list column order."""
    import pandas as pd

    from kinlink.lib.personlist import PERSON_LIST_COLUMNS

    return pd.DataFrame(rows, columns=list(PERSON_LIST_COLUMNS)).fillna("")


_CLOSED = (CandidateLink.Status.REJECTED, CandidateLink.Status.UNDONE)


def _propose(
    a: Person, b: Person, probability: float, weight: float, explanation: Any, result: LinkRunResult
) -> None:
    fields = [
        {"field": f.field, "status": f.status, "level": f.level, "match_weight": round(f.match_weight, 4)}
        for f in explanation
    ]
    fingerprint = pair_fingerprint(a, b)
    link = CandidateLink.objects.filter(person_a=a, person_b=b).first()
    if link is None:
        CandidateLink.objects.create(
            person_a=a,
            person_b=b,
            match_probability=probability,
            match_weight=weight,
            explanation=fields,
            fingerprint=fingerprint,
        )
        result.proposed += 1
    elif link.status == CandidateLink.Status.PROPOSED:
        result.already_proposed += 1
    elif link.status in _CLOSED and link.fingerprint == fingerprint:
        result.still_rejected += 1
    elif link.status in _CLOSED:
        audit.record(
            None,
            "repropose_link",
            link,
            label="linkage",
            previous_status=link.status,
            rejected_by=str(link.decided_by_id or ""),
            rejected_at=link.decided_at.isoformat() if link.decided_at else "",
            reason=link.reason,
        )
        link.match_probability, link.match_weight, link.explanation = probability, weight, fields
        link.fingerprint = fingerprint
        link.status = CandidateLink.Status.PROPOSED
        link.decided_by, link.decided_at, link.reason = None, None, ""
        link.save()
        result.reproposed += 1


# --- review ------------------------------------------------------------------------------------------


def links_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[CandidateLink]:
    """Links where the user may see at least one of the two persons."""
    visible = persons_visible_to(user).values("pk")
    return CandidateLink.objects.filter(Q(person_a__in=visible) | Q(person_b__in=visible))


def open_links_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[CandidateLink]:
    """Proposed links between two live persons, strongest first."""
    return links_visible_to(user).filter(
        status=CandidateLink.Status.PROPOSED,
        person_a__merged_into__isnull=True,
        person_b__merged_into__isnull=True,
    )
