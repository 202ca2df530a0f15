"""The field's actions: the only writers of sites worked from testimony, exhumation steps, custody events,
repatriation batches, ante-mortem and post-mortem profiles and non-DNA comparison decisions.

Each validates (``ValidationError`` with the field it concerns), writes atomically and appends one audit
entry. Views, the CLI, the demo and tests are adapters.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kinlink.field.models import BodyMark, ComparisonDecision, CustodyEvent, ExhumationStep, PhysicalProfile
from kinlink.registry import actions as registry_actions
from kinlink.registry.actions import Actor, _user
from kinlink.registry.models import Event, Person, Remains, RepatriationBatch, Sample, Sex, Site, Source
from kinlink.registry.services import audit
from kinlink.registry.services.bulk import ImportRefused, RowError

#: The exhumation steps a site may take from each status (a refusal may be asked again).
EXHUMATION_STEPS: dict[str, tuple[str, ...]] = {
    Site.Exhumation.REPORTED: (Site.Exhumation.LOCATED, Site.Exhumation.REQUESTED, Site.Exhumation.EXHUMED),
    Site.Exhumation.LOCATED: (Site.Exhumation.REQUESTED, Site.Exhumation.EXHUMED),
    Site.Exhumation.REQUESTED: (Site.Exhumation.PERMITTED, Site.Exhumation.REFUSED),
    Site.Exhumation.REFUSED: (Site.Exhumation.REQUESTED,),
    Site.Exhumation.PERMITTED: (Site.Exhumation.EXHUMED,),
    Site.Exhumation.EXHUMED: (Site.Exhumation.CLOSED,),
    Site.Exhumation.CLOSED: (),
}


def record_site(
    actor: Actor,
    *,
    name: str,
    kind: str,
    reported_by: Source | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    precision_m: int | None = None,
    buried_count: int | None = None,
    buried_on: str = "",
    buried_by: str = "",
    event: Event | None = None,
    description: str = "",
    label: str = "",
) -> Site:
    """A burial site as a testimony reports it: who reported it, where (with the radius of uncertainty),
    how many were buried, when and by whom."""
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": _("Give both latitude and longitude, or neither.")})
    return registry_actions.add_site(
        actor,
        name=name,
        kind=kind,
        reported_by=reported_by,
        latitude=latitude,
        longitude=longitude,
        precision_m=precision_m,
        buried_count=buried_count,
        buried_on=buried_on,
        buried_by=buried_by,
        event=event,
        description=description,
        label=label,
    )


def record_exhumation_step(
    actor: Actor,
    site: Site,
    *,
    status: str,
    on: dt.date,
    by: str = "",
    note: str = "",
    label: str = "",
) -> ExhumationStep:
    """One dated step of the exhumation (requested, permitted or refused, done, closed); the site's status
    follows. A step the current status does not allow, or dated before the last step, is refused."""
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        allowed = EXHUMATION_STEPS.get(site.exhumation_status, ())
        if status not in allowed:
            raise ValidationError(
                {
                    "status": _("From “%(current)s” the exhumation can go to: %(allowed)s.")
                    % {
                        "current": Site.Exhumation(site.exhumation_status).label,
                        "allowed": ", ".join(str(Site.Exhumation(s).label) for s in allowed) or "—",
                    }
                }
            )
        last = site.exhumation_steps.order_by("-on").first()
        if last is not None and on < last.on:
            raise ValidationError({"on": _("A step cannot be dated before the previous step.")})
        step = ExhumationStep(site=site, status=status, on=on, by=by, note=note, recorded_by=_user(actor))
        step.full_clean()
        step.save()
        site.exhumation_status = status
        site.save(update_fields=["exhumation_status"])
        audit.record(
            actor, audit.Action.RECORD_EXHUMATION, step, label=label, site=str(site.pk), status=status
        )
    return step


def record_custody(
    actor: Actor,
    *,
    step: str,
    on: dt.date,
    remains: Remains | None = None,
    sample: Sample | None = None,
    from_party: str = "",
    to_party: str = "",
    batch: RepatriationBatch | None = None,
    by: str = "",
    note: str = "",
    label: str = "",
) -> CustodyEvent:
    """One link of the custody chain of remains or a sample. A link dated before the chain's first link is
    refused (nothing can move before it was recovered)."""
    if remains is None and sample is None:
        raise ValidationError(_("A custody event concerns remains or a sample."))
    with transaction.atomic():
        chain = (
            CustodyEvent.objects.filter(remains=remains)
            if remains
            else CustodyEvent.objects.filter(sample=sample)
        )
        first = chain.order_by("on").first()
        if first is not None and on < first.on:
            raise ValidationError({"on": _("This date is before the first link of the custody chain.")})
        event = CustodyEvent(
            remains=remains,
            sample=sample,
            step=step,
            on=on,
            from_party=from_party,
            to_party=to_party,
            batch=batch,
            by=by,
            note=note,
            recorded_by=_user(actor),
        )
        event.full_clean()
        event.save()
        audit.record(
            actor,
            audit.Action.RECORD_CUSTODY,
            event,
            label=label,
            step=step,
            remains=remains.code if remains else "",
            sample=sample.code if sample else "",
        )
    return event


def recover_remains(
    actor: Actor,
    *,
    code: str,
    site: Site | None,
    recovered_on: dt.date,
    by: str = "",
    batch: RepatriationBatch | None = None,
    sex_estimate: str = Sex.UNKNOWN,
    age_estimate: str = "",
    condition: str = "",
    label: str = "",
) -> Remains:
    """Remains recovered from a site (or received in a batch): the record and the first link of its
    custody chain."""
    with transaction.atomic():
        remains = registry_actions.register_remains(
            actor,
            code=code,
            site=site,
            event=site.event if site is not None else (batch.event if batch is not None else None),
            recovered_on=recovered_on.isoformat(),
            sex_estimate=sex_estimate,
            age_estimate=age_estimate,
            condition=condition,
            batch=batch,
            label=label,
        )
        record_custody(
            actor,
            step=CustodyEvent.Step.RECOVERY if batch is None else CustodyEvent.Step.TRANSFER,
            on=recovered_on,
            remains=remains,
            from_party=(site.name if site is not None else (batch.handed_over_by if batch else "")),
            to_party=batch.received_by if batch is not None else "",
            batch=batch,
            by=by,
            label=label,
        )
    return remains


def tie_sample(
    actor: Actor, sample: Sample, remains: Remains, *, on: dt.date, by: str = "", label: str = ""
) -> Sample:
    """Tie a remains sample the lab registered (barcode only) to the remains it was taken from, and record
    the sampling in both custody chains."""
    if sample.kind != Sample.Kind.REMAINS:
        raise ValidationError(_("Only a remains sample can be tied to remains."))
    if sample.remains_id is not None and sample.remains_id != remains.pk:
        raise ValidationError(_("This sample is already tied to other remains."))
    with transaction.atomic():
        if sample.remains_id is None:
            registry_actions.attach_sample(actor, sample, remains=remains, label=label)
        record_custody(
            actor,
            step=CustodyEvent.Step.SAMPLING,
            on=on,
            remains=remains,
            by=by,
            label=label,
            note=sample.code,
        )
        record_custody(
            actor,
            step=CustodyEvent.Step.SAMPLING,
            on=on,
            sample=sample,
            by=by,
            label=label,
            from_party=remains.code,
        )
    return sample


# --- repatriation batches --------------------------------------------------------------------------------

BATCH_COLUMNS = ("code", "sex", "age", "tag_number", "documents", "effects", "condition", "note")
_SEX = {
    "": Sex.UNKNOWN,
    "m": Sex.MALE,
    "м": Sex.MALE,
    "ч": Sex.MALE,
    "f": Sex.FEMALE,
    "ж": Sex.FEMALE,
    "u": Sex.UNKNOWN,
    "?": Sex.UNKNOWN,
}


@dataclass(frozen=True, slots=True)
class BatchImport:
    batch: RepatriationBatch
    created: int
    unchanged: int


def import_batch(
    actor: Actor,
    *,
    code: str,
    received_on: dt.date,
    csv_text: str,
    filename: str = "batch.csv",
    handed_over_by: str = "",
    received_by: str = "",
    event: Event | None = None,
    label: str = "",
) -> BatchImport:
    """A list of bodies handed over together (CSV with a header; ``code`` required, the other columns of
    :data:`BATCH_COLUMNS` optional): each body a remains record with its tag, documents and effects, in
    the batch's custody chain. All or nothing; every problem is reported with its row and column. Importing
    the same file again changes nothing; a code already in another batch is refused."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in reader.fieldnames or []]
        records = list(reader)
    except csv.Error as exc:  # a stray quote or carriage return, a NUL: the file is refused, not a 500
        raise ImportRefused(
            [RowError(filename, max(reader.line_num, 1), "", _("the file is not readable CSV (%s)") % exc)]
        ) from None
    errors: list[RowError] = []
    if "code" not in header:
        raise ImportRefused([RowError(filename, 1, "code", _("the column “code” is missing"))])
    unknown = [h for h in header if h not in BATCH_COLUMNS]
    errors += [
        RowError(filename, 1, h, _("unknown column (known: %s)") % ", ".join(BATCH_COLUMNS)) for h in unknown
    ]
    rows: list[tuple[int, dict[str, str]]] = []
    seen: set[str] = set()
    for number, raw in enumerate(records, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        nul = [k for k, v in row.items() if "\x00" in v]  # PostgreSQL refuses NUL in text: say where
        errors += [RowError(filename, number, k, _("the cell contains a NUL character")) for k in nul]
        if nul:
            continue
        if not row.get("code"):
            errors.append(RowError(filename, number, "code", _("empty")))
            continue
        if row["code"] in seen:
            errors.append(RowError(filename, number, "code", _("the same code twice in the file")))
        seen.add(row["code"])
        if row.get("sex", "").casefold() not in _SEX:
            errors.append(RowError(filename, number, "sex", _("use M, F or leave it empty")))
        rows.append((number, row))
    existing = {r.code: r for r in Remains.objects.filter(code__in=seen).select_related("batch")}
    for number, row in rows:
        other = existing.get(row["code"])
        if other is not None and (other.batch is None or other.batch.code != code):
            errors.append(
                RowError(filename, number, "code", _("these remains are already registered elsewhere"))
            )
    if errors:
        raise ImportRefused(errors)
    with transaction.atomic():
        batch = RepatriationBatch.objects.filter(code=code).first()
        if batch is None:
            batch = RepatriationBatch(
                code=code,
                received_on=received_on,
                handed_over_by=handed_over_by,
                received_by=received_by,
                event=event,
            )
            batch.full_clean()
            batch.save()
            audit.record(actor, audit.Action.RECORD_BATCH, batch, label=label, code=code)
        created = 0
        refused: list[RowError] = []
        for number, row in rows:
            if row["code"] in existing:
                continue
            try:
                _import_batch_row(actor, batch, code, row, received_on, label)
            except ValidationError as exc:  # a value too long for its field, an age out of range
                refused += _row_errors(filename, number, exc)
                continue
            created += 1
        if refused:
            raise ImportRefused(refused)  # the whole batch is rolled back
    return BatchImport(batch, created, len(rows) - created)


#: The batch file's column of each field its rows fill (for an error naming row and column).
_BATCH_COLUMN_OF = {
    "sex_estimate": "sex",
    "sex": "sex",
    "age_estimate": "age",
    "documents_found": "documents",
    "clothing_effects": "effects",
}


def _row_errors(filename: str, number: int, exc: ValidationError) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(filename, number, "", " ".join(exc.messages))]
    return [
        RowError(filename, number, _BATCH_COLUMN_OF.get(field, field), " ".join(problems))
        for field, problems in exc.message_dict.items()
    ]


