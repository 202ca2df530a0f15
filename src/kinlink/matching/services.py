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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Q, QuerySet

from kinlink.lib.personlist import PERSON_LIST_COLUMNS
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
    engine: dict[str, str] = field(default_factory=dict)  # what DuckDB ran under: memory limit, threads
    notes: list[str] = field(default_factory=list)


# --- person-list rows from the registry ------------------------------------------------------------


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


#: Rows fetched per round trip when person rows are streamed from the database.
STREAM_CHUNK = 5000


def person_frame(persons: QuerySet[Person], source: str) -> Any:
    """One person-list row per person with a name, as a pandas DataFrame in the person-list columns:
    its primary name variant (else its first), its own details, and the date and place of its earliest
    live claim that gives one.

    ``record_id`` is the person's id. Values linkage cannot read (a date that is no date, "nan") are
    left empty; a person without any name is left out. The rows are streamed: three queries in all
    (persons, names, claims, each ordered by person and read in chunks of :data:`STREAM_CHUNK`), merged
    by person id, and the frame is built column by column, so that memory holds plain strings only.
    """
    import pandas as pd

    ids = persons.values("pk")
    details = (
        persons.order_by("pk")
        .values_list("pk", "birth_date", "birth_place", "unit", "rank")
        .iterator(chunk_size=STREAM_CHUNK)
    )
    names = iter(
        NameVariant.objects.filter(person_id__in=ids)
        .order_by("person_id", "-is_primary", "pk")
        .values_list("person_id", "full_name", "surname", "given_name", "patronymic")
        .iterator(chunk_size=STREAM_CHUNK)
    )
    claims = iter(
        Claim.objects.filter(person_id__in=ids, retraction__isnull=True)
        .filter(~Q(date="") | ~Q(place=""))
        .order_by("person_id", "date", "created", "pk")
        .values_list("person_id", "date", "place")
        .iterator(chunk_size=STREAM_CHUNK)
    )
    columns: dict[str, list[str]] = {name: [] for name in PERSON_LIST_COLUMNS}
    name = next(names, None)
    claim = next(claims, None)
    for pk, birth_date, birth_place, unit, rank in details:
        while name is not None and name[0] < pk:
            name = next(names, None)
        primary = name if name is not None and name[0] == pk else None
        while name is not None and name[0] == pk:
            name = next(names, None)
        while claim is not None and claim[0] < pk:
            claim = next(claims, None)
        first = claim if claim is not None and claim[0] == pk else None
        while claim is not None and claim[0] == pk:
            claim = next(claims, None)
        if primary is None:
            continue
        full_name, surname, given_name = _text(primary[1]), _text(primary[2]), _text(primary[3])
        if not (full_name or surname or given_name):
            continue
        values = (
            str(pk),
            source,
            full_name,
            surname,
            given_name,
            _text(primary[4]),
            _date(birth_date),
            _text(birth_place),
            _text(unit),
            _text(rank),
            _date(first[1]) if first is not None else "",
            _text(first[2]) if first is not None else "",
        )
        for column, value in zip(PERSON_LIST_COLUMNS, values, strict=True):
            columns[column].append(value)
    return pd.DataFrame(columns).reindex(columns=list(PERSON_LIST_COLUMNS)).fillna("")


def person_rows(persons: QuerySet[Person], source: str) -> list[dict[str, str]]:
    """The rows of :func:`person_frame` as dictionaries (a page shows a few)."""
    frame = person_frame(persons, source)
    return [{k: v for k, v in row.items() if k in PERSON_LIST_COLUMNS} for row in frame.to_dict("records")]


def person_fingerprint(person: Person) -> str:
    """SHA-256 of what linkage compares for one person: its name variants, list rows and details."""
    return person_fingerprints([person.pk])[person.pk]


def person_fingerprints(person_ids: Iterable[int]) -> dict[int, str]:
    """:func:`person_fingerprint` of many persons at once: three queries per :data:`STREAM_CHUNK`
    persons (details, name variants, list rows), whatever the number of pairs they are in."""
    out: dict[int, str] = {}
    ids = sorted({int(i) for i in person_ids})
    for start in range(0, len(ids), STREAM_CHUNK):
        chunk = ids[start : start + STREAM_CHUNK]
        names: dict[int, list[str]] = {pk: [] for pk in chunk}
        for person_id, *parts in NameVariant.objects.filter(person_id__in=chunk).values_list(
            "person_id", "full_name", "surname", "given_name", "patronymic"
        ):
            names[person_id].append(json.dumps(parts, ensure_ascii=False))
        rows: dict[int, list[str]] = {pk: [] for pk in chunk}
        for person_id, sha in ListRecord.objects.filter(person_id__in=chunk).values_list(
            "person_id", "row_sha256"
        ):
            rows[person_id].append(sha)
        for pk, *details in Person.objects.filter(pk__in=chunk).values_list(
            "pk", "birth_date", "birth_place", "unit", "rank"
        ):
            text = json.dumps([sorted(names[pk]), sorted(rows[pk]), details], ensure_ascii=False)
            out[pk] = hashlib.sha256(text.encode()).hexdigest()
    return out


