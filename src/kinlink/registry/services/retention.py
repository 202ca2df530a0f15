"""Retention: how long each kind of personal data is kept, for which purpose, and the erasing itself.

The periods are ``settings.KINLINK_RETENTION_DAYS`` (rule name -> days); :data:`RULES` says what each
rule erases and why (docs/operator.md, "Retention"). :func:`due_records` lists what is due now;
``registry.actions.apply_retention`` erases one record of the list (atomic per record, audited, a
:class:`~kinlink.registry.models.Tombstone` left). The withdrawal actions erase at once through the same
helpers; the run catches what came after a withdrawal (a profile a lab uploaded later).

Nothing here writes an audit entry: the actions do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from kinlink.registry.models import (
    Attachment,
    AuditEntry,
    Claim,
    ClaimRetraction,
    FamilyMessage,
    FamilyUpdate,
    NameVariant,
    Person,
    Sample,
    SourceKind,
    Tombstone,
    TracingRequest,
)
from kinlink.registry.services.attachments import attachment_path
from kinlink.registry.services.family_intake import find_family_report

WITHDRAWN = Tombstone.Reason.WITHDRAWN
EXPIRED = Tombstone.Reason.EXPIRED


@dataclass(frozen=True)
class Rule:
    """One retention rule: the kind of data it erases, its period (days) and the purpose that bounds it."""

    name: str
    kind: str
    reason: str
    purpose: str

    @property
    def days(self) -> int:
        return int(settings.KINLINK_RETENTION_DAYS[self.name])


#: Every rule, in the order a run applies them (docs/operator.md lists the same, with the defaults).
RULES: tuple[Rule, ...] = (
    Rule(
        "withdrawn_request",
        "request",
        WITHDRAWN,
        "The family withdrew the request: its names, contacts, testimony, messages and files have no "
        "purpose left. Erased at once; the run erases whatever reached the request later.",
    ),
    Rule(
        "withdrawn_dna",
        "reference_profile",
        WITHDRAWN,
        "The family withdrew its consent to DNA use: its reference profiles may not be screened or kept.",
    ),
    Rule(
        "identified_reference_profiles",
        "reference_profile",
        EXPIRED,
        "The missing person was identified by DNA: the family's reference profiles are kept for a "
        "review of the identification and for further remains, then erased.",
    ),
    Rule(
        "closed_request_contacts",
        "request_contacts",
        EXPIRED,
        "The request is closed: the enquirer's name and contact details are kept to answer the family's "
        "later questions, then erased.",
    ),
    Rule(
        "refused_uploads",
        "upload",
        EXPIRED,
        "A file in the attachment store that no record names (a refused or interrupted upload, a file "
        "whose record was erased): it serves no purpose.",
    ),
    Rule(
        "audit_details",
        "audit_detail",
        EXPIRED,
        "The audit trail is kept for good (who did or saw what, and when), but after this period its "
        "entries lose their details (request numbers, file names, reasons), which may point to a person.",
    ),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}


@dataclass(frozen=True)
class DueRecord:
    """One record a rule erases now. ``record_id`` names it without personal data (a request number, a
    sample's barcode, a file's SHA-256)."""

    rule: str
    kind: str
    record_id: str
    reason: str
    since: dt.datetime | None

    def describe(self) -> str:
        since = self.since.date().isoformat() if self.since is not None else "-"
        return f"{self.rule}\t{self.kind}\t{self.record_id}\t{self.reason}\t{since}"


def _cutoff(rule: Rule, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=rule.days)


def _withdrawn_requests(now: dt.datetime) -> Iterator[DueRecord]:
    rule = RULES_BY_NAME["withdrawn_request"]
    erased = set(Tombstone.objects.filter(kind=rule.kind).values_list("record_id", flat=True))
    for number, withdrawn_at in TracingRequest.objects.filter(
        withdrawn_at__lte=_cutoff(rule, now)
    ).values_list("number", "withdrawn_at"):
        pending = number not in erased
        if not pending:
            tracing_request = TracingRequest.objects.get(number=number)
            pending = bool(request_leftovers(tracing_request))
        if pending:
            yield DueRecord(rule.name, rule.kind, number, rule.reason, withdrawn_at)


def _withdrawn_profiles(now: dt.datetime) -> Iterator[DueRecord]:
    rule = RULES_BY_NAME["withdrawn_dna"]
    samples = (
        Sample.objects.filter(
            kind=Sample.Kind.REFERENCE, tracing_request__dna_consent_withdrawn_at__lte=_cutoff(rule, now)
        )
        .exclude(profile="")
        .select_related("tracing_request")
        .order_by("code")
    )
    for sample in samples:
        assert sample.tracing_request is not None
        yield DueRecord(
            rule.name, rule.kind, sample.code, rule.reason, sample.tracing_request.dna_consent_withdrawn_at
        )


def _identified_profiles(now: dt.datetime) -> Iterator[DueRecord]:
    rule = RULES_BY_NAME["identified_reference_profiles"]
    identified = {
        person_id: created
        for person_id, created in Claim.objects.filter(
            source__kind=SourceKind.DNA_IDENTIFICATION,
            retraction__isnull=True,
            created__lte=_cutoff(rule, now),
        )
        .order_by("created")
        .values_list("person_id", "created")
    }
    if not identified:
        return
    samples = (
        Sample.objects.filter(kind=Sample.Kind.REFERENCE, tracing_request__person_id__in=list(identified))
        .exclude(profile="")
        .select_related("tracing_request")
        .order_by("code")
    )
    for sample in samples:
        assert sample.tracing_request is not None
        yield DueRecord(
            rule.name, rule.kind, sample.code, rule.reason, identified[sample.tracing_request.person_id]
        )


def _closed_contacts(now: dt.datetime) -> Iterator[DueRecord]:
    rule = RULES_BY_NAME["closed_request_contacts"]
    closed = TracingRequest.objects.filter(
        status=TracingRequest.Status.CLOSED, closed_at__lte=_cutoff(rule, now), withdrawn_at__isnull=True
    ).order_by("number")
    for tracing_request in closed:
        if tracing_request.enquirer_name or tracing_request.contact:
            yield DueRecord(
                rule.name, rule.kind, tracing_request.number, rule.reason, tracing_request.closed_at
            )


def stored_files() -> Iterator[Path]:
    root = Path(settings.ATTACHMENT_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.glob("??/??/*")):
        if path.is_file() and not path.name.startswith(".part-") and len(path.name) == 64:
            yield path


def _orphan_uploads(now: dt.datetime) -> Iterator[DueRecord]:
    rule = RULES_BY_NAME["refused_uploads"]
    cutoff = _cutoff(rule, now).timestamp()
    files = [p for p in stored_files() if p.stat().st_mtime <= cutoff]
    if not files:
        return
    named = set(
        Attachment.objects.filter(sha256__in=[p.name for p in files]).values_list("sha256", flat=True)
    )
    for path in files:
        if path.name not in named:
            since = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
            yield DueRecord(rule.name, rule.kind, path.name, rule.reason, since)


def _old_audit_details(now: dt.datetime) -> Iterator[DueRecord]:
    """One record for the whole batch: the entries older than the period that still carry details."""
    rule = RULES_BY_NAME["audit_details"]
    cutoff = _cutoff(rule, now)
    entries = AuditEntry.objects.filter(at__lte=cutoff).exclude(detail={})
    oldest = entries.order_by("at").values_list("at", flat=True).first()
    if oldest is not None:
        yield DueRecord(rule.name, rule.kind, f"before-{cutoff.isoformat()}", rule.reason, oldest)


def strip_audit_details(record_id: str) -> int:
    """Empty the details of the audit entries a ``before-<ISO time>`` record names; returns how many."""
    cutoff = dt.datetime.fromisoformat(record_id.removeprefix("before-"))
    ids = list(AuditEntry.objects.filter(at__lte=cutoff).exclude(detail={}).values_list("pk", flat=True))
    with redacting():
        # the plain queryset: AuditEntry.objects refuses every update, on purpose
        models.QuerySet(model=AuditEntry).filter(pk__in=ids).update(detail={})
    return len(ids)


def due_records(now: dt.datetime | None = None) -> list[DueRecord]:
    """Every record a rule erases now, rule by rule (the same list ``--dry-run`` prints)."""
    now = now or timezone.now()
    found: list[DueRecord] = []
    for finder in (
        _withdrawn_requests,
        _withdrawn_profiles,
        _identified_profiles,
        _closed_contacts,
        _orphan_uploads,
        _old_audit_details,
    ):
        found.extend(finder(now))
    return found


# --- the erasing (called by the actions, inside their transaction) ------------------------------------


def leave_tombstone(
    kind: str, record_id: str, reason: str, rule: str, created: dt.datetime | None
) -> Tombstone:
    tombstone, _ = Tombstone.objects.get_or_create(
        kind=kind,
        record_id=record_id,
        defaults={"reason": reason, "rule": rule, "record_created": created},
    )
    return tombstone


@contextmanager
def redacting() -> Iterator[None]:
    """Inside a transaction: let the PostgreSQL append-only trigger pass an UPDATE that only blanks the
    personal columns of a claim or an audit entry (migration ``0009``); the rest of the row stays refused."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL kinlink.redact = 'on'")
    yield  # on an error the transaction (or its savepoint) rolls back, and the setting with it
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL kinlink.redact = 'off'")