def _import_batch_row(
    actor: Actor, batch: RepatriationBatch, code: str, row: dict[str, str], received_on: dt.date, label: str
) -> None:
    """One body of a batch file: its remains record, and its tag, documents and effects (a savepoint)."""
    with transaction.atomic():
        remains = recover_remains(
            actor,
            code=row["code"],
            site=None,
            recovered_on=received_on,
            batch=batch,
            sex_estimate=_SEX[row.get("sex", "").casefold()],
            age_estimate=row.get("age", ""),
            condition=row.get("condition", ""),
            label=label,
        )
        if any(row.get(k) for k in ("tag_number", "documents", "effects")):
            save_profile(
                actor,
                remains=remains,
                values={
                    "tag_number": row.get("tag_number", ""),
                    "documents_found": row.get("documents", ""),
                    "clothing_effects": row.get("effects", ""),
                    "sex": _SEX[row.get("sex", "").casefold()],
                },
                sources={"tag_number": code, "documents_found": code, "clothing_effects": code},
                label=label,
            )


# --- ante-mortem and post-mortem ------------------------------------------------------------------------

PROFILE_FIELDS = (
    "sex",
    "age_min",
    "age_max",
    "height_min_cm",
    "height_max_cm",
    "build",
    "hair",
    "eyes",
    "dental",
    "medical",
    "clothing_effects",
    "tag_number",
    "call_sign",
    "documents_found",
)


