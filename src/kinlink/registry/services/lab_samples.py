"""The lab's side of samples: register by barcode, load genotype profiles and reference samples from CSV.

The lab sees barcodes only, never names. Formats:

* profiles: long genotype CSV with header ``sample,marker,allele1,allele2``, one row per sample and
  marker, read exactly as ``kinlink.genetics.formats.read_genotype_csv`` reads it: allele labels are
  strings ("9.3" is a microvariant), a homozygote repeats the allele, an empty or "-" allele is
  untyped, and a marker with no called allele is left out.
* reference samples: CSV with header ``sample,relationship``: the barcode of a relative's sample and
  the donor's relationship to the missing person (mother, father, brother, son, ...).

A file with any bad row is refused as a whole, with every problem listed (row, column, reason), and
nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import re

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from kinlink.registry.models import Organisation, Sample
from kinlink.registry.services import audit
from kinlink.registry.services.bulk import ImportRefused, RowError

BARCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,49}$")
#: One allele label ("12", "9.3", "X", "OL"); empty or "-" means untyped, as in ``genetics.formats``.
ALLELE = re.compile(r"^([A-Za-z0-9.]{1,10}|-?)$")
MARKER = re.compile(r"^[A-Za-z0-9_.\- ]{1,40}$")
RELATIONSHIPS = ("mother", "father", "brother", "sister", "son", "daughter", "wife", "husband", "other")


class SampleError(ValueError):
    """A sample that cannot be registered."""


def samples_of_lab(labs: list[Organisation]) -> list[Sample]:
    return list(Sample.objects.filter(lab__in=labs).order_by("-created"))


@transaction.atomic
def register_sample(
    user: AbstractBaseUser, lab: Organisation, code: str, kind: str, relationship: str = ""
) -> Sample:
    code = code.strip()
    if not BARCODE.match(code):
        raise SampleError(f"barcode '{code}': use 3 to 50 letters, digits, dots, dashes or underscores")
    if Sample.objects.filter(code=code).exists():
        raise SampleError(f"barcode '{code}' is already registered")
    if kind not in Sample.Kind.values:
        raise SampleError(f"unknown sample kind '{kind}'")
    sample = Sample.objects.create(code=code, kind=kind, lab=lab, relationship=relationship)
    audit.record(user, "register_sample", sample, lab=lab.slug)
    return sample


def _read(filename: str, text: str, header: tuple[str, ...]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    found = tuple((name or "").strip().lower() for name in (reader.fieldnames or ()))
    if not set(header) <= set(found):
        raise ImportRefused(
            [RowError(filename, 1, "header", f"expected '{','.join(header)}', found '{','.join(found)}'")]
        )
    rows = [{k.strip().lower(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    if not rows:
        raise ImportRefused([RowError(filename, 2, "sample", "the file has no data rows")])
    return rows


@transaction.atomic
def load_profiles(user: AbstractBaseUser, labs: list[Organisation], filename: str, text: str) -> int:
    """Store genotype profiles for registered samples of the user's labs; returns the number of samples."""
    rows = _read(filename, text, ("sample", "marker", "allele1", "allele2"))
    problems: list[RowError] = []
    known = {s.code: s for s in Sample.objects.filter(lab__in=labs)}
    profiles: dict[str, dict[str, list[str]]] = {}
    untyped: dict[str, set[str]] = {}
    for index, row in enumerate(rows, start=2):
        code, marker = row.get("sample", ""), row.get("marker", "")
        if code not in known:
            problems.append(
                RowError(filename, index, "sample", f"'{code}' is not a sample registered at your lab")
            )
        if not MARKER.match(marker):
            problems.append(RowError(filename, index, "marker", f"'{marker}' is not a marker name"))
        alleles = [row.get("allele1", "") or "-", row.get("allele2", "") or "-"]
        for column, allele in zip(("allele1", "allele2"), alleles, strict=True):
            if not ALLELE.match(allele):
                problems.append(
                    RowError(filename, index, column, f"'{allele}' is not an allele label (e.g. 12, 9.3, X)")
                )
        profile = profiles.setdefault(code, {})
        if marker in profile or marker in untyped.get(code, set()):
            problems.append(
                RowError(filename, index, "marker", f"marker '{marker}' appears twice for '{code}'")
            )
        if alleles == ["-", "-"]:
            untyped.setdefault(code, set()).add(marker)
        else:
            profile[marker] = alleles
    if problems:
        raise ImportRefused(problems)
    for code, profile in profiles.items():
        sample = known[code]
        sample.profile = json.dumps(profile, sort_keys=True)
        if sample.status in (Sample.Status.REGISTERED, Sample.Status.COLLECTED):
            sample.status = Sample.Status.PROFILED
        sample.save(update_fields=["profile", "status"])
        audit.record(user, "load_profile", sample, markers=len(profile), file=filename)
    return len(profiles)


@transaction.atomic
def load_reference_samples(user: AbstractBaseUser, lab: Organisation, filename: str, text: str) -> int:
    """Register relatives' reference samples from ``sample,relationship`` rows; returns how many."""
    rows = _read(filename, text, ("sample", "relationship"))
    problems: list[RowError] = []
    seen: set[str] = set()
    existing = set(
        Sample.objects.filter(code__in=[r.get("sample", "") for r in rows]).values_list("code", flat=True)
    )
    for index, row in enumerate(rows, start=2):
        code, relationship = row.get("sample", ""), row.get("relationship", "").lower()
        if not BARCODE.match(code):
            problems.append(RowError(filename, index, "sample", f"'{code}' is not a valid barcode"))
        elif code in existing or code in seen:
            problems.append(RowError(filename, index, "sample", f"'{code}' is already registered"))
        if relationship not in RELATIONSHIPS:
            problems.append(
                RowError(
                    filename,
                    index,
                    "relationship",
                    f"'{relationship}': use one of {', '.join(RELATIONSHIPS)}",
                )
            )
        seen.add(code)
    if problems:
        raise ImportRefused(problems)
    now = timezone.now()
    for row in rows:
        sample = Sample.objects.create(
            code=row["sample"],
            kind=Sample.Kind.REFERENCE,
            relationship=row["relationship"].lower(),
            lab=lab,
            status=Sample.Status.COLLECTED,
            collected_on=now.date(),
        )
        audit.record(user, "register_sample", sample, lab=lab.slug, file=filename)
    return len(rows)
