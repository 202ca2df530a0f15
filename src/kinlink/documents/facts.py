"""Facts for the certificate and the court dossier, gathered from the registry in the reader's language.

Each builder returns plain JSON-ready data (strings, lists, dicts) that a Typst template lays out and
that the content hash is taken of. Contact details never appear; the enquirer is named by relationship.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from kinlink.documents.dna import DnaReportData, format_lr, format_posterior
from kinlink.documents.labels import fate_message, phrase, source_title, term
from kinlink.documents.legal import case_legal_view
from kinlink.documents.models import Inquiry
from kinlink.lib.formats import format_date, format_partial_date, format_significant
from kinlink.registry.fate import FateAssessment, parse_claim_label
from kinlink.registry.models import (
    Case,
    Claim,
    Organisation,
    Person,
    Sample,
    Source,
    SourceKind,
    TracingRequest,
)
from kinlink.registry.services import sources
from kinlink.registry.services.fate import assess_person, explanation_lines, person_claims

DNA_SOURCE_KINDS = (SourceKind.DNA_REPORT, SourceKind.DNA_IDENTIFICATION)
OFFICIAL_SOURCE_KINDS = (
    SourceKind.UNIT_NOTICE,
    SourceKind.MINISTRY_LETTER,
    SourceKind.DEATH_CERTIFICATE,
    SourceKind.PRISONER_LIST,
    SourceKind.EXCHANGE_LIST,
    SourceKind.BURIAL_RECORD,
    SourceKind.DNA_REPORT,
)

#: What an application to the court must state, per jurisdiction family (Russian Civil Procedure Code
#: arts. 276-280; Ukrainian Civil Procedure Code arts. 305-309).
CHECKLIST: dict[str, dict[str, list[str]]] = {
    "RU": {
        "ru": [
            "Цель обращения: для чего нужно признание (пенсия, страховая выплата, "
            "наследство, опека) (ст. 277 ГПК РФ).",
            "Обстоятельства исчезновения: когда, где и при каких обстоятельствах прекратились сведения.",
            "Для объявления умершим: обстоятельства, угрожавшие смертью или дающие "
            "основание предполагать гибель; "
            "для участников боевых действий: дата последних сведений (законы 120-ФЗ и 118-ФЗ).",
            "Все сделанные запросы и полученные ответы или их отсутствие (раздел «Официальные ответы»).",
            "Сведения о заявителе и его родстве с лицом; лица, которые могут сообщить о нём (свидетели).",
            "Приложения: копии ответов, извещений, показаний; документы о родстве.",
        ],
        "uk": [
            "Мета звернення: для чого потрібне визнання (пенсія, страхова виплата, спадщина, опіка).",
            "Обставини зникнення: коли, де і за яких обставин припинилися відомості.",
            "Для оголошення померлим: обставини, що загрожували смертю або дають "
            "підстави припускати загибель.",
            "Усі зроблені запити та отримані відповіді або їх відсутність (розділ «Офіційні відповіді»).",
            "Відомості про заявника та його спорідненість з особою; особи, які "
            "можуть повідомити про неї (свідки).",
            "Додатки: копії відповідей, сповіщень, показань; документи про спорідненість.",
        ],
        "en": [
            "The purpose: what the recognition is needed for (pension, insurance, inheritance, custody) "
            "(Civil Procedure Code art. 277).",
            "The circumstances of the disappearance: when, where and how news of him stopped.",
            "To declare him dead: the circumstances that threatened death or give reason to presume it; for "
            "participants of hostilities, the date of the last news (Laws 120-FZ and 118-FZ).",
            "Every inquiry made and every answer received, or its absence (see 'Official answers').",
            "The applicant and his or her kinship with the person; people who can testify (witnesses).",
            "Attachments: copies of answers, notices and statements; proof of kinship.",
        ],
    },
    "UA": {
        "ru": [
            "Цель обращения (пенсия, выплаты, наследство, опека) (ст. 306 ГПК Украины).",
            "Обстоятельства исчезновения и дата последних сведений.",
            "Для объявления умершим: обстоятельства, угрожавшие смертью, или связь с боевыми действиями.",
            "Все сделанные запросы и ответы или их отсутствие.",
            "Сведения о заявителе, его родстве и свидетелях.",
        ],
        "uk": [
            "Мета звернення (пенсія, виплати, спадщина, опіка) (ст. 306 ЦПК України).",
            "Обставини зникнення та дата останніх відомостей.",
            "Для оголошення померлим: обставини, що загрожували смертю, або зв'язок з бойовими діями.",
            "Усі зроблені запити та відповіді або їх відсутність.",
            "Відомості про заявника, його спорідненість і свідків.",
        ],
        "en": [
            "The purpose (pension, payments, inheritance, custody) (Civil "
            "Procedure Code of Ukraine art. 306).",
            "The circumstances of the disappearance and the date of the last news.",
            "To declare him dead: the circumstances that threatened death, or the link to hostilities.",
            "Every inquiry made and every answer, or its absence.",
            "The applicant, his or her kinship, and the witnesses.",
        ],
    },
}


def person_rows(person: Person, case: Case | None, lang: str, labels: dict[str, Any]) -> list[list[str]]:
    rows = [[labels["name"], person.primary_name() or "—"]]
    if person.birth_date:
        rows.append([labels["birth_date"], format_partial_date(person.birth_date, lang)])
    if person.birth_place:
        rows.append([labels["birth_place"], person.birth_place])
    if person.service_number:
        rows.append([labels["service_number"], person.service_number])
    if person.unit:
        rows.append([labels["unit"], person.unit])
    if person.rank:
        rows.append([labels["rank"], person.rank])
    if case is not None:
        rows.append([labels["case_number"], case.number])
        rows.append([labels["organisation"], case.organisation.name])
    return rows


def inquiry_rows(case: Case, lang: str, today: dt.date) -> list[list[str]]:
    rows = []
    # what the family logged counts once a caseworker accepted it as evidence (issue 13)
    accepted = Inquiry.objects.filter(case=case, evidence=Inquiry.Evidence.ACCEPTED)
    for inquiry in accepted.order_by("asked_on", "id"):
        if inquiry.answered_on:
            answered = format_date(inquiry.answered_on, lang)
            answer = inquiry.answer or (str(inquiry.answer_source) if inquiry.answer_source else "")
        else:
            answered = "—"
            answer = phrase(
                "waited", lang, days=(today - inquiry.asked_on).days, date=format_date(today, lang)
            )
        who = inquiry.addressee + (f" ({inquiry.reference})" if inquiry.reference else "")
        rows.append([format_date(inquiry.asked_on, lang), who, inquiry.question, answered, answer])
    return rows


def _origin(source: Source, lang: str) -> str:
    """Who issued a source; a family's report names the enquirer by a relationship code ("mother")."""
    if source.kind == SourceKind.FAMILY_REPORT:
        return term(source.origin, lang)
    with translation.override(lang):
        return sources.source_origin(source.origin)


