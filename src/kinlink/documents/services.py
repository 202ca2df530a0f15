"""Reading and verifying documents, and the facts a document is built from. Issuing and releasing are
the actions in :mod:`kinlink.documents.actions`.

``verify_pdf`` answers the only question the public may ask: was this exact file issued here?
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string

from kinlink.documents import facts as case_facts
from kinlink.documents.court import ApplicationError, application_facts, default_kind
from kinlink.documents.dna import DnaReportData, DnaReportError, dna_report_facts
from kinlink.documents.letters import LetterError, LetterSpec, letter_facts
from kinlink.documents.models import Audience, DocumentKind, IssuedDocument
from kinlink.documents.render import KIND_LETTER, number_in_pdf, sha256_hex
from kinlink.documents.statistics import StatisticsData, registry_statistics, statistics_facts
from kinlink.registry.models import Case, TracingRequest

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


class DocumentError(Exception):
    """A document cannot be issued: unknown kind or language, missing data, or no access."""


@dataclass(frozen=True, slots=True)
class Verification:
    genuine: bool
    reason: str
    number: str | None = None
    document: IssuedDocument | None = None
    #: what was found, for a reader's message in her language: "genuine", "not_pdf", "no_number",
    #: "unknown_number" or "altered" (``reason`` is the English line the command line prints)
    code: str = ""


def new_number(kind: str, year: int) -> str:
    """KL-<kind letter>-<year>-<10 random base32 characters>: unguessable, so numbers cannot be enumerated."""
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"KL-{KIND_LETTER[kind]}-{year:04d}-{tail}"


_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "0.0.0.0")


def base_url() -> str:
    """The address the QR code and the footer of every document point to (``KINLINK_BASE_URL``).

    Required in production: with DEBUG off, an unset base URL or one that points to this machine
    (localhost) would print a verification link no clerk can open, so issuing refuses.
    """
    base = str(getattr(settings, "KINLINK_BASE_URL", "") or "").strip().rstrip("/")
    if settings.DEBUG:
        return base or "http://localhost:8000"
    if base and getattr(settings, "KINLINK_LOCAL_BASE_URL", False):
        return base  # `kinlink serve`/`kinlink demo` on this machine only: the address it serves on
    host = urlsplit(base).hostname or ""
    if not base or f"[{host}]" in _LOCAL_HOSTS or host in _LOCAL_HOSTS:
        raise DocumentError(
            "KINLINK_BASE_URL must be set to this instance's public address (for example "
            "https://kinlink.example.org) before documents are issued: the verification link and QR code "
            f"on every document use it (now: {base or 'unset'}); for a local demo, run with KINLINK_DEBUG=1"
        )
    return base


def verify_url(number: str, lang: str) -> str:
    base = base_url()
    with translation.override(lang):
        path = reverse("documents:verify", kwargs={"number": number})
    return base + path


def _dna_provider() -> Callable[[Case], DnaReportData | None]:
    provider: Callable[[Case], DnaReportData | None] = import_string(
        str(settings.KINLINK_DNA_REPORT_PROVIDER)
    )

    def provide(case: Case) -> DnaReportData | None:
        try:
            return provider(case)
        except DnaReportError as exc:
            raise DocumentError(f"case {case.number}: the DNA comparison cannot be reported: {exc}") from exc

    return provide


def _statistics_provider() -> Callable[[], StatisticsData]:
    path = getattr(settings, "KINLINK_STATISTICS_PROVIDER", "")
    return import_string(str(path)) if path else registry_statistics


def build_facts(
    kind: str,
    case: Case | None,
    lang: str,
    labels: dict[str, Any],
    *,
    today: dt.date,
    audience: str,
    dna_result: DnaReportData | None = None,
    statistics: StatisticsData | None = None,
    letter: LetterSpec | None = None,
    application: str | None = None,
    annexes: list[bytes] | None = None,
) -> dict[str, Any]:
    """The facts of one document. A letter's earlier PDFs it attaches are appended to ``annexes``."""
    if kind == DocumentKind.STATISTICS:
        facts = statistics_facts(statistics or _statistics_provider()(), lang)
        return {**facts, "issuer": case_facts.issuer_facts(None, lang)}
    if case is None:
        raise DocumentError(f"a {kind} is made from a case: give --case")
    issuer = case_facts.issuer_facts(case.organisation, lang)
    if kind == DocumentKind.CERTIFICATE:
        return {**case_facts.certificate_facts(case, lang, labels, today), "issuer": issuer}
    if kind == DocumentKind.INQUIRY_LETTER:
        if letter is None:
            raise DocumentError("a letter needs its addressee: use issue_letter")
        try:
            facts, pdfs = letter_facts(case, letter, lang, labels, today)
        except LetterError as exc:
            raise DocumentError(str(exc)) from exc
        if annexes is not None:
            annexes.extend(pdfs)
        return {**facts, "issuer": issuer}
    if kind == DocumentKind.COURT_APPLICATION:
        try:
            facts = application_facts(case, application or default_kind(case), lang, labels, today)
        except ApplicationError as exc:
            raise DocumentError(str(exc)) from exc
        return {**facts, "issuer": issuer}
    if kind == DocumentKind.DOSSIER:
        dna = dna_result if dna_result is not None else _dna_provider()(case)
        return {**case_facts.dossier_facts(case, lang, labels, today, dna=dna), "issuer": issuer}
    result = dna_result if dna_result is not None else _dna_provider()(case)
    if result is None:
        raise DocumentError(f"case {case.number} has no DNA comparison result to report yet")
    return {**dna_report_facts(result, lang, with_names=audience != Audience.LAB), "issuer": issuer}


def default_audience(kind: str) -> str:
    return {
        DocumentKind.CERTIFICATE: Audience.FAMILY,
        DocumentKind.DOSSIER: Audience.FAMILY,
        DocumentKind.DNA_REPORT: Audience.CASEWORKER,
        DocumentKind.STATISTICS: Audience.PUBLIC,
        DocumentKind.INQUIRY_LETTER: Audience.FAMILY,
        DocumentKind.COURT_APPLICATION: Audience.FAMILY,
    }[DocumentKind(kind)]


def pdf_bytes(document: IssuedDocument) -> bytes:
    return bytes(document.pdf)


def verify_pdf(data: bytes) -> Verification:
    """Was this exact file issued by this instance? Matches the file's SHA-256 against the register."""
    found = IssuedDocument.objects.filter(pdf_sha256=sha256_hex(data)).first()
    if found is not None:
        return Verification(
            True,
            f"genuine: {found.number}, issued {found.created:%Y-%m-%d %H:%M:%S} UTC",
            found.number,
            found,
            code="genuine",
        )
    number = number_in_pdf(data)
    if number is None:
        if not data.startswith(b"%PDF-"):
            return Verification(False, "not a PDF file", code="not_pdf")
        return Verification(
            False, "unknown document: it carries no kinlink document number", code="no_number"
        )
    registered = IssuedDocument.objects.filter(number=number).first()
    if registered is None:
        return Verification(
            False,
            f"unknown document: number {number} was never issued by this instance",
            number,
            code="unknown_number",
        )
    return Verification(
        False,
        f"altered: document {number} is registered, but this file differs from the issued one "
        "(its SHA-256 does not match)",
        number,
        code="altered",
    )


def documents_for_family(request: TracingRequest) -> list[IssuedDocument]:
    """Documents released to the family that made this tracing request (released to this request, not
    to the person it names)."""
    return list(IssuedDocument.objects.filter(releases__tracing_request=request).order_by("-created"))