def redact_claims(claim_ids: list[int]) -> None:
    """Blank what a claim said in its own words (circumstances, place, coordinates): the claim stays, with
    its person, source, fate, date and retraction. The one sanctioned change to an append-only row."""
    if not claim_ids:
        return
    with redacting():
        # the plain queryset: Claim.objects refuses every update, on purpose
        models.QuerySet(model=Claim).filter(pk__in=claim_ids).update(
            circumstances="", place="", latitude=None, longitude=None, place_precision_m=None
        )


def erase_reference_profiles(samples: Iterable[Sample], reason: str, rule: str) -> list[str]:
    """Empty the profiles of ``samples`` (a tombstone each); returns the barcodes erased."""
    erased = []
    for sample in samples:
        if not sample.profile:
            continue
        Sample.objects.filter(pk=sample.pk).update(profile="")
        leave_tombstone("reference_profile", sample.code, reason, rule, sample.created)
        erased.append(sample.code)
    return erased


def delete_unnamed_files(digests: Iterable[str]) -> None:
    """Remove from disk the stored files that no attachment names any more (run on commit)."""
    for digest in set(digests):
        if not Attachment.objects.filter(sha256=digest).exists():
            attachment_path(digest).unlink(missing_ok=True)


def request_leftovers(tracing_request: TracingRequest) -> list[str]:
    """What personal data a withdrawn request still holds (empty when it was erased completely)."""
    left = []
    if tracing_request.enquirer_name or tracing_request.contact:
        left.append("contacts")
    if tracing_request.circumstances or tracing_request.last_known_place or tracing_request.last_contact:
        left.append("testimony")
    if tracing_request.samples.exclude(profile="").exists():
        left.append("reference profiles")
    if FamilyMessage.objects.filter(tracing_request=tracing_request).exists():
        left.append("messages")
    if FamilyUpdate.objects.filter(tracing_request=tracing_request).exists():
        left.append("updates")
    source = find_family_report(tracing_request)
    if source is not None and Attachment.objects.filter(source=source).exists():
        left.append("attachments")
    return left