@dataclass(frozen=True, slots=True)
class MarkInput:
    kind: str
    region: str
    description: str = ""
    source: str = ""


def save_profile(
    actor: Actor,
    *,
    person: Person | None = None,
    remains: Remains | None = None,
    values: Mapping[str, Any],
    sources: Mapping[str, str] | None = None,
    marks: Sequence[MarkInput] | None = None,
    label: str = "",
) -> PhysicalProfile:
    """Create or update the ante-mortem profile of a missing person (``person``) or the post-mortem profile
    of remains (``remains``). Only the fields given change; ``marks``, when given, replace the marks. The
    audit entry names the fields that changed (never their values: they may be sensitive)."""
    if (person is None) == (remains is None):
        raise ValueError("a profile is of a person (ante-mortem) or of remains (post-mortem)")
    unknown = sorted(set(values) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(unknown))
    with transaction.atomic():
        if person is not None:
            profile, _created = PhysicalProfile.objects.select_for_update().get_or_create(
                person=person, defaults={"side": PhysicalProfile.Side.ANTEMORTEM}
            )
        else:
            profile, _created = PhysicalProfile.objects.select_for_update().get_or_create(
                remains=remains, defaults={"side": PhysicalProfile.Side.POSTMORTEM}
            )
        changed = [k for k, v in values.items() if getattr(profile, k) != v]
        for key in changed:
            setattr(profile, key, values[key])
        for key, source in (sources or {}).items():
            if key in PROFILE_FIELDS and source:
                profile.sources[key] = source
        for lo, hi in (("age_min", "age_max"), ("height_min_cm", "height_max_cm")):
            a, b = getattr(profile, lo), getattr(profile, hi)
            if a is not None and b is not None and a > b:
                raise ValidationError({hi: _("The upper bound is below the lower bound.")})
        profile.full_clean()
        profile.save()
        if marks is not None:
            profile.marks.all().delete()
            for mark in marks:
                row = BodyMark(
                    profile=profile,
                    kind=mark.kind,
                    region=mark.region,
                    description=mark.description,
                    source=mark.source,
                )
                row.full_clean()
                row.save()
            changed.append("marks")
        audit.record(
            actor,
            audit.Action.SAVE_PHYSICAL_PROFILE,
            profile,
            label=label,
            side=profile.side,
            fields=",".join(changed),
        )
    return profile