def pair_fingerprint(a: Person, b: Person) -> str:
    first, second = sorted((a.pk, b.pk))
    prints = person_fingerprints([first, second])
    return _pair_print(prints[first], prints[second])


def _pair_print(first: str, second: str) -> str:
    return hashlib.sha256((first + ":" + second).encode()).hexdigest()


# --- linking -----------------------------------------------------------------------------------------


def link_persons_against_registry(
    person_ids: list[int] | QuerySet[Person],
    reason: str = "",
    threshold: float | None = None,
    *,
    among_themselves: bool = False,
) -> LinkRunResult:
    """Propose candidate links between the given (new) persons and every other live person
    (``among_themselves``: and between the new persons too, each pair once, as when several requests
    waited together).

    ``person_ids`` is a list of ids or a query of persons (a query keeps a list of 10^5 persons out of
    the SQL's parameters). Merged persons among them are left out (their kept person speaks for them).
    Pairs already proposed are left as they are; a rejected pair, or one whose merge was undone, is
    proposed again only when its fingerprint changed (one of the persons gained a name variant, a list
    row or a detail).
    """
    threshold = settings.KINLINK_LINK_REVIEW_THRESHOLD if threshold is None else threshold
    result = LinkRunResult(reason=reason)
    if isinstance(person_ids, QuerySet):
        chosen = Person.objects.filter(pk__in=person_ids.values("pk"))
    else:
        chosen = Person.objects.filter(pk__in=sorted({int(i) for i in person_ids}))
    new = chosen.filter(merged_into__isnull=True)
    _fresh_statistics()
    new_rows = person_frame(new, "new")
    existing_rows = person_frame(
        Person.objects.filter(merged_into__isnull=True).exclude(pk__in=chosen.values("pk")), "registry"
    )
    result.new_records, result.existing_persons = len(new_rows), len(existing_rows)
    if new_rows.empty or (existing_rows.empty and not (among_themselves and len(new_rows) > 1)):
        return result
    pairs = _scored_pairs(new_rows, existing_rows, threshold, result, among_themselves=among_themselves)
    del new_rows, existing_rows
    if not pairs.empty:
        _propose_all(pairs, result)
    return result


def _fresh_statistics() -> None:
    """On PostgreSQL, refresh the planner's statistics of the tables linkage reads. Right after a bulk
    import autovacuum has not analysed them yet: the planner then takes 200,000 persons for a hundred
    and streams the claims through a nested loop, one FETCH of 5,000 rows taking minutes (measured
    with bench/registry_linkage.py). ANALYZE samples a fixed number of rows: about a second."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    from kinlink.matching.models import PendingLinkage
    from kinlink.registry.models import ClaimRetraction

    models = (Person, NameVariant, Claim, ClaimRetraction, ListRecord, CandidateLink, PendingLinkage)
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def link_source_against_registry(source_id: int, threshold: float | None = None) -> LinkRunResult:
    """Link one imported list's (live) persons against every other live person."""
    from kinlink.registry.models import Source

    source = Source.objects.filter(pk=source_id).first()
    persons = Person.objects.filter(pk__in=ListRecord.objects.filter(source_id=source_id).values("person_id"))
    name = source.name if source is not None else "?"
    result = link_persons_against_registry(persons, f"list {name} (source {source_id})", threshold)
    result.source_id = source_id
    return result


