"""DNA identification actions: one function per transition, the only write path for samples, profiles,
screening runs and identification decisions.

* :func:`register_sample`, :func:`register_reference_samples`: the lab registers samples by barcode
  (reference donors' relationships from the closed list of :mod:`kinlink.identification.relationships`).
* :func:`store_lab_profiles`: every profile upload (lab console CSV, API, ``kinlink exchange
  genotypes-import``) parses with the one allele rule (:mod:`kinlink.exchange.genotypes`), stores the
  profiles of the uploading lab's samples, audits each sample and queues a screening run on commit.
* :func:`queue_screening` / :func:`run_screening`: a run is queued in the database and enqueued as a
  django-tasks task on commit; the worker (``kinlink worker``) runs it and turns pairs at or above
  ``KINLINK_SCREENING_THRESHOLD`` into candidates for the caseworkers' DNA queue.
* :func:`decide_identification`: two different staff members confirm, only at a posterior of at least
  ``KINLINK_IDENTIFICATION_POSTERIOR``; the second confirmation writes the ``dna_identification`` claim
  (through :func:`kinlink.registry.actions.record_dna_identification`), marks the sample and the remains,
  and gives each case that follows the request the task "tell the family in person". Nothing is sent to
  the family: news of a death goes to a caseworker first.

Every action is atomic, writes nothing when it refuses, and audits in the registry's vocabulary.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from kinlink.exchange.errors import ImportRefused, RowError
from kinlink.exchange.genotypes import decode_utf8, read_genotype_file
from kinlink.genetics.posterior import posterior_probability
from kinlink.identification.models import (
    CandidateIdentification,
    IdentificationDecision,
    LabUpload,
    ProfileRevision,
    ScreeningRun,
)
from kinlink.identification.pedigrees import no_dna_consent, unknown_request
from kinlink.identification.relationships import RELATIONSHIP_LABELS, canonical_relationship
from kinlink.identification.services import (
    IdentificationError,
    direct_fingerprint,
    direct_reference,
    family_from_samples,
    fingerprint_of,
    identified_elsewhere,
    remains_dropout,
)
from kinlink.lib.faults import pause_at
from kinlink.registry import actions as registry_actions
from kinlink.registry.models import Case, Organisation, Remains, Sample, TracingRequest
from kinlink.registry.services import audit
from kinlink.registry.services.access import requests_of_labs

logger = logging.getLogger(__name__)

Actor = Any  # AbstractBaseUser | AnonymousUser | None

BARCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,49}$")
REFERENCE_COLUMNS = ("sample", "relationship")


class SampleError(ValueError):
    """A sample that cannot be registered; the message says why."""


def required_posterior() -> float:
    """The posterior an identification needs (``settings.KINLINK_IDENTIFICATION_POSTERIOR``)."""
    return float(settings.KINLINK_IDENTIFICATION_POSTERIOR)


def _labs(lab: Organisation | Iterable[Organisation]) -> list[Organisation]:
    return [lab] if isinstance(lab, Organisation) else list(lab)


def _relationship_hint() -> str:
    return ", ".join(RELATIONSHIP_LABELS)


# ------------------------------------------------------------------------------------------------ samples


def register_sample(actor: Actor, lab: Organisation, code: str, kind: str, relationship: str = "") -> Sample:
    """One sample registered by a lab under its barcode. A reference sample's relationship must be one of
    the closed list (in English, Russian or Ukrainian) and is stored as its canonical code."""
    code = code.strip()
    if not BARCODE.match(code):
        raise SampleError(
            gettext("barcode '%(code)s': use 3 to 50 letters, digits, dots, dashes or underscores")
            % {"code": code[:60]}
        )
    if kind not in Sample.Kind.values:
        raise SampleError(gettext("unknown sample kind '%(kind)s'") % {"kind": kind})
    canonical = ""
    if relationship.strip():
        if kind != Sample.Kind.REFERENCE:
            raise SampleError(gettext("only a reference sample has a donor's relationship"))
        found = canonical_relationship(relationship)
        if found is None:
            raise SampleError(
                gettext("relationship '%(value)s' is not in the list: use one of %(values)s")
                % {"value": relationship.strip()[:40], "values": _relationship_hint()}
            )
        canonical = found
    with transaction.atomic():
        if Sample.objects.filter(code=code).exists():
            raise SampleError(gettext("barcode '%(code)s' is already registered") % {"code": code})
        sample = Sample.objects.create(code=code, kind=kind, lab=lab, relationship=canonical)
        audit.record(actor, "register_sample", sample, lab=lab.slug)
    return sample


def _read_table(filename: str, data: bytes, required: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
    text = decode_utf8(data, filename)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [h.strip().lower() for h in (rows[0] if rows else [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRefused(
            [RowError(filename, 1, "header", f"expected '{','.join(required)}', found '{','.join(header)}'")]
        )
    body = rows[1:]
    if not any(any(cell.strip() for cell in row) for row in body):
        raise ImportRefused([RowError(filename, 2, required[0], "the file has no data rows")])
    return header, body


def register_reference_samples(actor: Actor, lab: Organisation, filename: str, data: bytes) -> list[Sample]:
    """Relatives' reference samples from a CSV ``sample,relationship[,request]``: the barcode, the donor's
    relationship to the missing person (closed list, in the lab's language) and, optionally, the number
    of the tracing request the kit was sent for (it links the sample to that family for screening).

    All or nothing: every problem of the file is reported with its row and column."""
    header, body = _read_table(filename, data, REFERENCE_COLUMNS)
    col = {name: header.index(name) for name in (*REFERENCE_COLUMNS, "request") if name in header}
    problems: list[RowError] = []
    parsed: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    rows = [(n, r) for n, r in enumerate(body, start=2) if any(c.strip() for c in r)]
    codes = [cell(r, "sample") for _, r in rows]
    numbers = {cell(r, "request") for _, r in rows} - {""}
    existing = set(Sample.objects.filter(code__in=codes).values_list("code", flat=True))
    # only the requests the lab works for: another organisation's number is as unknown as a made-up one
    requests = {r.number: r for r in requests_of_labs([lab]).filter(number__in=numbers)}
    for index, row in rows:
        code, value, number = cell(row, "sample"), cell(row, "relationship"), cell(row, "request")
        if not BARCODE.match(code):
            problems.append(RowError(filename, index, "sample", f"'{code[:60]}' is not a valid barcode"))
        elif code in existing or code in seen:
            problems.append(RowError(filename, index, "sample", f"'{code}' is already registered"))
        seen.add(code)
        relationship = canonical_relationship(value)
        if relationship is None:
            problems.append(
                RowError(
                    filename,
                    index,
                    "relationship",
                    f"'{value[:40]}' is not in the list: use one of {_relationship_hint()} "
                    "(or мать, отец, сын, дочь, брат, сестра, жена, муж, личная вещь; мати, батько, син, "
                    "донька, дружина, чоловік, особиста річ)",
                )
            )
        if number and number not in requests:
            problems.append(RowError(filename, index, "request", unknown_request(number, [lab])))
        elif number and not requests[number].consent_dna:
            problems.append(RowError(filename, index, "request", no_dna_consent(number)))
        parsed.append((code, relationship or "", number))
    if problems:
        raise ImportRefused(problems)
    today = timezone.localdate()
    created: list[Sample] = []
    with transaction.atomic():
        for code, relationship, number in parsed:
            sample = Sample.objects.create(
                code=code,
                kind=Sample.Kind.REFERENCE,
                relationship=relationship,
                lab=lab,
                tracing_request=requests.get(number),
                status=Sample.Status.COLLECTED,
                collected_on=today,
            )
            audit.record(actor, "register_sample", sample, lab=lab.slug, file=filename)
            created.append(sample)
    return created


# ------------------------------------------------------------------------------------------------ profiles


@dataclass
class ProfileUpload:
    """What an upload stored: samples whose profile was stored (or changed), samples already holding the
    same profile, the markers stored, and the screening run it queued (None when nothing changed)."""

    stored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    markers: int = 0
    run: ScreeningRun | None = None

    @property
    def samples(self) -> int:
        return len(self.stored) + len(self.unchanged)


class ProfileConflict(ImportRefused):
    """An upload refused because it would replace a profile that screening results or an identification
    rest on (the API answers 409); ``errors`` holds every problem of the upload."""


def _candidates_on(sample: Sample) -> Any:
    """The candidate identifications this sample's profile took part in (a remains sample's own, or its
    family's for a reference sample)."""
    if sample.kind == Sample.Kind.REMAINS:
        return CandidateIdentification.objects.filter(remains_sample=sample)
    if sample.tracing_request_id is None:
        return CandidateIdentification.objects.none()
    return CandidateIdentification.objects.filter(tracing_request_id=sample.tracing_request_id)


def _identified(sample: Sample) -> bool:
    """An identification rests on this sample's stored profile: its profile is never replaced."""
    if sample.status == Sample.Status.MATCHED:
        return True
    if sample.remains is not None and sample.remains.status in (
        Remains.Status.IDENTIFIED,
        Remains.Status.RETURNED,
    ):
        return True
    return _candidates_on(sample).filter(status=CandidateIdentification.Status.IDENTIFIED).exists()


def _has_results(sample: Sample) -> bool:
    """Screening results or an identification rest on this sample's stored profile."""
    return sample.status == Sample.Status.SEARCHED or _identified(sample) or _candidates_on(sample).exists()


def store_lab_profiles(
    actor: Actor,
    lab: Organisation | Iterable[Organisation],
    filename: str,
    data: bytes,
    *,
    label: str = "",
    reanalysis: bool = False,
) -> ProfileUpload:
    """Store the genotype profiles of a genotype CSV on the uploading lab's own samples and queue a
    screening run on commit.

    Refused whole, with every problem (file, row, column): a bad allele or marker, more markers than
    ``KINLINK_MAX_MARKERS_PER_PROFILE`` for one sample, a sample the lab does not hold (another lab's
    sample is reported exactly as an unknown one), a sample with no typed marker, a reference sample given
    for a family that has not agreed to give DNA (``TracingRequest.consent_dna``), and a different profile
    for a sample whose stored profile screening results rest on, unless the upload is a ``reanalysis``
    (:class:`ProfileConflict`). A re-analysis keeps the replaced profile as a :class:`ProfileRevision`
    (audited ``reanalyse_profile``); the earlier candidates keep their decisions, and the new data are
    screened again. No upload, re-analysis or not, replaces the profile an identification rests on. A
    profile is stored on a registered or collected sample as "profiled"; a later status (searched,
    matched) is never reset."""
    labs = _labs(lab)
    parsed = read_genotype_file(data, filename)
    result = ProfileUpload()
    with transaction.atomic():
        codes = [code for code in parsed.profiles if code]
        samples: dict[str, Sample] = {}
        for start in range(0, len(codes), 5000):  # in chunks: a database takes so many parameters at once
            samples.update(
                (s.code, s)
                for s in Sample.objects.select_for_update(of=("self",))
                .select_related("tracing_request", "remains")
                .filter(code__in=codes[start : start + 5000], lab__in=labs)
            )
        problems: list[RowError] = list(parsed.problems)
        conflict = False
        for code, profile in parsed.profiles.items():
            if not code:
                continue  # an empty sample cell: reported by the reader
            row = parsed.first_row.get(code, 0)
            sample = samples.get(code)
            if sample is None:
                problems.append(
                    RowError(filename, row, "sample", f"'{code}' is not a sample held by your lab")
                )
                continue
            if not profile:
                problems.append(RowError(filename, row, "sample", f"'{code}': no typed marker"))
                continue
            if sample.tracing_request is not None and not sample.tracing_request.consent_dna:
                problems.append(
                    RowError(
                        filename,
                        row,
                        "sample",
                        f"'{code}': the family this reference sample was given for has not agreed to give "
                        "DNA; its profile is not stored",
                    )
                )
                continue
            if not sample.profile or json.loads(sample.profile) == profile:
                continue
            if _identified(sample):
                conflict = True
                problems.append(
                    RowError(
                        filename,
                        row,
                        "sample",
                        f"'{code}' is part of a DNA identification; its profile cannot be replaced, not "
                        "even by a re-analysis (ask the caseworkers to review the identification first)",
                    )
                )
            elif not reanalysis and _has_results(sample):
                conflict = True
                problems.append(
                    RowError(
                        filename,
                        row,
                        "sample",
                        f"'{code}' already has a profile that screening results rest on; upload the new "
                        "one as a re-analysis (the earlier profile is kept) or leave it as it is",
                    )
                )
        if problems:
            ordered = sorted(problems, key=lambda p: (p.row, p.column))
            raise ProfileConflict(ordered) if conflict else ImportRefused(ordered)
        replaced_by = actor if getattr(actor, "is_authenticated", False) else None
        revisions: list[ProfileRevision] = []
        changed: list[Sample] = []
        entries: list[tuple[str, Sample, dict[str, Any]]] = []
        for code, profile in parsed.profiles.items():
            sample = samples[code]
            if sample.profile and json.loads(sample.profile) == profile:
                result.unchanged.append(code)
                continue
            if sample.profile:  # a re-analysis (or a profile no result rests on yet): the old one is kept
                revisions.append(
                    ProfileRevision(
                        sample=sample,
                        profile=sample.profile,
                        status=sample.status,
                        replaced_by=replaced_by,
                        label=label[:200],
                        file=filename[:200],
                    )
                )
            action = audit.Action.REANALYSE_PROFILE if sample.profile else audit.Action.LOAD_PROFILE
            sample.profile = json.dumps(profile, sort_keys=True)
            if sample.status in (Sample.Status.REGISTERED, Sample.Status.COLLECTED):
                sample.status = Sample.Status.PROFILED
            changed.append(sample)
            entries.append((action, sample, {"markers": len(profile), "file": filename}))
            result.stored.append(code)
            result.markers += len(profile)
        # in batches: a 20 MB file changes tens of thousands of samples within one request
        ProfileRevision.objects.bulk_create(revisions, batch_size=500)
        _save_profiles(changed)
        audit.record_many(actor, entries, label=label)
        if result.stored:
            result.run = queue_screening(f"lab upload {filename}: {len(result.stored)} profiles")
    return result


def _save_profiles(samples: list[Sample]) -> None:
    """Write the samples' profiles (encrypted by the field, as ``save`` would) and statuses in one
    prepared statement run once per sample: ``bulk_update``'s CASE expressions take a minute for the
    tens of thousands of samples of a 20 MB file."""
    if not samples:
        return
    meta = Sample._meta
    profile, status = meta.get_field("profile"), meta.get_field("status")
    table, qn = meta.db_table, connection.ops.quote_name
    sql = (
        f"UPDATE {qn(table)} SET {qn(profile.column)} = %s, {qn(status.column)} = %s "
        f"WHERE {qn(meta.pk.column)} = %s"
    )
    rows = [(profile.get_db_prep_save(s.profile, connection), s.status, s.pk) for s in samples]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# ------------------------------------------------------------------------------------------ large uploads


def queue_lab_upload(
    actor: Actor,
    lab: Organisation | Iterable[Organisation],
    filename: str,
    data: bytes,
    *,
    reanalysis: bool = False,
) -> LabUpload:
    """Keep a large genotype file (encrypted) for the worker, which stores it with
    :func:`store_lab_profiles` (:func:`run_lab_upload`): a 20 MB file takes longer than a web request
    may. Enqueued on commit; a file whose task is lost is run by the worker's next pass. A file that is
    not UTF-8 is refused at once, with its row and column."""
    text = decode_utf8(data, filename)
    with transaction.atomic():
        upload = LabUpload.objects.create(
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            filename=filename[:200],
            content=text,
            size=len(data),
            reanalysis=reanalysis,
        )
        upload.labs.set(_labs(lab))
        audit.record(actor, audit.Action.QUEUE_LAB_UPLOAD, upload, file=filename, bytes=len(data))
        upload_id = upload.pk
        transaction.on_commit(lambda: _start_upload(upload_id))
    return upload


def _start_upload(upload_id: int) -> None:
    from kinlink.identification.tasks import store_queued_upload

    try:
        store_queued_upload.enqueue(upload_id)
    except Exception:  # the upload stays queued: the worker's next pass runs it
        logger.exception("lab upload %s could not be enqueued; the worker will pick it up", upload_id)


def run_lab_upload(upload: LabUpload) -> LabUpload:
    """Store a queued upload's profiles (all or nothing) and keep the outcome: done with its counts,
    refused with its problems (at most 1,000 listed), or failed with the reason logged. The file's
    content is emptied either way."""
    taken = LabUpload.objects.filter(pk=upload.pk, status=LabUpload.Status.QUEUED).update(
        status=LabUpload.Status.RUNNING
    )
    upload.refresh_from_db()
    if not taken:
        return upload
    try:
        result = store_lab_profiles(
            upload.uploaded_by,
            list(upload.labs.all()),
            upload.filename,
            upload.content.encode("utf-8"),
            label=f"lab upload {upload.pk}",
            reanalysis=upload.reanalysis,
        )
    except ImportRefused as exc:
        upload.status = LabUpload.Status.REFUSED
        upload.problems = [str(problem) for problem in exc.errors[:1000]]
    except Exception:  # recorded for the lab and logged with its traceback for the operator
        logger.exception("lab upload %s failed", upload.pk)
        upload.status = LabUpload.Status.FAILED
    else:
        upload.status = LabUpload.Status.DONE
        upload.stored, upload.unchanged, upload.markers = (
            len(result.stored),
            len(result.unchanged),
            result.markers,
        )
        upload.run = result.run
    upload.content = ""
    upload.finished = timezone.now()
    upload.save()
    return upload


def run_queued_lab_uploads() -> list[LabUpload]:
    """Run every lab upload still queued, oldest first (each pass of ``kinlink worker``)."""
    return [
        run_lab_upload(LabUpload.objects.get(pk=pk))
        for pk in LabUpload.objects.filter(status=LabUpload.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    ]


# ------------------------------------------------------------------------------------------------ screening


def queue_screening(
    reason: str,
    *,
    theta: float | None = None,
    remains_dropout: float | None = None,
    field_grave_dropout: float | None = None,
) -> ScreeningRun:
    """A screening run in the queue; on commit it is enqueued for the worker (django-tasks), or run
    there and then with ``KINLINK_SCREENING_IMMEDIATE``. A run whose task is lost stays queued and
    ``kinlink worker`` runs it on its next pass.

    ``theta``, ``remains_dropout`` and ``field_grave_dropout`` default to the ``KINLINK_SCREENING_*``
    settings (docs/methods/screening.md, section 1.4); each must be in [0, 1).

    A run still waiting in the queue with the same options already covers the new data (a run reads the
    profiles when it starts), so it is returned instead of a second one: a lab posting profiles one by one
    through the API queues one screening, not one per sample. It is locked until this transaction commits,
    so a worker cannot start it before the new data are visible."""
    options = {
        "theta": float(getattr(settings, "KINLINK_SCREENING_THETA", 0.0)) if theta is None else theta,
        "remains_dropout": float(getattr(settings, "KINLINK_SCREENING_REMAINS_DROPOUT", 0.0))
        if remains_dropout is None
        else remains_dropout,
        "field_grave_dropout": float(getattr(settings, "KINLINK_SCREENING_FIELD_GRAVE_DROPOUT", 0.0))
        if field_grave_dropout is None
        else field_grave_dropout,
    }
    for name, value in options.items():
        if not 0.0 <= value < 1.0:
            raise IdentificationError(f"{name} must be in [0, 1), got {value}", code="screening_option")
    waiting = (
        ScreeningRun.objects.select_for_update()
        .filter(status=ScreeningRun.Status.QUEUED, **options)
        .order_by("pk")
        .first()
    )
    if waiting is not None:
        return waiting
    run = ScreeningRun.objects.create(
        reason=reason[:200], threshold=float(settings.KINLINK_SCREENING_THRESHOLD), **options
    )
    run_id = run.pk
    transaction.on_commit(lambda: _start(run_id))
    return run


def _start(run_id: int) -> None:
    if settings.KINLINK_SCREENING_IMMEDIATE:
        run_screening(ScreeningRun.objects.get(pk=run_id))
        return
    from kinlink.identification.tasks import screen_after_upload

    try:
        screen_after_upload.enqueue(run_id)
    except Exception:  # the run stays queued: the worker's next pass runs it
        logger.exception("screening run %s could not be enqueued; the worker will pick it up", run_id)


def run_queued_screenings() -> list[ScreeningRun]:
    """Run every screening run still queued, oldest first (each pass of ``kinlink worker``)."""
    done = []
    for run_id in (
        ScreeningRun.objects.filter(status=ScreeningRun.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        done.append(run_screening(ScreeningRun.objects.get(pk=run_id)))
    return done


def _claim(run: ScreeningRun) -> bool:
    """Move the run from queued to running; False when another worker already took it."""
    from kinlink.registry.services.workers import current_worker_id

    started, worker_id = timezone.now(), current_worker_id()
    taken = ScreeningRun.objects.filter(pk=run.pk, status=ScreeningRun.Status.QUEUED).update(
        status=ScreeningRun.Status.RUNNING, started=started, worker_id=worker_id
    )
    if taken:
        run.status, run.started, run.worker_id = ScreeningRun.Status.RUNNING, started, worker_id
    return bool(taken)


def requeue_orphaned_screenings() -> list[int]:
    """Put back in the queue every screening run still RUNNING whose worker died; returns their ids.

    Screening may run again: a pair already proposed on the same data is not proposed twice
    (:func:`_propose`). A run whose worker is dead (``registry.services.workers``) goes back at once; a run
    claimed outside a worker, or by an unknown one, after ``KINLINK_WORKER_LEASE`` from its start. One audit
    entry names them."""
    from kinlink.registry.services import workers

    now = timezone.now()
    requeued: list[int] = []
    with transaction.atomic():
        live, known = workers.live_worker_ids(), workers.known_worker_ids()
        for run in ScreeningRun.objects.filter(status=ScreeningRun.Status.RUNNING).order_by("pk"):
            if run.worker_id in live:
                continue
            if run.worker_id not in known and run.started and run.started > now - workers.lease():
                continue
            if ScreeningRun.objects.filter(pk=run.pk, status=ScreeningRun.Status.RUNNING).update(
                status=ScreeningRun.Status.QUEUED, started=None, worker_id=""
            ):
                requeued.append(run.pk)
        if requeued:
            audit.record(
                None,
                audit.Action.REQUEUE_ORPHANED_SCREENINGS,
                object_type="screeningrun",
                object_id=",".join(map(str, requeued))[:100],
                label="worker",
                runs=requeued,
            )
    return requeued


def run_screening(run: ScreeningRun) -> ScreeningRun:
    """Screen every profiled remains sample against every family with profiled references whose request
    has the family's DNA consent (references of other requests are skipped, and counted in the notes).

    The frequency table and mutation spec are the run's own when it names them (the demo does), else the
    settings'; the run records the ones it used, so that a report recomputes with the same. A failure is
    logged with its traceback and the run is FAILED with its reason in ``notes``."""
    if not _claim(run):
        run.refresh_from_db()
        return run
    pause_at("screening")
    notes: list[str] = []
    try:
        created, pairs = _screen(run, notes)
        run.candidates_created, run.pairs_screened = created, pairs
        run.status = ScreeningRun.Status.DONE
    except Exception as exc:  # the job records its failure for the operator, and logs it
        logger.exception("screening run %s failed", run.pk)
        run.status = ScreeningRun.Status.FAILED
        notes.append(f"failed: {exc}")
    run.notes = "\n".join(notes)
    run.finished = timezone.now()
    run.save()
    return run


def _screen(run: ScreeningRun, notes: list[str]) -> tuple[int, int]:
    from kinlink.genetics.markers import read_frequency_table
    from kinlink.genetics.mutation import parse_mutation_spec
    from kinlink.genetics.reassociation import direct_match
    from kinlink.genetics.screening import ScreeningIndex, ScreeningPanel, Target
    from kinlink.identification.context import PriorBook, root_person_id
    from kinlink.identification.pedigrees import stored_pedigrees

    path = run.frequencies or settings.KINLINK_DNA_FREQUENCIES
    if not path:
        raise IdentificationError("KINLINK_DNA_FREQUENCIES is not set: no frequency table to screen with")
    db = read_frequency_table(str(path))
    spec = run.mutation or settings.KINLINK_DNA_MUTATION or ""
    mutation = parse_mutation_spec(spec) if spec else None
    run.frequencies, run.mutation = str(path), spec
    run.direct_dropout = float(getattr(settings, "KINLINK_DIRECT_MATCH_DROPOUT", 0.0))
    by_request: dict[int, list[Sample]] = {}
    # only the references of families that agreed to give DNA (``TracingRequest.consent_dna``) and did not
    # withdraw that consent since
    references = Sample.objects.filter(kind=Sample.Kind.REFERENCE, tracing_request__isnull=False).exclude(
        profile=""
    )
    consented = references.filter(
        tracing_request__consent_dna=True, tracing_request__dna_consent_withdrawn_at__isnull=True
    )
    skipped = references.count() - consented.count()
    if skipped:
        notes.append(f"{skipped} reference sample(s) of requests without DNA consent: not screened")
    for s in consented:
        by_request.setdefault(int(s.tracing_request_id), []).append(s)  # type: ignore[arg-type]
    requests = TracingRequest.objects.select_related("person").in_bulk(list(by_request))
    pedigrees = stored_pedigrees(by_request)
    families = []
    direct: dict[str, dict[str, list[str]]] = {}  # family id -> the missing person's own profile
    for rid, samples in sorted(by_request.items()):
        family, fam_notes = family_from_samples(requests[rid], samples, pedigrees)
        notes.extend(fam_notes)
        if family.references:
            families.append(family)
        own, own_notes = direct_reference(samples)
        notes.extend(own_notes)
        if own is not None:
            direct[str(rid)] = json.loads(own.profile)
    remains_samples = {
        s.code: s
        for s in Sample.objects.filter(kind=Sample.Kind.REMAINS)
        .exclude(profile="")
        .select_related("remains__site", "remains__batch", "remains__event")
    }
    remains = {code: json.loads(s.profile) for code, s in remains_samples.items()}
    screened = {f.id for f in families} | set(direct)
    if not screened or not remains:
        return 0, 0
    book = PriorBook({fid: root_person_id(requests[int(fid)].person) for fid in sorted(screened)})
    created = pairs = 0
    if families:
        profiles = [*remains.values(), *(p for f in families for p in f.references.values())]
        panel = ScreeningPanel.build(db, profiles, mutation=mutation, theta=run.theta)
        index = ScreeningIndex(panel, threshold=run.threshold, top=5)
        index.add_families(families)
        index.add_remains(remains, {code: remains_dropout(run, s) for code, s in remains_samples.items()})
        if run.theta > 0:
            notes.append(f"theta = {run.theta:g} (Balding–Nichols) for founders and remains")
        pairs += index.screen()
        notes.extend(index.notes)
        fam_by_id = {f.id: f for f in families}
        for cand in index.candidates():
            if cand.log10_lr is None or cand.log10_lr < math.log10(run.threshold):
                continue
            per_marker = index.marker_log10_lrs(cand.remains, Target(cand.family, cand.missing))
            created += _propose(
                run,
                book,
                remains_samples[cand.remains],
                requests[int(cand.family)],
                cand.family,
                CandidateIdentification.Method.KINSHIP,
                float(cand.lr or 0.0),
                float(cand.log10_lr),
                per_marker,
                fingerprint_of(remains[cand.remains], fam_by_id[cand.family]),
            )
    if direct:
        matches, direct_notes = direct_match(
            remains, direct, db, dropout=run.direct_dropout, threshold=run.threshold
        )
        notes.extend(direct_notes)
        pairs += len(remains) * len(direct)
        for match in matches:
            created += _propose(
                run,
                book,
                remains_samples[match.remains],
                requests[int(match.reference)],
                match.reference,
                CandidateIdentification.Method.DIRECT,
                10.0**match.log10_lr,
                match.log10_lr,
                match.per_marker,
                direct_fingerprint(remains[match.remains], direct[match.reference]),
            )
    return created, pairs


def _propose(
    run: ScreeningRun,
    book: Any,
    sample: Sample,
    request: TracingRequest,
    family: str,
    method: str,
    lr: float,
    log10_lr: float,
    per_marker: dict[str, float],
    fingerprint: str,
) -> int:
    """One candidate for the caseworkers' queue (0 when the pair was already proposed on the same data:
    its decisions stand), with the prior of the remains' context, its basis and any non-DNA conflict."""
    if CandidateIdentification.objects.filter(
        remains_sample=sample, tracing_request=request, fingerprint=fingerprint
    ).exists():
        return 0
    stated = book.prior(sample.remains, family)
    driving = sorted(per_marker.items(), key=lambda kv: -kv[1])[:5]
    lr = lr if math.isfinite(lr) else 1e308
    CandidateIdentification.objects.create(
        run=run,
        remains_sample=sample,
        tracing_request=request,
        method=method,
        lr=lr,
        log10_lr=log10_lr,
        prior=stated.prior,
        prior_basis=stated.basis,
        non_dna_conflict=stated.conflict,
        posterior=posterior_probability(lr, stated.prior),
        driving_markers=[{"marker": m, "log10_lr": round(v, 4)} for m, v in driving],
        fingerprint=fingerprint,
    )
    return 1


# ------------------------------------------------------------------------------------------------ decisions


def decide_identification(
    actor: Actor, candidate: CandidateIdentification, decision: str, note: str = ""
) -> CandidateIdentification:
    """Record one staff member's decision on a candidate (every decision is kept).

    "Not this family" closes the candidate. A confirmation needs a posterior of at least
    :func:`required_posterior`; the second confirmation by a different staff member identifies the
    remains: the candidate, the remains sample (MATCHED) and the remains (identified, with the person)
    change, the ``dna_identification`` claim is written (the person's fate is recomputed), and every case
    of the person held by an organisation following the request (one is opened when there is none) gets
    the task to tell the family in person. Raises :class:`IdentificationError` (``code`` names the rule)."""
    if decision not in IdentificationDecision.Decision.values:
        raise IdentificationError(f"decision must be one of {IdentificationDecision.Decision.values}")
    needed = required_posterior()
    with transaction.atomic():
        candidate = (
            CandidateIdentification.objects.select_for_update(of=("self",))
            .select_related("remains_sample", "tracing_request__person", "run")
            .get(pk=candidate.pk)
        )
        if candidate.status in (
            CandidateIdentification.Status.IDENTIFIED,
            CandidateIdentification.Status.REJECTED,
        ):
            raise IdentificationError(f"candidate {candidate.pk} is already {candidate.status}", "decided")
        if candidate.decisions.filter(staff=actor).exists():
            raise IdentificationError(
                "this staff member has already decided; a different staff member must confirm", "same_staff"
            )
        if decision == IdentificationDecision.Decision.CONFIRM:
            if candidate.posterior < needed:
                raise IdentificationError(
                    f"posterior {candidate.posterior:.6f} is below {needed:.2%}: more references are "
                    "needed before this can be confirmed",
                    "posterior",
                )
            other = identified_elsewhere(candidate)
            if other is not None:
                raise IdentificationError(
                    f"remains sample {candidate.remains_sample} is already identified (candidate {other.pk})",
                    "remains_identified",
                )
        IdentificationDecision.objects.create(candidate=candidate, staff=actor, decision=decision, note=note)
        if decision == IdentificationDecision.Decision.REJECT:
            candidate.status = CandidateIdentification.Status.REJECTED
        elif (
            candidate.decisions.filter(decision=IdentificationDecision.Decision.CONFIRM)
            .values("staff")
            .distinct()
            .count()
            >= 2
        ):
            candidate.status = CandidateIdentification.Status.IDENTIFIED
        else:
            candidate.status = CandidateIdentification.Status.CONFIRMED_ONCE
        candidate.save(update_fields=["status"])
        tracing_request = candidate.tracing_request
        audit.record(
            actor,
            "confirm_identification"
            if decision == IdentificationDecision.Decision.CONFIRM
            else "reject_identification",
            candidate,
            status=candidate.status,
            remains=candidate.remains_sample.code,
            request=tracing_request.number,
        )
        if candidate.status == CandidateIdentification.Status.IDENTIFIED:
            _identify(actor, candidate)
    return candidate


def _identify(actor: Actor, candidate: CandidateIdentification) -> None:
    sample = candidate.remains_sample
    tracing_request = candidate.tracing_request
    person = tracing_request.person
    if sample.status != Sample.Status.MATCHED:
        Sample.objects.filter(pk=sample.pk).update(status=Sample.Status.MATCHED)
        sample.status = Sample.Status.MATCHED
    remains = sample.remains
    if remains is not None:  # the remains now have a name (seen by staff only)
        remains.identified_person = person
        remains.status = Remains.Status.IDENTIFIED
        remains.save(update_fields=["identified_person", "status"])
    audit.record(
        actor,
        "identify_remains",
        remains if remains is not None else sample,
        sample=sample.code,
        person=str(person.uid),
        candidate=candidate.pk,
        request=tracing_request.number,
    )
    registry_actions.record_dna_identification(
        actor,
        person,
        remains_code=sample.code,
        run_id=candidate.run_id,
        lr=candidate.lr,
        posterior=candidate.posterior,
        candidate_id=candidate.pk,
        organisation=tracing_request.organisation,
    )
    inform_family_tasks(actor, candidate)


def family_cases(tracing_request: TracingRequest) -> tuple[list[Case], list[Organisation]]:
    """The cases of the person held by the organisations following the request (the request's own
    organisation first), else any case of the person; and those organisations."""
    person = tracing_request.person
    orgs = list(tracing_request.consent_organisations.all().order_by("pk"))
    if tracing_request.organisation is not None:
        orgs = [tracing_request.organisation, *(o for o in orgs if o.pk != tracing_request.organisation_id)]
    cases = list(Case.objects.filter(person=person, organisation__in=orgs).order_by("pk"))
    if not cases:
        cases = list(Case.objects.filter(person=person).order_by("pk"))
    return cases, orgs


def inform_family_tasks(actor: Actor, candidate: CandidateIdentification) -> list[Case]:
    """The task "tell the family in person" on each case that follows the request (a case is opened in
    the request's organisation when there is none). Nothing is sent to the family. The title is stored
    in the language active now."""
    tracing_request = candidate.tracing_request
    person = tracing_request.person
    cases, orgs = family_cases(tracing_request)
    if not cases and orgs:
        cases = [
            registry_actions.open_case(
                actor, person, orgs[0], request=tracing_request, reason="dna identification"
            )
        ]
    if not cases:
        logger.warning(
            "candidate %s identified, but request %s has no organisation to tell the family",
            candidate.pk,
            tracing_request.number,
        )
    title = gettext(
        "Tell the family of request %(request)s in person: remains sample %(sample)s was identified by DNA "
        "as %(name)s. Arrange support first; then release an update."
    ) % {
        "request": tracing_request.number,
        "sample": candidate.remains_sample.code,
        "name": person.primary_name(),
    }
    for case in cases:
        registry_actions.add_case_task(actor, case, title, candidate=str(candidate.pk), kind="tell_family")
    return cases


def drop_withdrawn_candidates(tracing_request: TracingRequest, scope: str) -> None:
    """The ``on_request_erased`` part of identification: a family that withdraws its DNA consent (or its
    request) leaves no undecided candidate resting on its DNA; decided ones stay as the record of the
    decision. Runs inside the registry's withdrawal action, which writes the audit entry."""
    CandidateIdentification.objects.filter(
        tracing_request=tracing_request,
        status=CandidateIdentification.Status.PROPOSED,
        decisions__isnull=True,
    ).delete()
