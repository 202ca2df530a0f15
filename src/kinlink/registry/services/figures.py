"""Registry figures: capture histories of the registry's own lists, and the per-person records behind the
public aggregates.

Conventions (see docs/methods/estimation.md, "Registry figures"):

* **One list = one Source** with ``reference="list"`` (an imported list), or, when ``source_kinds`` is
  given, every source of those kinds. A list is named by its source's name.
* **A person merged into another counts as the survivor** (``merged_into`` is followed to the end of
  the chain), so a person linked twice is counted once.
* **Retracted claims do not count.** A list record whose list has claims about the person, all of them
  retracted, is dropped (the link was withdrawn). Fates and dates come only from non-retracted claims.
* **Derived lists.** Lists of kind ``media`` are compiled largely from obituaries; with ``merge_derived``
  they are treated as part of the obituary list (when there is exactly one obituary list).
* **Fate for the tables** is the person's stored reconciled fate (``Person.fate``, written by the
  registry's actions whenever a claim changes): the same fate the case page, the documents and the
  exports show. A merged person's claims count for the person it was merged into.
* **Month of disappearance** is the earliest dated non-retracted claim's month; ``unknown`` otherwise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kinlink.estimation.aggregates import MISSING
from kinlink.partialdate import PartialDate, PartialDateError, parse_partial_date
from kinlink.registry.models import Case, Claim, ListRecord, Person, Source, SourceKind

logger = logging.getLogger(__name__)

DERIVED_KIND = SourceKind.MEDIA
PARENT_KIND = SourceKind.OBITUARY


@dataclass(frozen=True)
class RegistryLists:
    """Memberships (person key, list name) of the survivors of the registry's lists."""

    lists: tuple[str, ...]
    memberships: tuple[tuple[str, str], ...]
    derived: dict[str, list[str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def persons(self) -> set[str]:
        return {p for p, _ in self.memberships}


def survivors() -> dict[int, int]:
    """Map every merged person's id to the id of the person it was finally merged into."""
    parent = dict(Person.objects.filter(merged_into__isnull=False).values_list("id", "merged_into_id"))
    out: dict[int, int] = {}
    for pid in parent:
        seen = {pid}
        cur = parent[pid]
        while cur in parent and cur not in seen:
            seen.add(cur)
            cur = parent[cur]
        out[pid] = cur
    return out


def _list_sources(source_kinds: Sequence[str] | None) -> list[Source]:
    qs = Source.objects.all()
    qs = qs.filter(kind__in=list(source_kinds)) if source_kinds else qs.filter(reference="list")
    return list(qs.order_by("name", "id"))


def derived_groups(kinds: dict[str, str]) -> dict[str, list[str]]:
    """The default derived-list groups: every media list joins the single obituary list."""
    parents = [n for n, k in kinds.items() if k == PARENT_KIND]
    media = [n for n, k in kinds.items() if k == DERIVED_KIND]
    if len(parents) != 1 or not media:
        return {}
    return {parents[0]: [parents[0], *media]}


def registry_lists(source_kinds: Sequence[str] | None = None, merge_derived: bool = True) -> RegistryLists:
    """Memberships of linked (surviving) persons in the registry's lists."""
    sources = _list_sources(source_kinds)
    names: dict[int, str] = {}
    kinds: dict[str, str] = {}
    for s in sources:
        name = s.name if s.name not in kinds else f"{s.name} ({s.pk})"
        names[s.pk] = name
        kinds[name] = s.kind
    ids = list(names)
    # (person, source) pairs whose claims are all retracted: the link was withdrawn.
    live: set[tuple[int, int]] = set()
    claimed: set[tuple[int, int]] = set()
    for person_id, source_id, retracted in Claim.objects.filter(source_id__in=ids).values_list(
        "person_id", "source_id", "retraction__id"
    ):
        claimed.add((person_id, source_id))
        if retracted is None:
            live.add((person_id, source_id))
    surv = survivors()
    members: set[tuple[str, str]] = set()
    pairs = set(ListRecord.objects.filter(source_id__in=ids).values_list("person_id", "source_id"))
    if source_kinds:
        pairs |= live  # sources chosen by kind: a live claim puts the person on that list
    for person_id, source_id in pairs:
        if (person_id, source_id) in claimed and (person_id, source_id) not in live:
            continue
        members.add((str(surv.get(person_id, person_id)), names[source_id]))
    lists = tuple(names[i] for i in ids)
    derived = derived_groups(kinds) if merge_derived else {}
    return RegistryLists(lists, tuple(sorted(members)), derived, kinds)


def _parse(text: str) -> PartialDate | None:
    if not text:
        return None
    try:
        return parse_partial_date(text)
    except PartialDateError:
        return None


def quarter(month: str) -> str:
    """``2022-05`` → ``2022-Q2``; ``unknown`` stays ``unknown``."""
    if month == MISSING or len(month) < 7:
        return MISSING
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def person_records(person_ids: set[int] | None = None) -> dict[str, dict[str, str]]:
    """One record per surviving person: region, month, quarter, fate, legal_status, source_kind, branch.

    No names, dates of birth or units: only coarse categories (see ``estimation.aggregates``).
    ``person_ids`` limits the records to those (surviving) persons.
    """
    surv = survivors()
    persons = Person.objects.filter(merged_into__isnull=True)
    if person_ids is not None:
        persons = persons.filter(id__in=person_ids)
    records: dict[int, dict[str, str]] = {
        pid: {
            "region": region or MISSING,
            "branch": branch or MISSING,
            "month": MISSING,
            "fate": MISSING,
            "legal_status": "none",
            "source_kind": MISSING,
        }
        for pid, region, branch in persons.values_list("id", "region", "military_branch")
    }
    for pid, fate in persons.values_list("id", "fate"):
        records[pid]["fate"] = fate or MISSING
    first: dict[int, tuple[PartialDate, str]] = {}
    first_kind: dict[int, tuple[float, str]] = {}
    claims = Claim.objects.filter(retraction__isnull=True).values_list(
        "person_id", "date", "created", "source__kind"
    )
    for person_id, date, created, kind in claims.iterator(chunk_size=5000):
        pid = surv.get(person_id, person_id)
        if pid not in records:
            continue
        parsed = _parse(date)
        stamp = created.timestamp()
        if parsed is not None and (pid not in first or parsed.earliest < first[pid][0].earliest):
            first[pid] = (parsed, kind)
        if pid not in first_kind or stamp < first_kind[pid][0]:
            first_kind[pid] = (stamp, kind)
    for pid, (parsed, kind) in first.items():
        if parsed.month is not None:
            records[pid]["month"] = f"{parsed.year:04d}-{parsed.month:02d}"
        records[pid]["source_kind"] = kind
    for pid, (_, kind) in first_kind.items():
        if records[pid]["source_kind"] == MISSING:
            records[pid]["source_kind"] = kind
    for person_id, status in Case.objects.order_by("opened_at").values_list("person_id", "legal_status"):
        pid = surv.get(person_id, person_id)
        if pid in records:
            records[pid]["legal_status"] = status
    for r in records.values():
        r["quarter"] = quarter(r["month"])
    return {str(pid): r for pid, r in records.items()}


def strata_of(records: dict[str, dict[str, str]], by: Sequence[str]) -> dict[str, str]:
    """Each person's stratum label, e.g. ``Луганская область / 2022-Q2``; ``all`` when ``by`` is empty."""
    allowed = {"region", "quarter", "month", "branch", "fate"}
    for b in by:
        if b not in allowed:
            raise ValueError(f"cannot stratify by {b!r}; use {', '.join(sorted(allowed))}")
    return {p: " / ".join(r[b] for b in by) if by else "all" for p, r in records.items()}


# --- Estimates --------------------------------------------------------------------------------------


def estimate_registry(
    by: Sequence[str] = (),
    method: str = "stepwise",
    n_boot: int = 0,
    seed: int | None = None,
    level: float = 0.95,
    source_kinds: Sequence[str] | None = None,
    merge_derived: bool = True,
    min_overlap: int = 5,
    sensitivity_runs: int = 0,
    total_interval: bool = True,
) -> dict[str, Any]:
    """Multiple-systems estimates per stratum of the registry's lists and their sum.

    Each stratum gets ``estimate_mse``'s published keys (or ``refused`` with the reason). The total adds
    the accepted strata; its interval treats them as independent and combines them the way their own
    intervals were made (``kinlink.estimation.strata.sum_interval``): the profile likelihood of the sum,
    the BCa interval of a stratified bootstrap (each stratum resampled on its own stream), or the sum of
    independent posterior draws. ``total_interval=False`` skips that work (the per-stratum figures are
    all that is wanted). ``sensitivity_runs`` re-estimates the unstratified total after simulated linkage
    errors (5 % of multi-list persons split, 2 % of persons falsely merged).
    """
    from kinlink.estimation.capture import histories_from_memberships, linkage_sensitivity
    from kinlink.estimation.loglinear import ModelError
    from kinlink.estimation.mse import MseResult, estimate_mse
    from kinlink.estimation.strata import (
        overlap_problem,
        strata_from_memberships,
        stratum_seeds,
        sum_interval,
    )

    reg = registry_lists(source_kinds, merge_derived)
    if not reg.memberships:
        raise ModelError("the registry has no one on any list")
    records = person_records({int(p) for p in reg.persons})
    stratum_of = strata_of(records, by)
    strata = strata_from_memberships(reg.memberships, stratum_of, reg.lists, reg.derived or None)
    out_strata: list[dict[str, Any]] = []
    parts: list[tuple[Any, MseResult]] = []
    total, obs_ok, obs_refused = 0.0, 0.0, 0.0
    keys = sorted(strata)
    seeds = stratum_seeds(seed, len(keys)) if len(keys) > 1 else [seed]
    for key, stratum_seed in zip(keys, seeds, strict=True):
        data = strata[key]
        problem = overlap_problem(data, min_overlap)
        result = None
        if problem is None:
            try:
                result = estimate_mse(data, method, n_boot=n_boot, seed=stratum_seed, level=level)
            except ModelError as exc:
                problem = str(exc)
        if result is None or problem is not None:
            out_strata.append({"stratum": key, "observed": round(data.observed), "refused": problem})
            obs_refused += data.observed
            continue
        out_strata.append({"stratum": key, **result.as_json()})
        parts.append((data, result))
        total += result.estimate
        obs_ok += result.observed
    accepted = [s for s in out_strata if "refused" not in s]
    if not accepted:
        raise ModelError(
            "no stratum can be estimated: " + "; ".join(f"{s['stratum']}: {s['refused']}" for s in out_strata)
        )
    if total_interval:
        (lo_t, hi_t), kind = sum_interval(parts, level, seed)
    else:
        lo_t, hi_t, kind = math.nan, math.nan, "not computed"

    def num(v: float) -> float | None:
        return round(v, 3) if math.isfinite(v) else None

    result_total: dict[str, Any] = {
        "method": method,
        "model": "sum over strata" if len(accepted) > 1 else accepted[0]["model"],
        "observed": round(obs_ok),
        "estimate": round(total, 3),
        "interval": [num(lo_t), num(hi_t)],
        "interval_kind": kind,
        "observed_refused": round(obs_refused),
    }
    out: dict[str, Any] = {
        "lists": list(reg.lists),
        "derived": reg.derived,
        "by": list(by),
        "strata": out_strata,
        "total": result_total,
    }
    if sensitivity_runs > 0:

        def point(d: Any) -> float:
            return float(
                estimate_mse(
                    d, method if method in ("stepwise", "bic", "main", "bic-downhill") else "main"
                ).estimate
            )

        sens = linkage_sensitivity(
            list(reg.memberships),
            point,
            runs=sensitivity_runs,
            seed=seed,
            lists=reg.lists,
            derived=reg.derived or None,
        )
        base = histories_from_memberships(reg.memberships, reg.lists, reg.derived or None)
        out["linkage_sensitivity"] = {
            "observed": round(base.observed),
            "estimate": round(sens.estimate, 3),
            "perturbed_min": round(sens.min, 3),
            "perturbed_median": round(sens.median, 3),
            "perturbed_max": round(sens.max, 3),
            "runs": sensitivity_runs,
            "split_fraction": 0.05,
            "merge_fraction": 0.02,
        }
    return out


# --- Public figures -----------------------------------------------------------------------------------

COUNT_FIELDS: tuple[str, ...] = ("region", "month", "fate", "legal_status", "source_kind", "branch")
CROSS_TABLES: tuple[tuple[str, str], ...] = (
    ("region", "fate"),
    ("month", "fate"),
    ("fate", "legal_status"),
    ("source_kind", "fate"),
    ("branch", "fate"),
)


def _safe_named(published: int | None, on_lists: int, threshold: int) -> bool:
    """Whether the number of people on lists may be shown next to a published count.

    Both must be large, and so must their difference (the people on no list), or the difference would
    reveal a small group.
    """
    if published is None or on_lists < threshold:
        return False
    rest = published - on_lists
    return rest == 0 or rest >= threshold


def figures_threshold() -> int:
    """The public figures' suppression threshold (``FIGURES_SUPPRESSION_THRESHOLD``, default 10): the web
    page and the statistics report publish with the same one."""
    from django.conf import settings

    return int(getattr(settings, "FIGURES_SUPPRESSION_THRESHOLD", 10))


#: Sections the apps above the registry add to the public figures (the registry may not import them): name
#: -> ``compute(threshold)``, registered in the app's ``AppConfig.ready`` (``documents`` adds "inquiries").
#: They are computed with the rest and stored with it, so the page and the report never disagree.
_FIGURE_SECTIONS: dict[str, Callable[[int], dict[str, Any]]] = {}


def add_figures_section(name: str, compute: Callable[[int], dict[str, Any]]) -> None:
    """Register one more section of the public figures, computed at the figures' suppression threshold."""
    _FIGURE_SECTIONS[name] = compute


# --- Snapshots: computed when the registry changes, served from the database ---------------------------
#
# Every action appends one audit entry; one that is not a read (``UNCOUNTED_ACTIONS``) also writes one
# ``FiguresChange`` row in its transaction (one per transaction however many entries it appends). The
# worker's pass (:func:`refresh_figures_when_due`) recomputes the figures once the changes have settled
# (``KINLINK_FIGURES_SETTLE_SECONDS`` without a new one) or have waited ``KINLINK_FIGURES_MAX_DELAY_SECONDS``,
# stores a ``FiguresSnapshot`` and deletes the rows it covers: one recomputation per burst of changes.

#: Audit actions that change nothing the public figures count: reads, sign-ins, sessions, accounts, keys,
#: messages to families, notes and tasks. Every other action (any new one too) marks the figures stale.
UNCOUNTED_ACTIONS: frozenset[str] = frozenset(
    {
        "add_task",
        "finish_task",
        "add_note",
        "release_update",
        "send_message",
        "shred_key",
        "rotate_keys",
        "view_case",
        "view_person",
        "view_contact",
        "view_document",
        "view_dna",
        "view_dna_queue",
        "view_dna_candidate",
        "view_link",
        "search_persons",
        "export_contacts",
        "export_registry",
        "export_pfif",
        "admin_view",
        "family_sign_in",
        "family_view",
        "issue_follow_link",
        "pause_family_code_check",
        "download_document",
        "api_read_case",
        "api_read_candidates",
        "api_read_sample",
        "api_read_persons",
        "api_read_requests",
        "api_read_source",
        "api_read_remains",
        "create_api_token",
        "revoke_api_token",
        "login",
        "logout",
        "unlock_account",
        "backup_instance",
        "recover_orphaned_tasks",
        "requeue_orphaned_screenings",
        "unlock_address",
        "sign_in_password",
        "sign_in_password_failed",
        "sign_in_second_factor_failed",
        "sign_in_locked_out",
        "session_expired",
        "use_recovery_code",
        "regenerate_recovery_codes",
        "register_passkey",
        "remove_passkey",
    }
)


def _noted() -> None:
    """The marker :func:`note_figures_change` leaves among the transaction's on-commit callbacks."""


def note_figures_change(action: str) -> None:
    """Mark the public figures stale after an audited ``action`` (called by ``audit.record``).

    Inside a transaction one ``FiguresChange`` row is written, the first time only: the transaction's
    on-commit callbacks carry a marker that lives exactly as long as that row (a savepoint rolled back
    drops both), so a transaction of many actions (the demo, a bulk import) writes one row. Outside a
    transaction (autocommit) every call writes one."""
    from django.db import transaction

    from kinlink.registry.models import FiguresChange

    if str(action) in UNCOUNTED_ACTIONS:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        if any(entry[1] is _noted for entry in connection.run_on_commit):
            return
        FiguresChange.objects.create(action=str(action)[:50])
        transaction.on_commit(_noted)
    else:
        FiguresChange.objects.create(action=str(action)[:50])


def _forget_marks() -> None:
    """After the marks were deleted in this same transaction (a refresh inside an enclosing atomic block:
    tests), the next change must write a new one."""
    from django.db import transaction

    connection = transaction.get_connection()
    if connection.in_atomic_block:
        connection.run_on_commit = [entry for entry in connection.run_on_commit if entry[1] is not _noted]


def figures_settle_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "KINLINK_FIGURES_SETTLE_SECONDS", 10))


