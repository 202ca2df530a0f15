"""Linking imported lists against the registry, and acting on a caseworker's decision.

``link_source_against_registry`` turns a list's records and every other live (not merged) person
into person-list rows, asks :func:`kinlink.linkage.model.candidate_links` for scored pairs (Splink's
own blocking rules keep the comparison count manageable on a large registry), and stores the pairs at
or above ``settings.KINLINK_LINK_REVIEW_THRESHOLD`` as :class:`CandidateLink` for review.
``merge_persons`` moves everything that points to one person onto another in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kinlink.matching.models import CandidateLink
from kinlink.registry.models import Claim, ListRecord, NameVariant, Person
from kinlink.registry.services import audit
from kinlink.registry.services.access import persons_visible_to

#: Person fields copied onto the kept person when it has them blank and the merged one does not.
SMALL_REGISTRY = 50_000
_FILLABLE = ("birth_date", "birth_place", "service_number", "unit", "rank", "military_branch", "region")


class MergeError(ValueError):
    """Two persons cannot be merged (the same person, or one already merged)."""


class LinkDecisionError(ValueError):
    """A link that is no longer open for a decision."""


@dataclass(slots=True)
class LinkRunResult:
    """What one linkage run of a list did."""

    source_id: int
    new_records: int = 0
    existing_persons: int = 0
    proposed: int = 0
    reproposed: int = 0
    already_proposed: int = 0
    still_rejected: int = 0


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


def person_rows(persons: QuerySet[Person], source: str) -> list[dict[str, str]]:
    """One person-list row per person with a name: its primary name variant and its own details.

    ``record_id`` is the person's id.
    """
    claims = _first_claims(persons)
    rows = []
    for person in persons.prefetch_related("names").order_by("pk"):
        name = _primary(list(person.names.all()))
        if name is None or not name.display():
            continue
        claim = claims.get(person.pk)
        rows.append(
            {
                "record_id": str(person.pk),
                "source": source,
                "full_name": name.full_name,
                "surname": name.surname,
                "given_name": name.given_name,
                "patronymic": name.patronymic,
                "birth_date": person.birth_date,
                "birth_place": person.birth_place,
                "unit": person.unit,
                "rank": person.rank,
                "event_date": claim.date if claim else "",
                "event_place": claim.place if claim else "",
            }
        )
    return rows


def _list_rows(records: Iterable[ListRecord], source: str) -> list[dict[str, str]]:
    """The list's rows as the source wrote them, one per (live) person, keyed by the person's id."""
    rows: dict[int, dict[str, str]] = {}
    for record in records:
        if record.person_id in rows:
            continue
        row = {key: str(value or "") for key, value in dict(record.row).items()}
        row["record_id"] = str(record.person_id)
        row["source"] = source
        rows[record.person_id] = row
    return list(rows.values())


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


def link_source_against_registry(source_id: int, threshold: float | None = None) -> LinkRunResult:
    """Propose candidate links between one list's persons and every other live person.

    Pairs already proposed are left as they are; a rejected pair is proposed again only when its
    fingerprint changed (one of the persons gained a name variant, a list row or a detail).
    """
    from kinlink.linkage.model import LinkageOptions, candidate_links

    threshold = settings.KINLINK_LINK_REVIEW_THRESHOLD if threshold is None else threshold
    result = LinkRunResult(source_id)
    records = ListRecord.objects.filter(source_id=source_id, person__merged_into__isnull=True).order_by("pk")
    new_rows = _list_rows(records, "new")
    listed = ListRecord.objects.filter(source_id=source_id).values("person_id")
    existing = Person.objects.filter(merged_into__isnull=True).exclude(pk__in=listed)
    existing_rows = person_rows(existing, "registry")
    result.new_records, result.existing_persons = len(new_rows), len(existing_rows)
    if not new_rows or not existing_rows:
        return result
    # Below ~50,000 records, Splink's probe phase for u sampling costs more than it saves.
    small = len(new_rows) + len(existing_rows) < SMALL_REGISTRY
    options = LinkageOptions(u_num_chunks=1 if small else 10)
    pairs = candidate_links(
        new_rows_frame(new_rows), new_rows_frame(existing_rows), min_probability=threshold, options=options
    )
    persons = Person.objects.in_bulk(
        {int(i) for i in pairs["new_record_id"]} | {int(i) for i in pairs["person_record_id"]}
    )
    for new_id, person_id, probability, weight, explanation in pairs.itertuples(index=False):
        a, b = sorted((persons[int(new_id)], persons[int(person_id)]), key=lambda p: p.pk)
        _propose(a, b, float(probability), float(weight), explanation, result)
    return result


def new_rows_frame(rows: list[dict[str, str]]) -> Any:
    """Rows as a pandas DataFrame in the person-list column order."""
    import pandas as pd

    from kinlink.lib.personlist import PERSON_LIST_COLUMNS

    return pd.DataFrame(rows, columns=list(PERSON_LIST_COLUMNS)).fillna("")


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
    elif link.status == CandidateLink.Status.REJECTED and link.fingerprint == fingerprint:
        result.still_rejected += 1
    elif link.status == CandidateLink.Status.REJECTED:
        audit.record(
            None,
            "repropose_link",
            link,
            label="linkage",
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


def _open(link: CandidateLink) -> CandidateLink:
    locked = CandidateLink.objects.select_for_update().select_related("person_a", "person_b").get(pk=link.pk)
    if locked.status != CandidateLink.Status.PROPOSED:
        raise LinkDecisionError(f"link {link.pk} was already {locked.status}")
    return locked


def accept_link(link: CandidateLink, user: AbstractBaseUser, reason: str = "") -> Person:
    """Accept a link: merge the newer person into the older one. Returns the kept person."""
    with transaction.atomic():
        link = _open(link)
        keep = merge_persons(link.person_a, link.person_b, user)
        link.status = CandidateLink.Status.ACCEPTED
        link.decided_by_id, link.decided_at, link.reason = user.pk, timezone.now(), reason
        link.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        audit.record(user, "accept_link", link, reason=reason)
    return keep


def reject_link(link: CandidateLink, user: AbstractBaseUser, reason: str) -> None:
    """Reject a link; it stays rejected until new data changes the pair's fingerprint."""
    with transaction.atomic():
        link = _open(link)
        link.status = CandidateLink.Status.REJECTED
        link.decided_by_id, link.decided_at, link.reason = user.pk, timezone.now(), reason
        link.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        audit.record(user, "reject_link", link, reason=reason)


