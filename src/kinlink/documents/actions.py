"""The documents app's actions: issuing a document (typeset, registered, audited) and releasing it to the
family. The portal's views and the ``kinlink documents render`` command are their adapters."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from kinlink.documents.dna import DnaReportData
from kinlink.documents.labels import LANGUAGES, labels_for
from kinlink.documents.models import Audience, DocumentKind, Inquiry, IssuedDocument
from kinlink.documents.render import TEMPLATES, compile_pdf, sha256_hex
from kinlink.documents.services import DocumentError, build_facts, default_audience, new_number, verify_url
from kinlink.documents.statistics import StatisticsData
from kinlink.registry.models import Case, Source
from kinlink.registry.services import access, audit


def issue_document(
    kind: str,
    case: Case | None,
    lang: str,
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    audience: str | None = None,
    created: dt.datetime | None = None,
    dna_result: DnaReportData | None = None,
    statistics: StatisticsData | None = None,
) -> IssuedDocument:
    """Typeset, register and audit one document; ``user=None`` is the instance itself (the CLI).

    A staff member may only issue documents for cases their organisation can see. The DNA report's
    ``audience="lab"`` copy carries sample codes only; the caseworker's copy adds names.
    """
    if kind not in TEMPLATES:
        raise DocumentError(f"unknown document kind '{kind}' (use {', '.join(TEMPLATES)})")
    if lang not in LANGUAGES:
        raise DocumentError(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
    if (
        user is not None
        and case is not None
        and not access.cases_visible_to(user).filter(pk=case.pk).exists()
    ):
        raise DocumentError("you may not issue documents for this case")
    audience = audience or default_audience(kind)
    if audience not in Audience.values:
        raise DocumentError(f"unknown audience '{audience}'")
    created = (created or timezone.now()).astimezone(dt.UTC).replace(microsecond=0)
    labels = labels_for(kind, lang)
    if kind == DocumentKind.DNA_REPORT:
        labels["subtitle"] = labels["subtitle_lab" if audience == Audience.LAB else "subtitle_caseworker"]
    facts = build_facts(
        kind,
        case,
        lang,
        labels,
        today=created.date(),
        audience=audience,
        dna_result=dna_result,
        statistics=statistics,
    )
    number = new_number(kind, created.year)
    pdf = compile_pdf(
        kind,
        number=number,
        created=created,
        lang=lang,
        facts=facts,
        labels=labels,
        verify_url=verify_url(number, lang),
    )
    from kinlink.documents.render import content_sha256

    with transaction.atomic():
        document = IssuedDocument.objects.create(
            number=number,
            kind=kind,
            case=case,
            language=lang,
            audience=audience,
            created=created,
            content_sha256=content_sha256(kind, lang, facts),
            pdf_sha256=sha256_hex(pdf),
            size=len(pdf),
            pdf=pdf,
            issued_by_id=user.pk if user is not None and user.is_authenticated else None,
        )
        audit.record(
            user,
            "issue_document",
            document,
            label="" if user is not None else "kinlink cli",
            kind=kind,
            case=case.number if case else "",
            audience=audience,
        )
    return document


def release_document(document: IssuedDocument, user: AbstractBaseUser | AnonymousUser | None) -> None:
    """Make a document downloadable from the family's portal (caseworker's decision, audited)."""
    if document.audience in (Audience.LAB,):
        raise DocumentError("a laboratory copy is never released to a family")
    document.released_to_family = True
    document.released_at = timezone.now()
    document.save(update_fields=["released_to_family", "released_at"])
    audit.record(user, "release_document", document, number=document.number)


def record_inquiry(
    actor: AbstractBaseUser | AnonymousUser | None,
    case: Case,
    *,
    addressee_kind: str,
    addressee: str,
    question: str,
    asked_on: dt.date,
    answered_on: dt.date | None = None,
    answer: str = "",
    answer_source: Source | None = None,
    label: str = "",
) -> Inquiry:
    """One question put to an authority about the person of ``case``, and its answer when there is one."""
    with transaction.atomic():
        inquiry = Inquiry(
            case=case,
            addressee_kind=addressee_kind,
            addressee=addressee,
            question=question,
            asked_on=asked_on,
            answered_on=answered_on,
            answer=answer,
            answer_source=answer_source,
        )
        if actor is not None and actor.is_authenticated:
            inquiry.created_by_id = actor.pk
        inquiry.full_clean()
        inquiry.save()
        audit.record(actor, audit.Action.RECORD_INQUIRY, inquiry, label=label, case=case.number)
    return inquiry
