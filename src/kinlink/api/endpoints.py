"""The partner REST API (``/api/v1/``). Thin: authenticate, check scope and visibility, call the registry.

Every endpoint declares its scope; a token without it gets 403. Objects another organisation cannot
see answer 404, exactly as objects that do not exist. Reads of cases and DNA data, and every write,
go to the audit trail. The OpenAPI schema is at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI, Query, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import Field

from kinlink.api import access
from kinlink.api.models import ApiToken, Scope, find_token
from kinlink.api.schemas import (
    CandidateOut,
    CaseOut,
    ClaimIn,
    ClaimOut,
    Error,
    GenotypeIn,
    NameOut,
    PersonOut,
    RemainsOut,
    RequestOut,
    SampleOut,
    SourceIn,
    SourceOut,
    ValidationErrors,
)
from kinlink.registry import actions
from kinlink.registry.models import (
    Case,
    Claim,
    Fate,
    NameVariant,
    Organisation,
    Person,
    Reliability,
    Remains,
    Sample,
    Source,
    SourceKind,
    TracingRequest,
)
from kinlink.registry.services import audit
from kinlink.registry.services.fate import person_claims as claims_of

#: How precisely a token's ``last_used_at`` is kept: it is written when it is older than this, not on
#: every request (a write and a commit per request for a figure the admin reads to the day).
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        row = find_token(token)
        if row is not None:
            now = timezone.now()
            if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
                ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return row


api = NinjaAPI(
    title="kinlink partner API",
    version="1.0.0",
    description="Persons, tracing requests, cases, claims, sources, remains, samples and candidates, "
    "for partner organisations. Bearer tokens per organisation, with scopes read:cases, write:claims "
    "and lab:upload. Contact details never leave through the API.",
    auth=TokenAuth(),
    urls_namespace="api",
)

READ_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: ValidationErrors}
WRITE_ERRORS: dict[int, Any] = {400: Error, 401: Error, 403: Error, 404: Error, 422: ValidationErrors}


class Page(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


def _token(request: HttpRequest, scope: str) -> ApiToken:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if not token.has_scope(scope):
        raise HttpError(403, f"this token lacks the scope {scope}")
    return token


def _label(token: ApiToken) -> str:
    """How the audit trail names the API client: its token."""
    return f"api token {token.pk}"


def _audit_list(token: ApiToken, action: audit.Action, object_type: str, ids: list[str], page: Page) -> None:
    """One audit entry for a page of a listing: which records the token read (their public ids)."""
    audit.record(
        None,
        action,
        object_type=object_type,
        object_id="*",
        label=_label(token),
        ids=ids,
        offset=page.offset,
        limit=page.limit,
    )


def _refusal(exc: ValidationError) -> str:
    """A validation error of an action as one line: "field: problem; field: problem"."""
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(problems)}" for field, problems in exc.message_dict.items())
    return " ".join(exc.messages)


#: The columns a person's answer holds (``PersonOut``), and those of each of its names (``NameOut``).
PERSON_FIELDS = tuple(name for name in PersonOut.model_fields if name != "names")
NAME_FIELDS = tuple(NameOut.model_fields)


def _person_out(person: Person) -> dict[str, Any]:
    return _person_row_out(
        {field: getattr(person, field) for field in PERSON_FIELDS},
        [{field: getattr(n, field) for field in NAME_FIELDS} for n in person.names.all()],
    )


def _person_row_out(row: dict[str, Any], names: list[dict[str, Any]]) -> dict[str, Any]:
    """A person's answer from its columns (``PERSON_FIELDS``) and its names' (``NAME_FIELDS``)."""
    return {**row, "uid": str(row["uid"]), "names": names}


def _persons_out(persons: QuerySet[Person]) -> list[dict[str, Any]]:
    """The answers of a page of persons, in its order: two queries of plain rows (no model objects), the
    names of each person in the order they were recorded."""
    rows = list(persons.values("pk", *PERSON_FIELDS))
    names: dict[int, list[dict[str, Any]]] = {row["pk"]: [] for row in rows}
    for name in (
        NameVariant.objects.filter(person_id__in=list(names)).order_by("pk").values("person_id", *NAME_FIELDS)
    ):
        names[name.pop("person_id")].append(name)
    return [_person_row_out({k: v for k, v in row.items() if k != "pk"}, names[row["pk"]]) for row in rows]


def _request_out(req: TracingRequest) -> dict[str, Any]:
    return {
        "number": req.number,
        "person": str(req.person.uid),
        "relationship": req.relationship,
        "language": req.language,
        "channel": req.channel,
        "status": req.status,
        "last_contact": req.last_contact,
        "last_known_place": req.last_known_place,
        "circumstances": req.circumstances,
        "submitted_at": req.submitted_at.isoformat(),
        "consent_dna": req.consent_dna,
    }


#: The columns of a request ``_request_out`` reads (its contacts are left in the database).
REQUEST_FIELDS = (
    "number",
    "person",
    "relationship",
    "language",
    "channel",
    "status",
    "last_contact",
    "last_known_place",
    "circumstances",
    "submitted_at",
    "consent_dna",
)


def _claim_out(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "person": str(claim.person.uid),
        "source": claim.source_id,
        "fate": claim.fate,
        "date": claim.date,
        "place": claim.place,
        "circumstances": claim.circumstances,
        "retracted": claim.is_retracted,
        "retraction_reason": claim.retraction.reason if claim.is_retracted else "",
    }


def _remains_out(remains: Remains) -> dict[str, Any]:
    return {
        "code": remains.code,
        "site": remains.site.name if remains.site else "",
        "event": remains.event.name if remains.event else "",
        "recovered_on": remains.recovered_on,
        "sex_estimate": remains.sex_estimate,
        "age_estimate": remains.age_estimate,
        "status": remains.status,
    }


def _visible_person(token: ApiToken, uid: str) -> Person:
    person = access.persons_of(token.organisation).filter(uid__iexact=uid).first() if _is_uuid(uid) else None
    if person is None:
        raise HttpError(404, "no such person")
    return person


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


#: A listing whose organisation sees more rows than this is paged by the database, not by a cached list.
LISTED_IDS_MAX = 200_000
_TOO_MANY = "too many"


def _paged(
    name: str,
    token: ApiToken,
    visible: Callable[[Organisation], QuerySet[Any]],
    rows: QuerySet[Any],
    page: Page,
) -> QuerySet[Any]:
    """One page (``offset``, ``limit``, by id) of ``visible(organisation)``, the rows the token's
    organisation sees, read as ``rows`` (their columns and joins, without the visibility rule).

    Who sees what is subqueries over the organisation's cases, requests and consents (``api.access``):
    PostgreSQL evaluates them for every page and walks the rows up to the offset (12 ms at offset 0, 40 ms
    at offset 5,000 on the medium demo). Instead the ids the organisation sees, in order, are a cached
    fragment (``portal.fragments``: renewed by any write to the domain, whoever makes it), and a page reads
    its rows by id. An organisation that sees more than ``LISTED_IDS_MAX`` rows is paged by the database.
    The visibility rule is built only when it is evaluated (building its subqueries costs Django about
    half a millisecond, and a page read from the cached ids does not need them)."""
    from kinlink.portal import fragments

    def listed() -> bytes | str:
        ids = array(
            "q", visible(token.organisation).order_by("id").values_list("id", flat=True)[: LISTED_IDS_MAX + 1]
        )
        return _TOO_MANY if len(ids) > LISTED_IDS_MAX else ids.tobytes()

    # never a list of an older version: a withdrawn consent hides its person from the next page on
    known = fragments.cached(f"api-ids-{name}", (token.organisation_id,), listed, stale=False)
    if not isinstance(known, bytes):
        return rows.filter(pk__in=visible(token.organisation).values("pk")).order_by("id")[
            page.offset : page.offset + page.limit
        ]
    chosen = array("q")
    chosen.frombytes(known[8 * page.offset : 8 * (page.offset + page.limit)])
    return rows.filter(pk__in=list(chosen)).order_by("id")


@api.get("/persons", response={200: list[PersonOut], **READ_ERRORS}, tags=["persons"])
def list_persons(request: HttpRequest, page: Query[Page]) -> Any:
    token = _token(request, Scope.READ_CASES)
    found = _persons_out(_paged("persons", token, access.persons_of, Person.objects.all(), page))
    _audit_list(token, audit.Action.API_READ_PERSONS, "person", [p["uid"] for p in found], page)
    return found


@api.get("/persons/{uid}", response={200: PersonOut, **READ_ERRORS}, tags=["persons"])
def get_person(request: HttpRequest, uid: str) -> Any:
    token = _token(request, Scope.READ_CASES)
    person = _visible_person(token, uid)
    audit.record(None, audit.Action.API_READ_PERSONS, person, label=_label(token))
    return _person_out(person)


@api.get("/persons/{uid}/claims", response={200: list[ClaimOut], **READ_ERRORS}, tags=["claims"])
def person_claims(request: HttpRequest, uid: str) -> Any:
    token = _token(request, Scope.READ_CASES)
    person = _visible_person(token, uid)
    claims = claims_of(person).select_related("person", "retraction").order_by("id")
    found = [_claim_out(c) for c in claims]
    audit.record(None, audit.Action.API_READ_PERSONS, person, label=_label(token), claims=len(found))
    return found


@api.get("/persons/{uid}/candidates", response={200: list[CandidateOut], **READ_ERRORS}, tags=["candidates"])
def person_candidates(request: HttpRequest, uid: str) -> Any:
    """Remains that may be this person: identified as him, or recovered from an event he was part of."""
    token = _token(request, Scope.READ_CASES)
    person = _visible_person(token, uid)
    found: dict[str, str] = {}
    for remains in Remains.objects.filter(identified_person=person).order_by("code"):
        found[remains.code] = "identified"
    for remains in Remains.objects.filter(event__persons=person).order_by("code").distinct():
        found.setdefault(remains.code, "same event")
    audit.record(None, audit.Action.API_READ_CANDIDATES, person, label=_label(token), count=len(found))
    return [{"remains": code, "basis": basis} for code, basis in sorted(found.items())]


@api.get("/requests", response={200: list[RequestOut], **READ_ERRORS}, tags=["requests"])
def list_requests(request: HttpRequest, page: Query[Page]) -> Any:
    token = _token(request, Scope.READ_CASES)
    # contact details never leave through the API: not even decrypted for a page
    rows = TracingRequest.objects.select_related("person").only(*REQUEST_FIELDS, "person__uid")
    found = [_request_out(r) for r in _paged("requests", token, access.requests_of, rows, page)]
    _audit_list(token, audit.Action.API_READ_REQUESTS, "tracingrequest", [r["number"] for r in found], page)
    return found


@api.get("/requests/{number}", response={200: RequestOut, **READ_ERRORS}, tags=["requests"])
def get_request(request: HttpRequest, number: str) -> Any:
    token = _token(request, Scope.READ_CASES)
    row = access.requests_of(token.organisation).select_related("person").filter(number=number).first()
    if row is None:
        raise HttpError(404, "no such tracing request")
    audit.record(None, audit.Action.API_READ_REQUESTS, row, label=_label(token))
    return _request_out(row)


@api.get("/cases/{number}", response={200: CaseOut, **READ_ERRORS}, tags=["cases"])
def get_case(request: HttpRequest, number: str) -> Any:
    token = _token(request, Scope.READ_CASES)
    case: Case | None = (
        access.cases_of(token.organisation)
        .select_related("person", "organisation")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise HttpError(404, "no such case")
    audit.record(None, audit.Action.API_READ_CASE, case, label=_label(token))
    return {
        "number": case.number,
        "person": str(case.person.uid),
        "organisation": case.organisation.slug,
        "status": case.status,
        "jurisdiction": case.jurisdiction,
        "legal_status": case.legal_status,
        "legal_status_since": case.legal_status_since.isoformat() if case.legal_status_since else None,
        "opened_at": case.opened_at.isoformat(),
    }


@api.get("/sources/{source_id}", response={200: SourceOut, **READ_ERRORS}, tags=["sources"])
def get_source(request: HttpRequest, source_id: int) -> Any:
    token = _token(request, Scope.READ_CASES)
    persons = access.persons_of(token.organisation)
    source = (
        Source.objects.filter(pk=source_id)
        .filter(pk__in=Claim.objects.filter(person__in=persons).values("source_id"))
        .first()
        or Source.objects.filter(pk=source_id, organisation=token.organisation).first()
    )
    if source is None:
        raise HttpError(404, "no such source")
    audit.record(None, audit.Action.API_READ_SOURCE, source, label=_label(token))
    return SourceOut.from_orm(source).dict()


@api.post("/sources", response={201: SourceOut, **WRITE_ERRORS}, tags=["sources"])
def create_source(request: HttpRequest, payload: SourceIn) -> Any:
    token = _token(request, Scope.WRITE_CLAIMS)
    try:
        source = actions.add_source(
            None,
            kind=SourceKind(payload.kind).value,
            name=payload.name,
            origin=payload.origin,
            reference=payload.reference if payload.reference != "list" else "list (api)",
            date=payload.date,
            reliability=Reliability(payload.reliability).value,
            organisation=token.organisation,
            label=_label(token),
        )
    except ValidationError as exc:
        raise HttpError(400, _refusal(exc)) from exc
    return Status(201, SourceOut.from_orm(source).dict())


@api.post("/claims", response={201: ClaimOut, **WRITE_ERRORS}, tags=["claims"])
def create_claim(request: HttpRequest, payload: ClaimIn) -> Any:
    """Add one statement by one of your sources about a person you can see."""
    token = _token(request, Scope.WRITE_CLAIMS)
    person = _visible_person(token, payload.person)
    source = Source.objects.filter(pk=payload.source, organisation=token.organisation).first()
    if source is None:
        raise HttpError(404, "no such source of your organisation")
    try:
        claim = actions.add_claim(
            None,
            person,
            source,
            fate=Fate(payload.fate).value,
            date=payload.date,
            place=payload.place,
            circumstances=payload.circumstances,
            label=_label(token),
        )
    except ValidationError as exc:
        raise HttpError(400, _refusal(exc)) from exc
    return Status(201, _claim_out(claim))


@api.get("/remains", response={200: list[RemainsOut], **READ_ERRORS}, tags=["remains"])
def list_remains(request: HttpRequest, page: Query[Page]) -> Any:
    token = _token(request, Scope.READ_CASES)
    rows = Remains.objects.select_related("site", "event")
    found = [_remains_out(r) for r in _paged("remains", token, access.remains_of, rows, page)]
    _audit_list(token, audit.Action.API_READ_REMAINS, "remains", [r["code"] for r in found], page)
    return found


@api.get("/remains/{code}", response={200: RemainsOut, **READ_ERRORS}, tags=["remains"])
def get_remains(request: HttpRequest, code: str) -> Any:
    token = _token(request, Scope.READ_CASES)
    row = access.remains_of(token.organisation).select_related("site", "event").filter(code=code).first()
    if row is None:
        raise HttpError(404, "no such remains")
    audit.record(None, audit.Action.API_READ_REMAINS, row, label=_label(token))
    return _remains_out(row)


def _sample_out(sample: Sample) -> dict[str, Any]:
    return {
        "code": sample.code,
        "kind": sample.kind,
        "status": sample.status,
        "has_profile": bool(sample.profile),
    }


@api.get("/samples", response={200: list[SampleOut], **READ_ERRORS}, tags=["samples"])
def list_samples(request: HttpRequest, page: Query[Page]) -> Any:
    token = _token(request, Scope.LAB_UPLOAD)
    rows = access.samples_of(token.organisation).order_by("id")
    found = [_sample_out(s) for s in rows[page.offset : page.offset + page.limit]]
    _audit_list(token, audit.Action.API_READ_SAMPLE, "sample", [s["code"] for s in found], page)
    return found


@api.get("/samples/{code}", response={200: SampleOut, **READ_ERRORS}, tags=["samples"])
def get_sample(request: HttpRequest, code: str) -> Any:
    token = _token(request, Scope.LAB_UPLOAD)
    sample = access.samples_of(token.organisation).filter(code=code).first()
    if sample is None:
        raise HttpError(404, "no such sample")
    audit.record(None, audit.Action.API_READ_SAMPLE, sample, label=_label(token))
    return _sample_out(sample)


@api.put("/samples/{code}/profile", response={200: SampleOut, 409: Error, **WRITE_ERRORS}, tags=["samples"])
def upload_profile(request: HttpRequest, code: str, payload: GenotypeIn, reanalysis: bool = False) -> Any:
    """A lab uploads the DNA profile of a sample it holds; allele labels are validated strictly (the one
    rule of the genotype CSV). The profile is stored through the lab-upload action, which audits it and
    queues a screening run against the registry's families. A different profile for a sample whose stored
    profile screening results rest on answers 409 and changes nothing, unless ``?reanalysis=true`` (the
    earlier profile is kept as a revision); one an identification rests on answers 409 always. A reference
    sample of a family that has not agreed to give DNA answers 400."""
    from kinlink.exchange.errors import ImportRefused
    from kinlink.exchange.genotypes import genotype_csv
    from kinlink.identification.actions import ProfileConflict, store_lab_profiles

    token = _token(request, Scope.LAB_UPLOAD)
    sample = access.samples_of(token.organisation).filter(code=code).first()
    if sample is None:
        raise HttpError(404, "no such sample")
    try:
        store_lab_profiles(
            None,
            token.organisation,
            f"api:{code}",
            genotype_csv({code: payload.markers}),
            label=_label(token),
            reanalysis=reanalysis,
        )
    except ProfileConflict as exc:
        raise HttpError(409, "; ".join(e.reason for e in exc.errors)) from exc
    except ImportRefused as exc:
        raise HttpError(400, "; ".join(e.reason for e in exc.errors)) from exc
    sample.refresh_from_db()
    return _sample_out(sample)