def figures_max_delay_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "KINLINK_FIGURES_MAX_DELAY_SECONDS", 300))


@dataclass(frozen=True)
class SnapshotRef:
    """The latest snapshot without its payload: what a conditional request needs."""

    id: int
    digest: str
    computed_at: dt.datetime
    threshold: int


def latest_snapshot(threshold: int | None = None) -> SnapshotRef | None:
    """The latest snapshot at ``threshold`` (default: the figures' threshold): one indexed query."""
    from kinlink.registry.models import FiguresSnapshot

    t = figures_threshold() if threshold is None else threshold
    row = (
        FiguresSnapshot.objects.filter(threshold=t)
        .order_by("-id")
        .values_list("id", "digest", "computed_at")
        .first()
    )
    return None if row is None else SnapshotRef(row[0], row[1], row[2], t)


#: Decoded payloads by (snapshot id, digest): a process reads a snapshot's JSON once.
_PAYLOADS: dict[tuple[int, str], dict[str, Any]] = {}
_PAYLOADS_KEPT = 4
_PAYLOADS_LOCK = threading.Lock()
_REFRESH_LOCK = threading.Lock()


def snapshot_figures(ref: SnapshotRef) -> dict[str, Any]:
    """The figures of a snapshot (a copy: callers may not change the process's cached one)."""
    from kinlink.registry.models import FiguresSnapshot

    key = (ref.id, ref.digest)
    figures = _PAYLOADS.get(key)
    if figures is None:
        text = FiguresSnapshot.objects.filter(id=ref.id).values_list("payload", flat=True).first()
        if text is None:  # deleted meanwhile (restored database): read the latest instead
            return dict(current_figures()[1])
        figures = json.loads(text)
        with _PAYLOADS_LOCK:  # threads of one web process share it
            while len(_PAYLOADS) >= _PAYLOADS_KEPT:
                _PAYLOADS.pop(next(iter(_PAYLOADS)))
            _PAYLOADS[key] = figures
    return dict(figures)


