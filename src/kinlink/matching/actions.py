"""The actions of record linkage: one function per transition, the only write path of this app.

- :func:`link_persons` links new persons against the registry (every new tracing request and every
  imported list reaches it through the registry's ``on_person_added`` hook and the worker task
  :func:`kinlink.matching.tasks.link_new_persons`); :func:`link_source` re-links one imported list.
- :func:`accept_link` merges the pair of a candidate link, :func:`reject_link` rejects it.
- :func:`merge_persons` merges one person into another and records every moved row in a
  :class:`PersonMerge`; :func:`unmerge_persons` moves exactly those rows back.

Claims are never moved or changed (they are append-only): they stay on the merged record, and the
registry reads a person's claims across its merge group. Duplicate name variants are not deleted:
they stay on the merged record (``PersonMerge.kept_back``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, models, transaction
from django.db.models import DateTimeField, QuerySet
from django.utils import timezone

from kinlink.lib.faults import pause_at
from kinlink.matching.models import CandidateLink, LinkageModel, PendingLinkage, PersonMerge
from kinlink.matching.services import (
    LinkDecisionError,
    LinkRunResult,
    MergeError,
    link_persons_against_registry,
    link_source_against_registry,
    pair_fingerprint,
)
from kinlink.registry import actions as registry_actions
from kinlink.registry.models import Claim, NameVariant, Person
from kinlink.registry.services import audit

__all__ = [
    "LinkDecisionError",
    "MergeError",
    "accept_link",
    "link_persons",
    "link_source",
    "merge_persons",
    "reject_link",
    "unmerge_persons",
]

Actor = Any  # AbstractBaseUser | AnonymousUser | None

#: Person fields copied onto the kept person when it has them blank and the merged one does not.
FILLABLE = ("birth_date", "birth_place", "service_number", "unit", "rank", "military_branch", "region")
#: Relations a merge never moves: claims (append-only) and this app's own records of links and merges.
_NOT_MOVED: tuple[type[models.Model], ...] = (Claim, CandidateLink, PersonMerge, LinkageModel)


def _label(actor: Actor, label: str) -> str:
    if label:
        return label
    return "" if getattr(actor, "is_authenticated", False) else "system"


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# --- linking -------------------------------------------------------------------------------------------


def link_persons(person_ids: list[int], reason: str) -> LinkRunResult:
    """Link new persons (only these) against the registry and queue candidate links for review.

    Runs in the worker (:func:`kinlink.matching.tasks.link_new_persons`), never in a web request."""
    return link_persons_against_registry(list(person_ids), reason)


def wait_for_linkage(person_ids: Iterable[int] | QuerySet[Any, int], reason: str) -> int:
    """Put persons in the linkage queue (each once); returns how many were not waiting already.

    A query of person ids (an imported list's, ``registry.actions.PersonIds``) is queued in one
    ``INSERT ... SELECT`` statement: 10^5 persons never pass through Python."""
    if isinstance(person_ids, QuerySet):
        return _wait_for_linkage_query(person_ids, reason)
    rows = [PendingLinkage(person_id=int(pk), reason=reason[:300]) for pk in person_ids]
    with transaction.atomic():
        before = PendingLinkage.objects.count()
        PendingLinkage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=5000)
        return PendingLinkage.objects.count() - before


def _wait_for_linkage_query(person_ids: QuerySet[Any, int], reason: str) -> int:
    subquery, params = person_ids.order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    fields = [PendingLinkage._meta.get_field(name) for name in ("person_id", "reason", "queued_at")]
    person, reason_field, queued_at = (quote(str(getattr(f, "column", f.name))) for f in fields)
    now = DateTimeField().get_db_prep_value(timezone.now(), connection)
    # ``WHERE true``: without it SQLite would read ``ON CONFLICT`` after ``FROM (...)`` as part of a join.
    sql = (
        f"INSERT INTO {quote(PendingLinkage._meta.db_table)} ({person}, {reason_field}, {queued_at}) "
        f"SELECT waiting.*, %s, %s FROM ({subquery}) AS waiting WHERE true ON CONFLICT ({person}) DO NOTHING"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [reason[:300], now, *params])
        return max(cursor.rowcount, 0)


def link_waiting_persons() -> LinkRunResult | None:
    """Link every person in the linkage queue in one run (None when nobody is waiting).

    The queue is emptied in the same transaction as the links are stored: a run that fails leaves its
    persons waiting for the next one."""
    with transaction.atomic():
        waiting = list(PendingLinkage.objects.select_for_update().values_list("pk", "reason"))
        if not waiting:
            return None
        reasons = sorted({r for _, r in waiting if r})
        reason = reasons[0] if len(reasons) == 1 else f"{len(waiting)} new persons ({len(reasons)} sources)"
        pause_at("linkage")  # tests kill the worker here: the queue read and locked, nothing committed
        last = max(pk for pk, _ in waiting)
        # The persons as a subquery, not as 10^5 parameters; a person queued since is linked too
        # (and stays queued: linking it again finds its links already proposed).
        persons = Person.objects.filter(
            pk__in=PendingLinkage.objects.filter(pk__lte=last).values("person_id")
        )
        result = link_persons_against_registry(persons, reason, among_themselves=True)
        done = sorted(pk for pk, _ in waiting)
        for start in range(0, len(done), 5000):
            PendingLinkage.objects.filter(pk__in=done[start : start + 5000]).delete()
    return result


def link_source(source_id: int, threshold: float | None = None) -> LinkRunResult:
    """Link one imported list's persons against the rest of the registry (``kinlink link-registry``)."""
    return link_source_against_registry(source_id, threshold)


# --- review --------------------------------------------------------------------------------------------


def _decidable(link: CandidateLink) -> CandidateLink:
    """The link, locked, when it is open for a decision: proposed, or its merge undone."""
    locked = CandidateLink.objects.select_for_update().select_related("person_a", "person_b").get(pk=link.pk)
    if locked.status not in (CandidateLink.Status.PROPOSED, CandidateLink.Status.UNDONE):
        raise LinkDecisionError(f"link {link.pk} was already {locked.status}")
    return locked


def accept_link(actor: Actor, link: CandidateLink, reason: str = "") -> PersonMerge:
    """Accept a link: merge the newer person (``person_b``) into the older one (``person_a``)."""
    with transaction.atomic():
        link = _decidable(link)
        merge = merge_persons(actor, link.person_a, link.person_b, reason=reason, link=link)
        link.status = CandidateLink.Status.ACCEPTED
        link.decided_by, link.decided_at, link.reason = _user(actor), timezone.now(), reason
        link.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        audit.record(actor, "accept_link", link, label=_label(actor, ""), reason=reason, merge=str(merge.pk))
    return merge


def reject_link(actor: Actor, link: CandidateLink, reason: str) -> CandidateLink:
    """Reject a link; it stays rejected until new data changes the pair's fingerprint."""
    with transaction.atomic():
        link = _decidable(link)
        link.status = CandidateLink.Status.REJECTED
        link.decided_by, link.decided_at, link.reason = _user(actor), timezone.now(), reason
        link.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        audit.record(actor, "reject_link", link, label=_label(actor, ""), reason=reason)
    return link


# --- merging -------------------------------------------------------------------------------------------


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


def _relations() -> dict[str, Any]:
    """Every relation to Person a merge moves, by its accessor on Person."""
    out: dict[str, Any] = {}
    for relation in Person._meta.related_objects:
        if relation.related_model in _NOT_MOVED:
            continue
        out[relation.get_accessor_name() or relation.name] = relation
    return out


def merge_persons(
    actor: Actor,
    keep: Person,
    other: Person,
    *,
    reason: str = "",
    link: CandidateLink | None = None,
    label: str = "",
) -> PersonMerge:
    """Make ``other`` a merged record of ``keep``: what pointed to ``other`` now points to ``keep``.

    Every relation to Person is found through ``Person._meta.related_objects``, so apps added later
    are covered, except claims (append-only; they stay on ``other``). Name variants identical to one of
    ``keep`` stay on ``other``; the moved ones stop being primary. Blank details of ``keep`` are filled
    from ``other``. Every moved row is recorded in the returned :class:`PersonMerge`, so that
    :func:`unmerge_persons` can undo it exactly. The kept person's fate is recomputed; one audit entry.
    """
    if keep.pk == other.pk:
        raise MergeError("a person cannot be merged into itself")
    with transaction.atomic():
        keep = Person.objects.select_for_update().get(pk=keep.pk)
        other = Person.objects.select_for_update().get(pk=other.pk)
        if keep.merged_into_id is not None or other.merged_into_id is not None:
            raise MergeError(f"person {keep.pk if keep.merged_into_id else other.pk} is already merged")
        kept_names = {_variant_key(v) for v in keep.names.all()}
        duplicates = sorted(v.pk for v in other.names.all() if _variant_key(v) in kept_names)
        unprimary = sorted(
            NameVariant.objects.filter(person=other, is_primary=True)
            .exclude(pk__in=duplicates)
            .values_list("pk", flat=True)
        )
        NameVariant.objects.filter(pk__in=unprimary).update(is_primary=False)
        moved: dict[str, list[Any]] = {}
        shared: dict[str, list[Any]] = {}
        for accessor, relation in _relations().items():
            related: type[models.Model] = relation.related_model
            if relation.many_to_many:
                theirs = list(getattr(other, accessor).values_list("pk", flat=True))
                if not theirs:
                    continue
                mine = set(getattr(keep, accessor).values_list("pk", flat=True))
                to_move = [pk for pk in theirs if pk not in mine]
                if to_move:
                    getattr(keep, accessor).add(*to_move)
                    moved[accessor] = to_move
                if len(to_move) < len(theirs):
                    shared[accessor] = [pk for pk in theirs if pk in mine]
                getattr(other, accessor).remove(*theirs)
                continue
            field_name = relation.field.name
            rows = related._default_manager.filter(**{field_name: other})
            if accessor == "names":
                rows = rows.exclude(pk__in=duplicates)
            pks = sorted(rows.values_list("pk", flat=True))
            if not pks:
                continue
            if relation.one_to_one and related._default_manager.filter(**{field_name: keep}).exists():
                raise MergeError(f"both persons have a {related._meta.verbose_name}")
            related._default_manager.filter(pk__in=pks).update(**{field_name: keep})
            moved[accessor] = pks
        filled: dict[str, str] = {}
        for name in FILLABLE:
            if not getattr(keep, name) and getattr(other, name):
                setattr(keep, name, getattr(other, name))
                filled[name] = getattr(other, name)
        if filled:
            keep.save(update_fields=list(filled))
        other.merged_into = keep
        other.save(update_fields=["merged_into"])
        merge = PersonMerge.objects.create(
            keep=keep,
            merged=other,
            link=link,
            by=_user(actor),
            by_label=_label(actor, label),
            reason=reason,
            moved=moved,
            shared=shared,
            unprimary=unprimary,
            kept_back={"names": duplicates} if duplicates else {},
            filled=filled,
        )
        audit.record(
            actor,
            "merge_person",
            keep,
            label=_label(actor, label),
            merge=str(merge.pk),
            merged=str(other.pk),
            merged_uid=str(other.uid),
            moved={accessor: len(pks) for accessor, pks in moved.items()},
            duplicate_names_kept_back=len(duplicates),
            filled=sorted(filled),
            reason=reason,
        )
        registry_actions.recompute_fate(keep)
    return merge


def unmerge_persons(actor: Actor, merge: PersonMerge, reason: str, *, label: str = "") -> Person:
    """Undo a merge: move back exactly the recorded rows, restore the primary names and the filled
    details, clear ``merged_into``, and mark the merge undone (it stays on record with who undid it,
    when and why). The merge's candidate link becomes "undone": open for a new decision, and not
    proposed again by linkage unless new data changes the pair. Both fates are recomputed. Returns the
    person that was merged, separate again."""
    reason = reason.strip()
    if not reason:
        raise MergeError("say why the merge is undone")
    with transaction.atomic():
        merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at is not None:
            raise MergeError(f"merge {merge.pk} was already undone")
        keep = Person.objects.select_for_update().get(pk=merge.keep_id)
        other = Person.objects.select_for_update().get(pk=merge.merged_id)
        if keep.merged_into_id is not None:
            later = PersonMerge.objects.filter(merged=keep, undone_at__isnull=True).first()
            raise MergeError(
                f"person {keep.pk} was merged into {keep.merged_into_id} later; "
                f"undo merge {later.pk if later else '?'} first"
            )
        if other.merged_into_id != keep.pk:
            raise MergeError(f"person {other.pk} is no longer merged into {keep.pk}")
        relations = _relations()
        moved_back: dict[str, int] = {}
        for accessor, pks in merge.moved.items():
            relation = relations.get(accessor)
            if relation is None:
                raise MergeError(f"merge {merge.pk} moved '{accessor}', which no longer points to a person")
            if relation.many_to_many:
                getattr(keep, accessor).remove(*pks)
                getattr(other, accessor).add(*pks)
                moved_back[accessor] = len(pks)
                continue
            field_name = relation.field.name
            moved_back[accessor] = relation.related_model._default_manager.filter(
                pk__in=pks, **{field_name: keep}
            ).update(**{field_name: other})
        for accessor, pks in merge.shared.items():
            getattr(other, accessor).add(*pks)
        NameVariant.objects.filter(pk__in=merge.unprimary, person=other).update(is_primary=True)
        restored = [name for name, value in merge.filled.items() if getattr(keep, name) == value]
        for name in restored:
            setattr(keep, name, "")
        if restored:
            keep.save(update_fields=restored)
        other.merged_into = None
        other.save(update_fields=["merged_into"])
        merge.undone_at, merge.undone_by = timezone.now(), _user(actor)
        merge.undone_by_label, merge.undo_reason = _label(actor, label), reason
        merge.save(update_fields=["undone_at", "undone_by", "undone_by_label", "undo_reason"])
        if merge.link_id is not None:
            link = CandidateLink.objects.select_for_update().get(pk=merge.link_id)
            link.status = CandidateLink.Status.UNDONE
            link.decided_by, link.decided_at, link.reason = _user(actor), merge.undone_at, reason
            link.fingerprint = pair_fingerprint(link.person_a, link.person_b)
            link.save(update_fields=["status", "decided_by", "decided_at", "reason", "fingerprint"])
        audit.record(
            actor,
            "unmerge_person",
            keep,
            label=_label(actor, label),
            merge=str(merge.pk),
            merged=str(other.pk),
            moved_back=moved_back,
            restored=restored,
            reason=reason,
        )
        registry_actions.recompute_fate(keep)
        registry_actions.recompute_fate(other)
    return other