def erase_request(tracing_request: TracingRequest, reason: str, rule: str) -> list[str]:
    """Erase the personal data of a tracing request as far as the purpose allows.

    Kept: the request's number, dates and status (a stub behind its tombstone), the organisations the family
    chose (their staff see the withdrawal), its reference samples' barcodes and relationships (the lab's own
    records name them), and the person record when other sources speak of him. Erased: the enquirer's name
    and contacts, testimony, the access code, the DNA consent and profiles, messages and updates, the
    family's files, the names the family gave (unless they are the only names other sources' records of the
    person have) and, when no one else speaks of the person, what the family said of him; the family's
    report claim is retracted. Returns the SHA-256 of the files whose records went (deleted from disk on
    commit when nothing else names them)."""
    now = timezone.now()
    erase_reference_profiles(tracing_request.samples.all(), reason, rule)
    FamilyMessage.objects.filter(tracing_request=tracing_request).delete()
    FamilyUpdate.objects.filter(tracing_request=tracing_request).delete()
    digests: list[str] = []
    source = find_family_report(tracing_request)
    if source is not None:
        attachments = Attachment.objects.filter(source=source)
        digests = list(attachments.values_list("sha256", flat=True))
        attachments.delete()
        for claim in Claim.objects.filter(source=source, retraction__isnull=True):
            ClaimRetraction.objects.create(
                claim=claim, reason=f"{reason}: tracing request {tracing_request.number}"
            )
        redact_claims(list(Claim.objects.filter(source=source).values_list("pk", flat=True)))
    person = tracing_request.person
    others = (
        Claim.objects.filter(person=person).exclude(source=source).exists()
        or TracingRequest.objects.filter(person=person).exclude(pk=tracing_request.pk).exists()
        or person.merged_from.exists()
        or person.merged_into_id is not None
    )
    if source is not None:
        family_names = NameVariant.objects.filter(source=source)
        if not others or NameVariant.objects.filter(person=person).exclude(source=source).exists():
            # the names the family gave go, unless they are the only names the other sources' records have
            family_names.delete()
    if not others:
        # only this family spoke of him: what it said of him goes with its request
        NameVariant.objects.filter(person=person).delete()
        Person.objects.filter(pk=person.pk).update(
            birth_date="",
            birth_place="",
            service_number="",
            unit="",
            rank="",
            military_branch="",
            region="",
            height_cm=None,
            physical_description="",
            distinguishing_marks="",
        )
    TracingRequest.objects.filter(pk=tracing_request.pk).update(
        enquirer_name="",
        contact="",
        circumstances="",
        last_known_place="",
        last_contact="",
        access_code_hash="",
        consent_dna=False,
        status=TracingRequest.Status.CLOSED,
        closed_at=tracing_request.closed_at or now,
        withdrawn_at=tracing_request.withdrawn_at or now,
        dna_consent_withdrawn_at=tracing_request.dna_consent_withdrawn_at or now,
    )
    # the organisations the family chose keep seeing the stub, so their staff learn of the withdrawal
    leave_tombstone("request", tracing_request.number, reason, rule, tracing_request.submitted_at)
    tracing_request.refresh_from_db()
    transaction.on_commit(lambda: delete_unnamed_files(digests))
    return digests