def request_rows(person: Person, lang: str) -> list[list[str]]:
    return [
        [
            request.number,
            format_date(request.submitted_at.date(), lang),
            term(request.channel, lang),
            term(request.relationship, lang),
            term(request.status, lang),
        ]
        for request in TracingRequest.objects.filter(person=person).order_by("submitted_at", "id")
    ]


def _claims(person: Person) -> list[Claim]:
    """The person's claims (its merge group's), retracted ones included, in the order the sources spoke."""
    return list(
        person_claims(person).select_related("source", "retraction").order_by("source__date", "created", "id")
    )


def _statement(claim: Claim, lang: str) -> str:
    when = f" {format_partial_date(claim.date, lang)}" if claim.date else ""
    return f"{term(claim.fate, lang)}{when}"


def answer_rows(person: Person, lang: str) -> list[list[str]]:
    rows = []
    for claim in _claims(person):
        source = claim.source
        if source.kind not in OFFICIAL_SOURCE_KINDS or claim.is_retracted:
            continue
        rows.append(
            [
                format_partial_date(source.date, lang),
                f"{term(source.kind, lang)}: {source_title(source.name, lang)}",
                _origin(source, lang) or "—",
                _statement(claim, lang),
                source.reference or "—",
            ]
        )
    return rows


def fate_rows(
    person: Person, assessment: FateAssessment, lang: str, labels: dict[str, Any]
) -> list[list[str]]:
    """The fate as stored on the person (the registry's reconciliation, recomputed whenever a claim
    changes), with the sources the reconciliation cites."""
    sources = sorted({source_title(c.source_name, lang) for c in assessment.cited})
    return [
        [phrase("fate_value", lang), term(person.fate, lang)],
        [phrase("confidence", lang), term(person.fate_confidence, lang)],
        [phrase("sources_cited", lang), "; ".join(sources) if sources else "—"],
    ]


