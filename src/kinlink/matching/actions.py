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

from collections.abc import Iterable, Sequence
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
    "accept_links",
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


def accept_links(actor: Actor, links: Sequence[CandidateLink], reason: str = "") -> list[PersonMerge]:
    """``accept_link`` for many links at once, in one transaction (a supervisor's review of thousands of
    likely links): each link is accepted and its pair merged as :func:`merge_persons` merges it, with its
    own :class:`PersonMerge` (every moved row recorded, so :func:`unmerge_persons` undoes it exactly) and its
    ``merge_person`` and ``accept_link`` audit entries; the kept persons' fates are recomputed in bulk.

    The merges are made in the links' order: a link whose person an earlier link of the batch merged away
    is refused (``MergeError``), as it would be one by one. Merges of different persons do not depend on
    each other, so they are written together, in rounds where no person appears twice (a few statements
    per round, not a few dozen per link). Atomic: a refused link leaves nothing behind."""
    user = _user(actor)
    name = _label(actor, "")
    with transaction.atomic():
        order = [link.pk for link in links]
        if len(set(order)) != len(order):
            raise LinkDecisionError("a link is in the batch twice")
        locked: dict[int, CandidateLink] = {}
        for start in range(0, len(order), 5000):
            chunk = CandidateLink.objects.select_for_update().filter(pk__in=order[start : start + 5000])
            locked.update((link.pk, link) for link in chunk)
        rounds: list[list[CandidateLink]] = []
        last_round: dict[int, int] = {}
        for pk in order:
            link = locked[pk]
            if link.status not in (CandidateLink.Status.PROPOSED, CandidateLink.Status.UNDONE):
                raise LinkDecisionError(f"link {pk} was already {link.status}")
            a, b = link.person_a_id, link.person_b_id
            level = max(last_round.get(a, -1), last_round.get(b, -1)) + 1
            last_round[a] = last_round[b] = level
            if level == len(rounds):
                rounds.append([])
            rounds[level].append(link)
        merges: dict[int, PersonMerge] = {}
        for batch in rounds:
            merges.update(_merge_round(actor, batch, reason, name))
            # each kept person's fate as merge_persons leaves it (a later round may merge it further)
            registry_actions.recompute_fates({link.person_a_id for link in batch})
        now = timezone.now()
        for start in range(0, len(order), 5000):
            CandidateLink.objects.filter(pk__in=order[start : start + 5000]).update(
                status=CandidateLink.Status.ACCEPTED, decided_by=user, decided_at=now, reason=reason
            )
        for link in locked.values():
            link.status, link.decided_by, link.decided_at, link.reason = (
                CandidateLink.Status.ACCEPTED,
                user,
                now,
                reason,
            )
        audit.record_many(
            actor,
            [("accept_link", locked[pk], {"reason": reason, "merge": str(merges[pk].pk)}) for pk in order],
            label=name,
        )
    return [merges[pk] for pk in order]