def _scored_pairs(
    new_rows: Any,
    existing_rows: Any,
    threshold: float,
    result: LinkRunResult,
    *,
    among_themselves: bool = False,
) -> Any:
    """Score the pairs with the model the module docstring describes; a newly trained model is kept.

    DuckDB runs under ``KINLINK_LINKAGE_MEMORY_LIMIT`` with ``KINLINK_LINKAGE_THREADS`` threads and
    spills to ``KINLINK_LINKAGE_SPILL_DIR`` (docs/operator.md)."""
    from kinlink.linkage.model import LinkageOptions, default_model, link_new_records

    total = len(new_rows) + len(existing_rows)
    options = LinkageOptions(
        u_num_chunks=1 if total < SMALL_REGISTRY else 10,
        term_frequencies=total >= train_min_records(),
        memory_limit=str(settings.KINLINK_LINKAGE_MEMORY_LIMIT),
        threads=int(settings.KINLINK_LINKAGE_THREADS) or None,
        spill_dir=str(settings.KINLINK_LINKAGE_SPILL_DIR) or None,
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
        new_rows,
        existing_rows,
        min_probability=threshold,
        options=options,
        model=model,
        among_new=among_themselves,
    )
    result.notes = list(links.notes)
    result.engine = dict(links.engine)
    if model is None:
        if links.trained:
            kept = LinkageModel.objects.create(
                records=total, reason=result.reason[:300], parameters=links.model
            )
            result.model = f"trained on {total} records (model {kept.pk})"
        else:
            result.model = "default model (training gave no usable model)"
    logger.info(
        "linkage %s: %d new against %d persons, %s, %d pairs, DuckDB %s",
        result.reason,
        len(new_rows),
        len(existing_rows),
        result.model,
        len(links.pairs),
        links.engine,
    )
    return links.pairs


def new_rows_frame(rows: list[dict[str, str]]) -> Any:
    """Rows as a pandas DataFrame in the person-list column order."""
    import pandas as pd

    return pd.DataFrame(rows, columns=list(PERSON_LIST_COLUMNS)).fillna("")


_CLOSED = (CandidateLink.Status.REJECTED, CandidateLink.Status.UNDONE)
#: Candidate links written per INSERT.
_BATCH = 2000


def _existing_links(keys: set[tuple[int, int]]) -> dict[tuple[int, int], CandidateLink]:
    """The stored links of these (person_a, person_b) pairs, one query per :data:`STREAM_CHUNK`
    first persons (their explanations are not read)."""
    out: dict[tuple[int, int], CandidateLink] = {}
    firsts = sorted({a for a, _ in keys})
    for start in range(0, len(firsts), STREAM_CHUNK):
        query = CandidateLink.objects.filter(person_a_id__in=firsts[start : start + STREAM_CHUNK])
        for link in query.defer("explanation").order_by():
            key = (link.person_a_id, link.person_b_id)
            if key in keys:
                out[key] = link
    return out


def _propose_all(pairs: Any, result: LinkRunResult) -> None:
    """Store the scored pairs as candidate links, in bulk and in one transaction: new pairs are
    created, proposed ones left, closed ones proposed again when their fingerprint changed (one
    audit entry each, as before)."""
    best: dict[tuple[int, int], tuple[float, float, Any]] = {}
    for new_id, person_id, probability, weight, explanation in pairs.itertuples(index=False):
        a, b = sorted((int(new_id), int(person_id)))
        if a == b:
            continue  # a person compared with itself
        if (a, b) not in best or float(weight) > best[(a, b)][1]:
            best[(a, b)] = (float(probability), float(weight), explanation)
    if not best:
        return
    with transaction.atomic():
        links = _existing_links(set(best))
        needing_prints = [key for key in best if key not in links or links[key].status in _CLOSED]
        prints = person_fingerprints({pk for key in needing_prints for pk in key})
        creating: list[CandidateLink] = []
        for (a, b), (probability, weight, explanation) in best.items():
            link = links.get((a, b))
            if link is not None and link.status not in _CLOSED:
                result.already_proposed += 1
                continue
            fingerprint = _pair_print(prints[a], prints[b])
            if link is not None and link.fingerprint == fingerprint:
                result.still_rejected += 1
                continue
            fields = [
                {
                    "field": f.field,
                    "status": f.status,
                    "level": f.level,
                    "match_weight": round(f.match_weight, 4),
                }
                for f in explanation
            ]
            if link is None:
                creating.append(
                    CandidateLink(
                        person_a_id=a,
                        person_b_id=b,
                        match_probability=probability,
                        match_weight=weight,
                        explanation=fields,
                        fingerprint=fingerprint,
                    )
                )
                if len(creating) >= _BATCH:
                    CandidateLink.objects.bulk_create(creating)
                    result.proposed += len(creating)
                    creating = []
                continue
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
        if creating:
            CandidateLink.objects.bulk_create(creating)
            result.proposed += len(creating)


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