# --- merging -----------------------------------------------------------------------------------------


def _variant_key(variant: NameVariant) -> tuple[str, ...]:
    return (
        variant.full_name,
        variant.surname,
        variant.given_name,
        variant.patronymic,
        variant.script,
        variant.language,
        str(variant.source_id or ""),
    )


def merge_persons(keep: Person, other: Person, user: AbstractBaseUser | AnonymousUser | None) -> Person:
    """Make ``other`` a merged record of ``keep``: all that pointed to ``other`` now points to ``keep``.

    Every relation to Person is found through ``Person._meta.related_objects``, so apps added later
    are covered. Name variants are all kept (only identical ones, same source included, are
    dropped) and the moved ones stop being primary. Blank details of ``keep`` are filled from
    ``other``. Candidate links stay on the merged record as history. One audit entry is written.
    """
    if keep.pk == other.pk:
        raise MergeError("a person cannot be merged into itself")
    with transaction.atomic():
        keep = Person.objects.select_for_update().get(pk=keep.pk)
        other = Person.objects.select_for_update().get(pk=other.pk)
        if keep.merged_into_id is not None or other.merged_into_id is not None:
            raise MergeError(f"person {keep.pk if keep.merged_into_id else other.pk} is already merged")
        moved: dict[str, int] = {}
        kept_names = {_variant_key(v) for v in keep.names.all()}
        duplicates = [v.pk for v in other.names.all() if _variant_key(v) in kept_names]
        NameVariant.objects.filter(pk__in=duplicates).delete()
        NameVariant.objects.filter(person=other).update(is_primary=False)
        for relation in Person._meta.related_objects:
            related: type[models.Model] = relation.related_model  # type: ignore[assignment]
            if related is CandidateLink:
                continue
            accessor = relation.get_accessor_name() or relation.name
            if relation.many_to_many:
                manager = getattr(other, accessor)
                objects = list(manager.all())
                if objects:
                    getattr(keep, accessor).add(*objects)
                    manager.clear()
                    moved[accessor] = len(objects)
            elif relation.one_to_one:
                field_name = relation.field.name
                if related._default_manager.filter(**{field_name: other}).exists():
                    if related._default_manager.filter(**{field_name: keep}).exists():
                        raise MergeError(f"both persons have a {related._meta.verbose_name}")
                    related._default_manager.filter(**{field_name: other}).update(**{field_name: keep})
                    moved[accessor] = 1
            else:
                field_name = relation.field.name
                count = related._default_manager.filter(**{field_name: other}).update(**{field_name: keep})
                if count:
                    moved[accessor] = count
        filled = []
        for name in _FILLABLE:
            if not getattr(keep, name) and getattr(other, name):
                setattr(keep, name, getattr(other, name))
                filled.append(name)
        if filled:
            keep.save(update_fields=filled)
        other.merged_into = keep
        other.save(update_fields=["merged_into"])
        audit.record(
            user,
            "merge_person",
            keep,
            merged=str(other.pk),
            merged_uid=str(other.uid),
            moved=moved,
            duplicate_names_dropped=len(duplicates),
            filled=filled,
        )
    return keep
