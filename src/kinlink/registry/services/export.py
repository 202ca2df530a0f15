"""``kinlink export``: the registry as one JSON object or as CSV tables.

Each person carries its stored reconciled fate: ``fate`` is its group (dead, alive, detained, missing or
unknown: an identified or buried person is dead), ``fate_detail`` the reconciled fate itself (identified,
buried, dead, wounded, ...), with ``fate_confidence`` and ``fate_conflicts`` (the fate the case page, the
documents and the public figures show). Contact details (the enquirer's name and
contact) are left out unless explicitly included.
DNA profiles never leave through this export.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from kinlink.lib import csvsafe
from kinlink.registry.fate import FATE_GROUP
from kinlink.registry.models import (
    Case,
    Claim,
    Event,
    NameVariant,
    Person,
    Remains,
    Sample,
    Site,
    Source,
    TracingRequest,
)

TABLES = (
    "persons",
    "names",
    "sources",
    "claims",
    "events",
    "sites",
    "remains",
    "samples",
    "tracing_requests",
    "cases",
)


def _persons() -> Iterator[dict[str, Any]]:
    for p in Person.objects.select_related("merged_into").order_by("pk").iterator(chunk_size=5000):
        yield {
            "id": str(p.uid),
            "sex": p.sex,
            "birth_date": p.birth_date,
            "birth_place": p.birth_place,
            "service_number": p.service_number,
            "unit": p.unit,
            "rank": p.rank,
            "military_branch": p.military_branch,
            "region": p.region,
            "merged_into": str(p.merged_into.uid) if p.merged_into else "",
            "fate": FATE_GROUP.get(p.fate, p.fate),
            "fate_detail": p.fate,
            "fate_confidence": p.fate_confidence,
            "fate_conflicts": p.fate_conflicts,
        }


def _names() -> Iterator[dict[str, Any]]:
    for n in NameVariant.objects.select_related("person").order_by("pk").iterator(chunk_size=5000):
        yield {
            "person": str(n.person.uid),
            "full_name": n.full_name,
            "surname": n.surname,
            "given_name": n.given_name,
            "patronymic": n.patronymic,
            "script": n.script,
            "language": n.language,
            "source": n.source_id or "",
            "is_primary": n.is_primary,
        }


def _sources() -> Iterator[dict[str, Any]]:
    for s in Source.objects.order_by("pk").iterator(chunk_size=5000):
        yield {
            "id": s.pk,
            "kind": s.kind,
            "name": s.name,
            "origin": s.origin,
            "reference": s.reference,
            "date": s.date,
            "reliability": s.reliability,
        }


def _claims() -> Iterator[dict[str, Any]]:
    claims = Claim.objects.select_related("person", "retraction").order_by("pk")
    for c in claims.iterator(chunk_size=5000):
        retraction = c.retraction if c.is_retracted else None
        yield {
            "id": c.pk,
            "person": str(c.person.uid),
            "source": c.source_id,
            "fate": c.fate,
            "date": c.date,
            "place": c.place,
            "circumstances": c.circumstances,
            "event": c.event_id or "",
            "site": c.site_id or "",
            "retracted_at": retraction.retracted_at.isoformat() if retraction else "",
            "retraction_reason": retraction.reason if retraction else "",
        }


def _events() -> Iterator[dict[str, Any]]:
    for e in Event.objects.order_by("pk").iterator(chunk_size=5000):
        yield {
            "id": e.pk,
            "name": e.name,
            "kind": e.kind,
            "date": e.date,
            "place": e.place,
            "region": e.region,
            "latitude": e.latitude,
            "longitude": e.longitude,
        }


def _sites() -> Iterator[dict[str, Any]]:
    for s in Site.objects.order_by("pk").iterator(chunk_size=5000):
        yield {
            "id": s.pk,
            "name": s.name,
            "kind": s.kind,
            "latitude": s.latitude,
            "longitude": s.longitude,
            "precision_m": s.precision_m,
            "exhumation_status": s.exhumation_status,
            "event": s.event_id or "",
        }


def _remains() -> Iterator[dict[str, Any]]:
    for r in Remains.objects.order_by("pk").iterator(chunk_size=5000):
        yield {
            "code": r.code,
            "site": r.site_id or "",
            "event": r.event_id or "",
            "recovered_on": r.recovered_on,
            "condition": r.condition,
            "status": r.status,
        }


def _samples() -> Iterator[dict[str, Any]]:
    for s in Sample.objects.order_by("pk").iterator(chunk_size=5000):
        yield {"code": s.code, "kind": s.kind, "status": s.status, "relationship": s.relationship}


def _requests(include_contacts: bool) -> Iterator[dict[str, Any]]:
    for t in TracingRequest.objects.select_related("person").order_by("pk").iterator(chunk_size=2000):
        row: dict[str, Any] = {
            "number": t.number,
            "person": str(t.person.uid),
            "relationship": t.relationship,
            "language": t.language,
            "channel": t.channel,
            "status": t.status,
            "consent_dna": t.consent_dna,
            "last_contact": t.last_contact,
            "submitted_at": t.submitted_at.isoformat(),
        }
        if include_contacts:
            row["enquirer_name"] = t.enquirer_name
            row["contact"] = t.contact
        yield row


def _cases() -> Iterator[dict[str, Any]]:
    for c in Case.objects.select_related("person", "organisation").order_by("pk").iterator(chunk_size=5000):
        yield {
            "number": c.number,
            "person": str(c.person.uid),
            "organisation": c.organisation.slug,
            "status": c.status,
            "jurisdiction": c.jurisdiction,
            "legal_status": c.legal_status,
        }


def table(name: str, include_contacts: bool = False) -> Iterator[dict[str, Any]]:
    producers = {
        "persons": _persons,
        "names": _names,
        "sources": _sources,
        "claims": _claims,
        "events": _events,
        "sites": _sites,
        "remains": _remains,
        "samples": _samples,
        "cases": _cases,
    }
    if name == "tracing_requests":
        return _requests(include_contacts)
    if name not in producers:
        raise ValueError(f"unknown table '{name}' (use one of: {', '.join(TABLES)})")
    return producers[name]()


def export_json(include_contacts: bool = False) -> dict[str, list[dict[str, Any]]]:
    return {name: list(table(name, include_contacts)) for name in TABLES}


def export_csv(name: str, include_contacts: bool = False) -> str:
    rows = list(table(name, include_contacts))
    buffer = io.StringIO()
    if rows:
        writer = csvsafe.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()