def _localise_claim(label: str, lang: str) -> str:
    """``ClaimFact.label()`` ("source: fate DATE (stated DATE)") in the reader's language."""
    parts = parse_claim_label(label)
    if parts is None:
        return label
    when = f" {format_partial_date(parts['when'], lang)}" if parts["when"] else ""
    text = f"{source_title(parts['source'], lang)}: {term(parts['fate'], lang)}{when}"
    if parts["stated"]:
        text += f" ({phrase('stated', lang)} {format_partial_date(parts['stated'], lang)})"
    return text


def localised_explanation(assessment: FateAssessment, lang: str) -> list[str]:
    """The reconciliation's explanation in Russian or Ukrainian, through the catalogue; English as is."""
    if lang == "en":
        with translation.override(lang):
            return explanation_lines(assessment)
    lines = []
    for message in assessment.explanation:
        template = fate_message(message.template, lang)
        params = dict(message.params)
        if "claim" in params:
            params["claim"] = _localise_claim(params["claim"], lang)
        for key in ("fate", "other_fate"):
            if key in params:
                params[key] = term(params[key], lang)
        for key in ("source", "dead_source", "missing_source", "other_source"):
            if isinstance(params.get(key), str):
                params[key] = source_title(params[key], lang)
        lines.append(template.format(**params))
    return lines


def explanation(person: Person, lang: str) -> tuple[FateAssessment, list[str]]:
    assessment = assess_person(person)
    return assessment, localised_explanation(assessment, lang)


def certificate_facts(case: Case, lang: str, labels: dict[str, Any], today: dt.date) -> dict[str, Any]:
    person = case.person
    assessment, lines = explanation(person, lang)
    return {
        "person": person_rows(person, case, lang, labels),
        "requests": request_rows(person, lang),
        "inquiries": inquiry_rows(case, lang, today),
        "answers": answer_rows(person, lang),
        "fate": fate_rows(person, assessment, lang, labels),
        "explanation": lines,
    }


def chronology_rows(person: Person, lang: str) -> list[list[str]]:
    rows = []
    for claim in _claims(person):
        source = claim.source
        with translation.override(lang):
            said = sources.claim_circumstances(claim.circumstances)
            cited = sources.source_reference(source.reference)
        detail = "; ".join(p for p in (claim.place, said) if p) or "—"
        status = (
            phrase("retraction", lang, reason=claim.retraction.reason or "—")
            if claim.is_retracted
            else term("current", lang)
        )
        origin = f", {_origin(source, lang)}" if source.origin else ""
        reference = f", {cited}" if source.reference else ""
        rows.append(
            [
                format_partial_date(source.date, lang),
                f"{source_title(source.name, lang)} ({term(source.kind, lang)}{origin}{reference}; "
                f"{phrase('reliability', lang)} {source.reliability})",
                _statement(claim, lang),
                detail,
                status,
            ]
        )
    return rows


def witness_statements(person: Person, lang: str) -> list[str]:
    statements = []
    for claim in _claims(person):
        if claim.source.kind != SourceKind.TESTIMONY or claim.is_retracted:
            continue
        when = format_partial_date(claim.source.date, lang)
        text = claim.circumstances or _statement(claim, lang)
        place = f" ({claim.place})" if claim.place else ""
        statements.append(f"{when}, {source_title(claim.source.name, lang)}: {text}{place}")
    return statements


def dna_result_lines(data: DnaReportData | None, lang: str) -> list[str]:
    """The DNA comparison in the dossier: only an identification two staff members confirmed; a
    candidate still under review is never put into a document that goes to the family or a court."""
    if data is None or data.identified is not True:
        return []
    data.check()
    samples = ", ".join(m.sample_code or "" for m in data.pedigree if m.typed)
    return [
        phrase(
            "dna_line",
            lang,
            remains=data.remains_code,
            lab=data.lab,
            samples=samples,
            markers=len(data.markers),
            lr=format_lr(data.total_lr, lang),
            prior=format_significant(data.prior, lang, 6),
            posterior=format_posterior(data.posterior, lang),
            verbal=term(data.verbal_conclusion, lang),
            status=term("dna_identified", lang),
        )
    ]


