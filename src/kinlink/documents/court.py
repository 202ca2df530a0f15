"""Draft applications to a Russian court (Civil Procedure Code arts. 276-279): to recognise the person as
missing, or to declare him dead, with the facts, the evidence built from the case's inquiries, their
answers (or the lack of them) and its sources, and a petition that the court demand what the family
cannot obtain (art. 57).

The court is the district court at the applicant's place of residence (art. 276: the application is filed
"at the place of residence or location of the interested person"); the draft leaves its name, the
applicant's address and the purpose for the family or their lawyer to complete. It says plainly that it
is a draft and not legal advice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kinlink.documents import wording as W
from kinlink.documents.labels import source_title, term
from kinlink.documents.legal import case_legal_view
from kinlink.documents.letters import (
    applicant_facts,
    enquirer,
    is_serviceman,
    last_news_lines,
    person_rows,
    unit_number,
    who,
)
from kinlink.documents.models import Inquiry
from kinlink.lib.formats import format_date, format_partial_date
from kinlink.registry.models import Case, Person, SourceKind
from kinlink.registry.services.fate import person_claims

APPLICATION_KINDS = ("recognise-missing", "declare-dead")
_ACTION = {"recognise-missing": "recognise_missing", "declare-dead": "declare_dead"}
_EVIDENCE_SOURCES = (
    SourceKind.UNIT_NOTICE,
    SourceKind.MINISTRY_LETTER,
    SourceKind.DEATH_CERTIFICATE,
    SourceKind.PRISONER_LIST,
    SourceKind.EXCHANGE_LIST,
    SourceKind.BURIAL_RECORD,
    SourceKind.OBITUARY,
    SourceKind.MEDIA,
)


class ApplicationError(ValueError):
    """No court application can be drafted for this case (unknown kind, a jurisdiction kinlink does not
    draft for)."""


def default_kind(case: Case) -> str:
    """Recognition as missing first; a declaration of death once the person has been recognised missing."""
    return "declare-dead" if case.legal_status == "recognised_missing" else "recognise-missing"


def check(case: Case, kind: str) -> None:
    if kind not in APPLICATION_KINDS:
        raise ApplicationError(f"unknown application '{kind}' (use {', '.join(APPLICATION_KINDS)})")
    if case.jurisdiction not in ("RU-participant", "RU-general"):
        raise ApplicationError(
            f"case {case.number}: court applications are drafted for Russian courts only "
            f"(the case's jurisdiction is {case.jurisdiction})"
        )


def _reference(text: str, lang: str) -> str:
    reference = W.clean_reference(text)
    return W.say(W.REFERENCE_SUFFIX, lang, reference=reference) if reference else ""


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def inquiry_evidence(case: Case, lang: str, today: dt.date) -> tuple[list[str], list[Inquiry]]:
    """One line per inquiry accepted as evidence, and the inquiries left unanswered past their period."""
    lines: list[str] = []
    overdue: list[Inquiry] = []
    inquiries = Inquiry.objects.filter(case=case, evidence=Inquiry.Evidence.ACCEPTED).order_by(
        "asked_on", "id"
    )
    for inquiry in inquiries:
        common = {
            "addressee": inquiry.addressee,
            "date": format_date(inquiry.asked_on, lang),
            "reference": _reference(inquiry.reference, lang),
            "today": format_date(today, lang),
        }
        if inquiry.answered_on is not None:
            answer = inquiry.answer.strip() or (
                source_title(inquiry.answer_source.name, lang) if inquiry.answer_source else "—"
            )
            lines.append(
                W.say(
                    W.EVIDENCE_ANSWERED,
                    lang,
                    answered=format_date(inquiry.answered_on, lang),
                    answer_reference=_reference(inquiry.answer_reference, lang),
                    answer=answer,
                    **common,
                )
            )
        elif inquiry.reply_due is None:
            lines.append(W.say(W.EVIDENCE_NO_PERIOD, lang, **common))
        elif inquiry.reply_due < today:
            overdue.append(inquiry)
            days = (today - inquiry.reply_due).days
            lines.append(
                W.say(W.EVIDENCE_OVERDUE, lang, due=format_date(inquiry.reply_due, lang), days=days, **common)
            )
        else:
            lines.append(W.say(W.EVIDENCE_WAITING, lang, due=format_date(inquiry.reply_due, lang), **common))
    return lines, overdue


def source_evidence(person: Person, case: Case, lang: str) -> list[str]:
    """Official and published sources not already listed as an inquiry's answer."""
    answered = set(
        Inquiry.objects.filter(case=case, answer_source__isnull=False).values_list(
            "answer_source_id", flat=True
        )
    )
    lines: list[str] = []
    claims = person_claims(person).filter(retraction__isnull=True, source__kind__in=_EVIDENCE_SOURCES)
    for claim in claims.select_related("source").order_by("source__date", "created", "id"):
        source = claim.source
        if source.pk in answered:
            continue
        when = f" {format_partial_date(claim.date, lang)}" if claim.date else ""
        lines.append(
            _capital(
                W.say(
                    W.EVIDENCE_SOURCE,
                    lang,
                    kind=term(source.kind, lang),
                    name=source_title(source.name, lang),
                    date=format_partial_date(source.date, lang),
                    reference=_reference(source.reference, lang),
                    statement=f"{term(claim.fate, lang)}{when}",
                )
            )
        )
    return lines