def _merge_round(actor: Actor, links: list[CandidateLink], reason: str, label: str) -> dict[int, PersonMerge]:
    """Merge the pairs of ``links`` (no person in two of them) as :func:`merge_persons` merges one pair:
    the same moved rows, names kept back, primary names, filled details, records and audit entries.
    Returns the merge of each link (by the link's id). The caller recomputes the fates."""
    pairs = [(link.person_a_id, link.person_b_id) for link in links]
    ids = [pk for pair in pairs for pk in pair]
    persons: dict[int, Person] = {}
    for start in range(0, len(ids), 5000):
        persons.update(
            (p.pk, p) for p in Person.objects.select_for_update().filter(pk__in=ids[start : start + 5000])
        )
    for keep_id, other_id in pairs:
        if keep_id == other_id:
            raise MergeError("a person cannot be merged into itself")
        for pk in (keep_id, other_id):
            if persons[pk].merged_into_id is not None:
                raise MergeError(f"person {pk} is already merged")
    others = [other for _keep, other in pairs]
    keep_of = {other: keep for keep, other in pairs}
    names: dict[int, list[NameVariant]] = {pk: [] for pk in ids}
    for start in range(0, len(ids), 5000):
        for variant in NameVariant.objects.filter(person_id__in=ids[start : start + 5000]):
            names[variant.person_id].append(variant)
    duplicates: dict[int, list[int]] = {}
    unprimary: dict[int, list[int]] = {}
    for keep_id, other_id in pairs:
        kept_names = {_variant_key(v) for v in names[keep_id]}
        duplicates[other_id] = sorted(v.pk for v in names[other_id] if _variant_key(v) in kept_names)
        unprimary[other_id] = sorted(
            v.pk for v in names[other_id] if v.is_primary and _variant_key(v) not in kept_names
        )
    kept_back = {pk for pks in duplicates.values() for pk in pks}
    demoted = sorted(pk for pks in unprimary.values() for pk in pks)
    for start in range(0, len(demoted), 5000):
        NameVariant.objects.filter(pk__in=demoted[start : start + 5000]).update(is_primary=False)
    moved: dict[int, dict[str, list[Any]]] = {other: {} for other in others}
    shared: dict[int, dict[str, list[Any]]] = {other: {} for other in others}
    for accessor, relation in _relations().items():
        related: type[models.Model] = relation.related_model
        if relation.many_to_many:
            _move_many_to_many(relation, pairs, accessor, moved, shared)
            continue
        field = relation.field
        rows: list[tuple[Any, int]] = []
        for start in range(0, len(ids), 5000):
            rows.extend(
                related._default_manager.filter(
                    **{f"{field.attname}__in": ids[start : start + 5000]}
                ).values_list("pk", field.attname)
            )
        having: set[int] = set()
        to_move: list[tuple[Any, int]] = []
        for pk, person_id in sorted(rows, key=lambda row: row[0]):
            having.add(person_id)
            if person_id in keep_of and not (accessor == "names" and pk in kept_back):
                to_move.append((pk, person_id))
        for pk, other_id in to_move:
            moved[other_id].setdefault(accessor, []).append(pk)
        if relation.one_to_one:
            for other_id in {other for _pk, other in to_move}:
                if keep_of[other_id] in having:
                    raise MergeError(f"both persons have a {related._meta.verbose_name}")
        changed = [related(pk=pk, **{field.attname: keep_of[other_id]}) for pk, other_id in to_move]
        related._default_manager.bulk_update(changed, [field.name], batch_size=1000)
    filled: dict[int, dict[str, str]] = {}
    keeps_filled: list[Person] = []
    for keep_id, other_id in pairs:
        keep, other = persons[keep_id], persons[other_id]
        filled[other_id] = {}
        for fillable in FILLABLE:
            if not getattr(keep, fillable) and getattr(other, fillable):
                setattr(keep, fillable, getattr(other, fillable))
                filled[other_id][fillable] = getattr(other, fillable)
        if filled[other_id]:
            keeps_filled.append(keep)
        other.merged_into_id = keep_id
    Person.objects.bulk_update(keeps_filled, list(FILLABLE), batch_size=1000)
    Person.objects.bulk_update([persons[o] for o in others], ["merged_into"], batch_size=1000)
    merges = PersonMerge.objects.bulk_create(
        [
            PersonMerge(
                keep_id=keep_id,
                merged_id=other_id,
                link=link,
                by=_user(actor),
                by_label=label,
                reason=reason,
                moved=moved[other_id],
                shared=shared[other_id],
                unprimary=unprimary[other_id],
                kept_back={"names": duplicates[other_id]} if duplicates[other_id] else {},
                filled=filled[other_id],
            )
            for link, (keep_id, other_id) in zip(links, pairs, strict=True)
        ],
        batch_size=1000,
    )
    audit.record_many(
        actor,
        [
            (
                "merge_person",
                persons[merge.keep_id],
                {
                    "merge": str(merge.pk),
                    "merged": str(merge.merged_id),
                    "merged_uid": str(persons[merge.merged_id].uid),
                    "moved": {accessor: len(pks) for accessor, pks in merge.moved.items()},
                    "duplicate_names_kept_back": len(duplicates[merge.merged_id]),
                    "filled": sorted(merge.filled),
                    "reason": reason,
                },
            )
            for merge in merges
        ],
        label=label,
    )
    return {link.pk: merge for link, merge in zip(links, merges, strict=True)}


def _move_many_to_many(
    relation: Any,
    pairs: list[tuple[int, int]],
    accessor: str,
    moved: dict[int, dict[str, list[Any]]],
    shared: dict[int, dict[str, list[Any]]],
) -> None:
    """One many-to-many relation of a round of merges: what the merged person had and the kept one not is
    added to the kept one, what both had is recorded as shared, and the merged person loses it all."""
    through: type[models.Model] = relation.through
    person_column = relation.field.m2m_reverse_field_name() + "_id"
    other_column = relation.field.m2m_field_name() + "_id"
    ids = [pk for pair in pairs for pk in pair]
    held: dict[int, list[Any]] = {pk: [] for pk in ids}
    for start in range(0, len(ids), 5000):
        rows = (
            through._default_manager.filter(**{f"{person_column}__in": ids[start : start + 5000]})
            .order_by("pk")
            .values_list(person_column, other_column)
        )
        for person_id, related_id in rows:
            held[person_id].append(related_id)
    added: list[models.Model] = []
    for keep_id, other_id in pairs:
        theirs = held[other_id]
        if not theirs:
            continue
        mine = set(held[keep_id])
        to_move = [pk for pk in theirs if pk not in mine]
        if to_move:
            added.extend(through(**{person_column: keep_id, other_column: pk}) for pk in to_move)
            moved[other_id][accessor] = to_move
        if len(to_move) < len(theirs):
            shared[other_id][accessor] = [pk for pk in theirs if pk in mine]
    others = [other for _keep, other in pairs]
    for start in range(0, len(others), 5000):
        through._default_manager.filter(**{f"{person_column}__in": others[start : start + 5000]}).delete()
    through._default_manager.bulk_create(added, batch_size=1000)


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