def dna_lines(person: Person, lang: str, data: DnaReportData | None = None) -> list[str]:
    lines = dna_result_lines(data, lang)
    for claim in _claims(person):
        if claim.source.kind in DNA_SOURCE_KINDS and not claim.is_retracted:
            name = source_title(claim.source.name, lang)
            when = format_partial_date(claim.source.date, lang)
            lines.append(f"{when}, {name}: {_statement(claim, lang)}")
    for remains in person.identified_remains.all().order_by("code"):
        lines.append(f"{remains.code}: {term(remains.status, lang)}")
    samples = Sample.objects.filter(tracing_request__person=person).order_by("code")
    for sample in samples:
        with translation.override(lang):
            status = str(sample.get_status_display())
        lines.append(f"{sample.code}: {term(sample.kind, lang)}, {status}")
    return lines


def legal_text(text: str, lang: str) -> str:
    """A legal rule's title or a jurisdiction's name (``registry/data/legal_rules.json``, English) in the
    reader's language, from the translation catalogues that ship with kinlink (``portal.legal_messages``
    puts every such text there, and a test checks that each is translated)."""
    with translation.override(lang):
        return gettext(text)


def dossier_facts(
    case: Case, lang: str, labels: dict[str, Any], today: dt.date, dna: DnaReportData | None = None
) -> dict[str, Any]:
    person = case.person
    assessment, lines = explanation(person, lang)
    legal = case_legal_view(case, today=today)
    family = "UA" if case.jurisdiction.startswith("UA") else "RU"
    status = term("legal_none" if legal.status == "none" else legal.status, lang)
    if legal.since:
        status += f" ({phrase('since', lang)} {format_date(legal.since, lang)})"
    return {
        "person": person_rows(person, case, lang, labels),
        "fate": fate_rows(person, assessment, lang, labels),
        "explanation": lines,
        "chronology": chronology_rows(person, lang),
        "witnesses": witness_statements(person, lang),
        "official": inquiry_rows(case, lang, today),
        "answers": answer_rows(person, lang),
        "dna": dna_lines(person, lang, dna),
        "legal": [
            [phrase("jurisdiction", lang), legal_text(legal.jurisdiction_name, lang)],
            [phrase("legal_status", lang), status],
            [phrase("last_news", lang), format_date(legal.last_news, lang)],
        ],
        "deadlines": [
            [
                format_date(d.date, lang) if d.date else legal_text(d.waits_for or "", lang),
                f"{legal_text(d.title, lang)} ({d.basis if lang == 'en' else d.basis_original or d.basis})",
                term("yes" if d.reached else "no", lang),
            ]
            for d in legal.legal_steps
        ],
        "checklist": CHECKLIST[family][lang],
        "as_of": format_date(today, lang),
    }


def issuer_facts(organisation: Organisation | None, lang: str) -> dict[str, Any]:
    """The issuer's letterhead and signature block, in the reader's language.

    A document made for a case is issued by the case's organisation (its address, registration details
    and signatory, from the organisation's settings); the statistics report, made for no case, names the
    instance (``KINLINK_INSTANCE_NAME``). Empty details are left out; the signatory's line stays blank to
    be filled in by hand when the organisation has not named one.
    """
    with translation.override(lang):
        if organisation is None:
            name = str(getattr(settings, "KINLINK_INSTANCE_NAME", "") or "kinlink")
            details: list[list[str]] = []
            signatory = ["", ""]
        else:
            name = organisation.name
            details = [
                [gettext("Address"), organisation.address],
                [gettext("Registration details"), organisation.registration],
                [gettext("Phone"), organisation.phone],
                [gettext("Email"), organisation.email],
            ]
            signatory = [organisation.signatory_position, organisation.signatory_name]
        return {
            "heading": gettext("Issuing organisation"),
            "name": name,
            "details": [row for row in details if row[1]],
            "signatory_heading": gettext("Signatory"),
            "signatory": signatory,
            "signature": gettext("Signature"),
            "date": gettext("Date"),
            "stamp": gettext("Stamp (seal)"),
        }