def witness_lines(person: Person, lang: str) -> list[str]:
    lines = []
    claims = person_claims(person).filter(retraction__isnull=True, source__kind=SourceKind.TESTIMONY)
    for claim in claims.select_related("source").order_by("source__date", "created", "id"):
        statement = claim.circumstances or term(claim.fate, lang)
        if claim.place:
            statement += f" ({claim.place})"
        name = source_title(claim.source.name, lang)
        lines.append(f"{name} ({format_partial_date(claim.source.date, lang)}): {statement}")
    return lines


def _person_line(person: Person, lang: str) -> str:
    text = person.primary_name() or "________________"
    if person.birth_date:
        text += f", {format_partial_date(person.birth_date, lang)}"
    if person.birth_place:
        text += f", {person.birth_place}"
    return text


def _period_lines(case: Case, kind: str, lang: str, today: dt.date) -> list[str]:
    view = case_legal_view(case, today=today)
    lines: list[str] = []
    if kind == "declare-dead" and case.jurisdiction == "RU-participant":
        if case.legal_status == "recognised_missing" and case.legal_status_since is not None:
            lines.append(W.say(W.COURT_RECOGNISED_ON, lang, date=format_date(case.legal_status_since, lang)))
        elif case.legal_status in ("none", "certificate_requested"):
            lines.append(W.say(W.COURT_NOT_RECOGNISED, lang))
    dates = [s.date for s in view.legal_steps if s.action == _ACTION[kind] and s.date is not None]
    if dates:
        earliest = min(dates)
        template = W.COURT_PERIOD_REACHED if earliest <= today else W.COURT_PERIOD_NOT_REACHED
        lines.append(W.say(template, lang, date=format_date(earliest, lang), today=format_date(today, lang)))
    return lines


def application_facts(
    case: Case, kind: str, lang: str, labels: dict[str, Any], today: dt.date
) -> dict[str, Any]:
    check(case, kind)
    person = case.person
    person_who = who(person, lang)
    law52 = W.say(W.LAW_52FZ, lang)
    decree = W.say(W.DECREE_1421, lang)
    unit = person.unit
    interested = []
    if unit:
        interested.append(W.say(W.COURT_UNIT, lang, unit=unit))
    if is_serviceman(person):
        interested.append(W.say(W.COURT_MINISTRY, lang))
        interested.append(W.say(W.COURT_COMMISSARIAT, lang))
    inquiry_lines, overdue = inquiry_evidence(case, lang, today)
    source_lines = source_evidence(person, case, lang)
    witnesses = witness_lines(person, lang)
    holder = (
        W.say(W.PETITION_HOLDER, lang, unit=unit_number(unit) or unit)
        if unit
        else W.say(W.PETITION_HOLDER_BLANK, lang)
    )
    if overdue:
        listed = "; ".join(f"{i.addressee}, {format_date(i.asked_on, lang)}" for i in overdue)
        petition_intro = W.say(W.PETITION_TEXT, lang, inquiries=listed, holder=holder)
    else:
        petition_intro = W.say(W.PETITION_TEXT_NONE, lang, holder=holder)
    forms = W.RECOGNISE_OPERATIVE if kind == "recognise-missing" else W.DECLARE_OPERATIVE
    asks = [W.say_gendered(forms, person.sex, lang, person=_person_line(person, lang))]
    if witnesses:
        asks.append(W.say(W.WITNESSES_ASK, lang))
    asks.append(W.say(W.DEMAND_ASK, lang))
    evidence = inquiry_lines + source_lines
    annex_lines = [W.say(m, lang) for m in W.COURT_ANNEXES]
    if evidence:
        annex_lines.append(W.say(W.COURT_ANNEX_EVIDENCE, lang, count=len(evidence)))
    request = enquirer(case)
    return {
        "draft": labels["draft"],
        "court": [labels["court"], f"({labels['court_note']})"],
        "applicant": applicant_facts(case, lang),
        "address": labels["address"],
        "interested": interested,
        "heading": W.say(W.COURT_HEADING[kind], lang),
        "person": person_rows(person, lang, labels),
        "news": last_news_lines(case, lang),
        "since": W.say(W.COURT_SINCE, lang, who=person_who),
        "measures": W.say(W.COURT_MEASURES, lang, who=person_who),
        "law": [
            W.say(W.COURT_LAW[f"{kind}:{case.jurisdiction}"], lang, law52=law52),
            *_period_lines(case, kind, lang, today),
            W.say(W.COURT_PROCEDURE, lang),
            W.say(W.COURT_PURPOSE[kind], lang),
        ],
        "evidence": evidence,
        "petition_intro": petition_intro,
        "petition": [W.say(m, lang, decree=decree) for m in W.PETITION_ITEMS],
        "petition_purpose": W.say(W.PETITION_PURPOSE, lang),
        "witnesses": witnesses,
        "asks": asks,
        "annexes": annex_lines,
        "disclaimer": W.say(W.COURT_DISCLAIMER, lang),
        "date": format_date(today, lang),
        "relationship_known": request is not None,
        "case": case.number,
    }