def decide_comparison(
    actor: Actor, remains: Remains, person: Person, *, decision: str, reason: str, label: str = ""
) -> ComparisonDecision:
    """A caseworker's decision on the non-DNA comparison of ``remains`` with ``person``: an exclusion is
    remembered and the person is no longer offered for these remains."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why.")})
    with transaction.atomic():
        row = ComparisonDecision(
            remains=remains, person=person, decision=decision, reason=reason, decided_by=_user(actor)
        )
        row.full_clean()
        row.save()
        audit.record(
            actor,
            audit.Action.DECIDE_COMPARISON,
            row,
            label=label,
            remains=remains.code,
            person=str(person.pk),
            decision=decision,
        )
    return row


def erase_family_antemortem(tracing_request: Any, scope: str) -> None:
    """The ``on_request_erased`` part of the field: when a family withdraws its whole request, the
    ante-mortem values and marks it gave of the missing person go (those from other sources stay). Runs
    inside ``registry.actions.withdraw_request``, which writes the audit entry."""
    if scope != "request":
        return
    profile = PhysicalProfile.objects.filter(person=tracing_request.person).first()
    if profile is None:
        return
    profile.marks.filter(source="family").delete()
    defaults = {f.name: f.get_default() for f in PhysicalProfile._meta.fields}
    for key, source in list(profile.sources.items()):
        if source == "family" and key in PROFILE_FIELDS:
            setattr(profile, key, defaults[key])
            del profile.sources[key]
    if not profile.sources and not profile.marks.exists():
        profile.delete()
    else:
        profile.save()
