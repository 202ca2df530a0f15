"""API schemas. Contact details and enquirer names have no field here: they never leave through the API."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel, field_validator

from kinlink.exchange.genotypes import MAX_MARKERS_PER_PROFILE, allele_problem, marker_problem
from kinlink.partialdate import PartialDateError, parse_partial_date
from kinlink.registry.models import Fate, Reliability, SourceKind

#: A partial date as the API takes it: empty, YYYY, YYYY-MM or YYYY-MM-DD, years 1850..2100.
PARTIAL_DATE_PATTERN = (
    r"^((18[5-9][0-9]|19[0-9][0-9]|20[0-9][0-9]|2100)(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?)?$"
)


def _partial_date(value: str) -> str:
    if not value:
        return ""
    try:
        return parse_partial_date(value).isoformat()
    except PartialDateError as exc:
        raise ValueError(str(exc)) from exc


class Error(Schema):
    detail: str


class ValidationErrors(Schema):
    """What the API answers (422) when a request does not match the schema: one entry per problem."""

    detail: list[dict[str, Any]]


# The listings' output schemas are plain pydantic models, not ninja's ``Schema``: the endpoints build
# plain dicts, and ``Schema`` wraps every object of a response in a getter for Django models before
# validating it (half the CPU of a page of 50 persons). The OpenAPI schema is the same.


class NameOut(BaseModel):
    full_name: str
    surname: str
    given_name: str
    patronymic: str
    script: str
    language: str


class PersonOut(BaseModel):
    uid: str
    sex: str
    birth_date: str
    birth_place: str
    service_number: str
    unit: str
    rank: str
    region: str
    names: list[NameOut]
    fate: str
    fate_confidence: str


class RequestOut(BaseModel):
    number: str
    person: str
    relationship: str
    language: str
    channel: str
    status: str
    last_contact: str
    last_known_place: str
    circumstances: str
    submitted_at: str
    consent_dna: bool


class CaseOut(Schema):
    number: str
    person: str
    organisation: str
    status: str
    jurisdiction: str
    legal_status: str
    legal_status_since: str | None
    opened_at: str


class SourceOut(Schema):
    id: int
    kind: str
    name: str
    origin: str
    reference: str
    date: str
    reliability: str


class SourceIn(Schema):
    kind: SourceKind
    name: str = Field(..., min_length=1, max_length=300)
    origin: str = Field("", max_length=300)
    reference: str = Field("", max_length=200)
    date: str = Field("", pattern=PARTIAL_DATE_PATTERN, description="YYYY, YYYY-MM or YYYY-MM-DD")
    reliability: Reliability = Reliability.F

    @field_validator("date")
    @classmethod
    def _date(cls, value: str) -> str:
        return _partial_date(value)


class ClaimOut(Schema):
    id: int
    person: str
    source: int
    fate: str
    date: str
    place: str
    circumstances: str
    retracted: bool
    retraction_reason: str


class ClaimIn(Schema):
    person: str = Field(..., description="the person's uid")
    source: int = Field(..., description="id of a source created by your organisation")
    fate: Fate
    date: str = Field("", pattern=PARTIAL_DATE_PATTERN, description="YYYY, YYYY-MM or YYYY-MM-DD")
    place: str = Field("", max_length=300)
    circumstances: str = Field("", max_length=5000)

    @field_validator("date")
    @classmethod
    def _date(cls, value: str) -> str:
        return _partial_date(value)


class RemainsOut(BaseModel):
    code: str
    site: str
    event: str
    recovered_on: str
    sex_estimate: str
    age_estimate: str
    status: str


class SampleOut(BaseModel):
    code: str
    kind: str
    status: str
    has_profile: bool


class GenotypeIn(Schema):
    """A DNA profile: marker name to its two alleles (homozygotes repeat the allele)."""

    markers: dict[str, list[str]] = Field(
        ..., description='e.g. {"D3S1358": ["15", "16"], "TH01": ["9.3", "9.3"]}'
    )

    @field_validator("markers")
    @classmethod
    def _alleles(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if not value:
            raise ValueError("a profile needs at least one marker")
        if len(value) > MAX_MARKERS_PER_PROFILE:
            raise ValueError(f"a profile has at most {MAX_MARKERS_PER_PROFILE} markers")
        for marker, alleles in value.items():
            if reason := marker_problem(marker):
                raise ValueError(reason)
            if len(alleles) != 2:
                raise ValueError(f"marker {marker}: give exactly two alleles, not {len(alleles)}")
            for allele in alleles:
                if reason := allele_problem(allele):
                    raise ValueError(f"marker {marker}: {reason}")
        return value


class CandidateOut(Schema):
    remains: str
    basis: str