#: Snapshots kept per threshold (the older ones are deleted when a new one is stored).
SNAPSHOTS_KEPT = 5


def refresh_public_figures(threshold: int | None = None) -> SnapshotRef:
    """Compute the public figures now and store them as the latest snapshot; delete the change marks they
    cover and all but the last ``SNAPSHOTS_KEPT`` snapshots. Derived data, not a domain transition: no
    audit entry (it would itself be a change)."""
    from django.db import transaction
    from django.db.models import Max

    from kinlink.registry.models import FiguresChange, FiguresSnapshot

    t = figures_threshold() if threshold is None else threshold
    through = FiguresChange.objects.aggregate(top=Max("id"))["top"] or 0
    started = time.perf_counter()
    figures = public_figures(t)
    text = json.dumps(figures, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    seconds = time.perf_counter() - started
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction.atomic():
        snap = FiguresSnapshot.objects.create(
            threshold=t, payload=text, digest=digest, seconds=seconds, changes_through=through
        )
        FiguresChange.objects.filter(id__lte=through).delete()
        _forget_marks()
        old = FiguresSnapshot.objects.filter(threshold=t).order_by("-id").values_list("id", flat=True)
        FiguresSnapshot.objects.filter(id__in=list(old[SNAPSHOTS_KEPT:])).delete()
    logger.info("public figures recomputed in %.2f s (snapshot %d, %s)", seconds, snap.pk, digest[:12])
    return SnapshotRef(snap.pk, digest, snap.computed_at, t)


def figures_due(now: dt.datetime | None = None) -> str:
    """Why the figures should be recomputed now (``""``: they need not be): no snapshot at the current
    threshold, a new day since the last one (inquiries become overdue with time), or changes that have
    settled or waited long enough."""
    from django.db.models import Max, Min
    from django.utils import timezone

    from kinlink.registry.models import FiguresChange

    now = now or timezone.now()
    ref = latest_snapshot()
    if ref is None:
        return "no snapshot"
    if timezone.localdate(ref.computed_at) < timezone.localdate(now):
        return "a new day"
    marks = FiguresChange.objects.aggregate(first=Min("at"), last=Max("at"))
    if marks["last"] is None:
        return ""
    if (now - marks["last"]).total_seconds() >= figures_settle_seconds():
        return "changes settled"
    if (now - marks["first"]).total_seconds() >= figures_max_delay_seconds():
        return "changes waited too long"
    return ""


def refresh_figures_when_due(now: dt.datetime | None = None) -> SnapshotRef | None:
    """The worker's step: recompute the figures when :func:`figures_due` says so; the new snapshot or None."""
    reason = figures_due(now)
    if not reason:
        return None
    logger.info("recomputing the public figures: %s", reason)
    return refresh_public_figures()


def current_figures() -> tuple[SnapshotRef, dict[str, Any]]:
    """The latest snapshot and its figures; on an instance that has none yet, computed once now (and
    stored): a reader waits for the first computation rather than seeing no figures."""
    ref = latest_snapshot()
    if ref is None:
        with _REFRESH_LOCK:
            ref = latest_snapshot() or refresh_public_figures()
    return ref, snapshot_figures(ref)


def cached_public_figures() -> dict[str, Any]:
    """The public figures at ``figures_threshold()`` from the latest snapshot (computed once when there is
    none): the one computation the public figures page and the statistics report both print."""
    return current_figures()[1]


def public_figures(threshold: int = 10, method: str = "stepwise") -> dict[str, Any]:
    """Everything the public figures page shows, as plain data (JSON-serialisable, cacheable).

    Counts and cross-tabulations cover every surviving person in the registry, suppressed with
    ``estimation.aggregates`` (cells under ``threshold`` and their complements withheld). The estimate of
    the total uses the registry's lists (derived lists merged) with ``method`` and a profile interval and
    is set against the number of people named on those lists; per region estimates are shown only where
    the region's published count is not withheld and both its people on lists and its people on no list
    number at least ``threshold`` (or none), so that no small group can be derived by subtraction.
    """
    from kinlink.estimation.aggregates import publish_counts, publish_crosstab
    from kinlink.estimation.loglinear import ModelError

    records = list(person_records().values())
    counts = {f: publish_counts(records, f, threshold) for f in COUNT_FIELDS}
    tables = [publish_crosstab(records, a, b, threshold).as_dict() for a, b in CROSS_TABLES]
    estimate: dict[str, Any] | None = None
    regions: list[dict[str, Any]] = []
    refusal = ""
    try:
        total = estimate_registry((), method)
        estimate = total["total"]
        by_region = estimate_registry(("region",), method, total_interval=False)
        for s in by_region["strata"]:
            if "refused" in s or not _safe_named(
                counts["region"].get(s["stratum"]), s["observed"], threshold
            ):
                continue
            regions.append(
                {
                    "region": s["stratum"],
                    "named": s["observed"],
                    **{k: s[k] for k in ("estimate", "interval")},
                }
            )
        if estimate is not None and not _safe_named(
            counts["region"]["total"], estimate["observed"], threshold
        ):
            estimate = None
            regions = []
    except ModelError as exc:
        refusal = str(exc)
    sections = {name: compute(threshold) for name, compute in _FIGURE_SECTIONS.items()}
    return {
        **sections,
        "threshold": threshold,
        "people": counts["region"]["total"],
        "counts": counts,
        "tables": tables,
        "estimate": estimate,
        "region_estimates": regions,
        "refusal": refusal,
    }