def erase_contacts(tracing_request: TracingRequest, reason: str, rule: str) -> None:
    TracingRequest.objects.filter(pk=tracing_request.pk).update(enquirer_name="", contact="")
    leave_tombstone("request_contacts", tracing_request.number, reason, rule, tracing_request.submitted_at)


def erase_orphan_file(digest: str, reason: str, rule: str) -> bool:
    """Remove one stored file no attachment names; False when a record names it after all."""
    if Attachment.objects.filter(sha256=digest).exists():
        return False
    path = attachment_path(digest)
    created = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) if path.exists() else None
    leave_tombstone("upload", digest, reason, rule, created)
    transaction.on_commit(lambda: attachment_path(digest).unlink(missing_ok=True))
    return True


__all__ = [
    "RULES",
    "DueRecord",
    "Rule",
    "delete_unnamed_files",
    "due_records",
    "erase_contacts",
    "erase_orphan_file",
    "erase_reference_profiles",
    "erase_request",
    "request_leftovers",
]


@dataclass
class RetentionReport:
    due: list[DueRecord]
    erased: int = 0


def run_retention(*, dry_run: bool = False, now: dt.datetime | None = None) -> RetentionReport:
    """List what is due and, unless ``dry_run``, erase it record by record (each its own transaction:
    a failure leaves that record whole and the run goes on to the next; the next run retries it)."""
    import logging

    from kinlink.registry.actions import apply_retention

    report = RetentionReport(due=due_records(now))
    if dry_run:
        return report
    for due in report.due:
        try:
            if apply_retention(due):
                report.erased += 1
        except Exception:  # one record's failure must not stop the others; logged with its traceback
            logging.getLogger(__name__).exception("retention: %s %s not erased", due.kind, due.record_id)
    return report
