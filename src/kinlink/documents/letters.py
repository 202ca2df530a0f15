"""Letters from the case: an inquiry, a reminder or a complaint, filled from the registry in the addressee's
language, and the next step an overdue inquiry calls for.

A letter is the family member's own appeal (59-FZ protects a citizen's appeal; Decree 1421 gives the
certificate to a family member), prepared with the organisation's help: the organisation's letterhead
and signatory, its address for the answer. The applicant is the tracing request's enquirer, named in
full (59-FZ art. 7 requires it); the family's own contact details are never printed. Earlier letters of
the same trail are listed, and kinlink's own PDFs of them are attached page by page.

``letter_facts`` returns plain JSON-ready data for ``typst/letter.typ``; ``next_step`` is what the portal
offers for an overdue inquiry.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from kinlink.documents import wording as W
from kinlink.documents.labels import source_title, term
from kinlink.documents.models import Inquiry, IssuedDocument
from kinlink.documents.render import page_count
from kinlink.identification.relationships import canonical_relationship
from kinlink.lib.formats import format_date, format_partial_date
from kinlink.registry.models import Case, Person, SourceKind, TracingRequest
from kinlink.registry.services.fate import person_claims
from kinlink.registry.services.memo import remembered

LETTER_KINDS = ("inquiry", "reminder", "complaint")
PURPOSES = ("circumstances", "certificate")
#: Who a complaint about an unanswered appeal goes to: the military prosecutor supervises the command
#: (Federal Law 2202-1); a complaint the prosecutor leaves unanswered goes to the ombudsman.
COMPLAINT_ADDRESSEES = (Inquiry.Addressee.PROSECUTOR, Inquiry.Addressee.OMBUDSMAN)
#: Official sources whose statements a letter quotes.
_OFFICIAL = (
    SourceKind.UNIT_NOTICE,
    SourceKind.MINISTRY_LETTER,
    SourceKind.DEATH_CERTIFICATE,
    SourceKind.PRISONER_LIST,
    SourceKind.EXCHANGE_LIST,
    SourceKind.BURIAL_RECORD,
)
_UNIT_NUMBER = re.compile(r"\b(\d{4,6})\b")


class LetterError(ValueError):
    """A letter cannot be drafted: a follow-up without an earlier appeal, an unknown kind or addressee."""


@dataclass(frozen=True, slots=True)
class LetterSpec:
    """What to write: the kind of letter, to whom, why, and the earlier appeals it follows.

    ``inquiry`` is the recorded inquiry the letter is for (its addressee, date and reference), or None for
    a letter not yet recorded; ``earlier`` are the appeals it follows, oldest first (a reminder's and a
    complaint's subject)."""

    letter_kind: str
    addressee_kind: str
    addressee: str = ""
    purpose: str = "circumstances"
    inquiry: Inquiry | None = None
    earlier: tuple[Inquiry, ...] = field(default_factory=tuple)

    def check(self) -> None:
        if self.letter_kind not in LETTER_KINDS:
            raise LetterError(f"unknown letter kind '{self.letter_kind}' (use {', '.join(LETTER_KINDS)})")
        if self.addressee_kind not in Inquiry.Addressee.values:
            raise LetterError(
                f"unknown addressee '{self.addressee_kind}' (use {', '.join(Inquiry.Addressee.values)})"
            )
        if self.purpose not in PURPOSES:
            raise LetterError(f"unknown purpose '{self.purpose}' (use {', '.join(PURPOSES)})")
        if self.letter_kind != "inquiry" and not self.earlier:
            raise LetterError(f"a {self.letter_kind} follows an earlier appeal: none was given")


@dataclass(frozen=True, slots=True)
class NextStep:
    """What to draft for an overdue inquiry: a reminder to the same addressee, then a complaint."""

    letter_kind: str
    addressee_kind: str
    follows: Inquiry


def chain(inquiry: Inquiry) -> list[Inquiry]:
    """The inquiry and the appeals it follows up, oldest first."""
    found: list[Inquiry] = []
    current: Inquiry | None = inquiry
    while current is not None and current not in found:
        found.append(current)
        current = current.follows
    return list(reversed(found))


def next_step(inquiry: Inquiry, today: dt.date) -> NextStep | None:
    """The follow-up an unanswered inquiry calls for as of ``today``, or None (answered, not yet due,
    no statutory period, or already followed up by a step that is itself still running).

    An overdue inquiry gets a reminder to the same addressee (59-FZ art. 12); an overdue reminder (or an
    overdue inquiry already reminded) gets a complaint to the military prosecutor; a complaint to the
    prosecutor left unanswered goes to the ombudsman; after that kinlink proposes nothing more (the
    court is the next step, see ``issue_court_application``)."""
    if not inquiry.is_overdue(today):
        return None
    later = list(inquiry.follow_ups.all())
    if any(not f.is_overdue(today) for f in later):
        return None  # a follow-up is answered or still within its period
    kinds = {f.kind for f in later}
    if inquiry.kind == Inquiry.Kind.COMPLAINT or Inquiry.Kind.COMPLAINT in kinds:
        complained_to = {f.addressee_kind for f in [inquiry, *later] if f.kind == Inquiry.Kind.COMPLAINT}
        if (
            Inquiry.Addressee.OMBUDSMAN in complained_to
            or inquiry.addressee_kind == Inquiry.Addressee.OMBUDSMAN
        ):
            return None
        return NextStep(Inquiry.Kind.COMPLAINT, Inquiry.Addressee.OMBUDSMAN, inquiry)
    if inquiry.kind == Inquiry.Kind.REMINDER or Inquiry.Kind.REMINDER in kinds:
        target = (
            Inquiry.Addressee.OMBUDSMAN
            if inquiry.addressee_kind == Inquiry.Addressee.PROSECUTOR
            else Inquiry.Addressee.PROSECUTOR
        )
        return NextStep(Inquiry.Kind.COMPLAINT, target, inquiry)
    return NextStep(Inquiry.Kind.REMINDER, inquiry.addressee_kind, inquiry)


# --- facts ---------------------------------------------------------------------------------------------


def enquirer(case: Case) -> TracingRequest | None:
    """The family member who writes: the earliest tracing request for the person, with a name if any (read
    once per case inside a ``page_memo`` block)."""
    return remembered(("enquirer", case.pk, case.person_id), lambda: _enquirer(case))


def _enquirer(case: Case) -> TracingRequest | None:
    requests = list(TracingRequest.objects.filter(person=case.person).order_by("submitted_at", "id"))
    named = [r for r in requests if (r.enquirer_name or "").strip()]
    found = named or requests
    return found[0] if found else None


def is_serviceman(person: Person) -> bool:
    return bool(person.unit or person.service_number or person.rank)


def who(person: Person, lang: str) -> str:
    forms = W.OF_SERVICEMAN if is_serviceman(person) else W.OF_PERSON
    return W.say_gendered(forms, person.sex, lang)


def unit_number(unit: str) -> str:
    """The number of a military unit as written in its name ("в/ч 12345" -> "12345"), or ""."""
    match = _UNIT_NUMBER.search(unit)
    return match.group(1) if match else ""


def person_rows(person: Person, lang: str, labels: dict[str, Any]) -> list[list[str]]:
    """The person's rows of a letter: the dossier's rows without a case number (one definition)."""
    from kinlink.documents.facts import person_rows as dossier_rows

    return dossier_rows(person, None, lang, labels)


def applicant_facts(case: Case, lang: str) -> dict[str, str]:
    request = enquirer(case)
    name = (request.enquirer_name or "").strip() if request is not None else ""
    # the portal stores a code ("mother"); older and imported requests may hold the word ("мать")
    stated = request.relationship if request is not None else ""
    relationship = canonical_relationship(stated) or "other"
    person_who = who(case.person, lang)
    if name:
        intro = W.say(
            W.INTRO, lang, applicant=name, relationship=W.relationship_as(relationship, lang), who=person_who
        )
    else:
        intro = W.say(W.INTRO_UNNAMED, lang, who=person_who)
    return {
        "name": name or "________________________________",
        "relationship": term(relationship, lang) if relationship != "other" else "",
        "intro": intro,
    }


def last_news_lines(case: Case, lang: str) -> list[str]:
    """What the family knows: the last contact, the last known place, the circumstances (the request's)."""
    request = enquirer(case)
    if request is None:
        return []
    lines = []
    if request.last_contact:
        lines.append(W.say(W.LAST_NEWS, lang, date=format_partial_date(request.last_contact, lang)))
    if request.last_known_place:
        lines.append(W.say(W.LAST_PLACE, lang, place=request.last_known_place))
    if request.circumstances.strip():
        lines.append(W.say(W.CIRCUMSTANCES, lang, text=request.circumstances.strip()))
    return lines


def statement_lines(person: Person, lang: str) -> list[str]:
    """Official statements about the person so far (live claims of official sources), oldest first."""
    lines = []
    claims = person_claims(person).filter(retraction__isnull=True, source__kind__in=_OFFICIAL)
    for claim in claims.select_related("source").order_by("source__date", "created", "id"):
        source = claim.source
        when = f" {format_partial_date(claim.date, lang)}" if claim.date else ""
        name = source_title(source.name, lang)
        quoted = f"«{name}»" if lang != "en" else f"“{name}”"
        reference = W.clean_reference(source.reference)
        suffix = W.say(W.REFERENCE_SUFFIX, lang, reference=reference) if reference else ""
        date = format_partial_date(source.date, lang)
        lines.append(f"{date}, {term(source.kind, lang)} {quoted}{suffix}: {term(claim.fate, lang)}{when}")
    return lines


def default_addressee(addressee_kind: str, person: Person, lang: str) -> list[str]:
    """The addressee block of a letter that names none: who, in the dative, and a line to fill in."""
    if addressee_kind == Inquiry.Addressee.MILITARY_UNIT:
        number = unit_number(person.unit)
        if number:
            return [W.say(W.ADDRESSEE_LINE["military_unit"], lang, number=number)]
        if person.unit:
            return [W.say(W.ADDRESSEE_LINE["military_unit_named"], lang, unit=person.unit)]
        return [W.say(W.ADDRESSEE_LINE["military_unit_blank"], lang)]
    lines = [W.say(W.ADDRESSEE_LINE[addressee_kind], lang)]
    if addressee_kind == Inquiry.Addressee.COMMISSARIAT and person.region:
        lines.append(person.region)
    return lines


def _subject(spec: LetterSpec) -> str:
    if spec.letter_kind != "inquiry":
        return W.SUBJECT[spec.letter_kind]
    kind = spec.addressee_kind
    if kind == Inquiry.Addressee.MILITARY_UNIT:
        return W.SUBJECT[spec.purpose]
    if kind == Inquiry.Addressee.RED_CROSS:
        return W.SUBJECT["trace"]
    if kind in COMPLAINT_ADDRESSEES:
        return W.SUBJECT["check"]
    return W.SUBJECT["information"]


def _request_key(spec: LetterSpec) -> str:
    if spec.letter_kind == "reminder":
        return "reminder"
    if spec.letter_kind == "complaint":
        return "complaint_ombudsman" if spec.addressee_kind == Inquiry.Addressee.OMBUDSMAN else "complaint"
    kind = spec.addressee_kind
    if kind == Inquiry.Addressee.MILITARY_UNIT:
        return spec.purpose
    keys: dict[str, str] = {
        Inquiry.Addressee.COMMISSARIAT: "information",
        Inquiry.Addressee.RED_CROSS: "trace",
        Inquiry.Addressee.POW_BODY: "trace",
        Inquiry.Addressee.PROSECUTOR: "check_prosecutor",
        Inquiry.Addressee.OMBUDSMAN: "check_ombudsman",
    }
    return keys.get(kind, "general")


def _basis(spec: LetterSpec, lang: str) -> list[str]:
    acts = {
        "law": W.say(W.LAW_59FZ, lang),
        "decree": W.say(W.DECREE_1421, lang),
        "law2202": W.say(W.LAW_2202, lang),
        "law1fkz": W.say(W.LAW_1FKZ, lang),
    }
    kind = spec.addressee_kind
    lines = []
    if kind == Inquiry.Addressee.PROSECUTOR:
        lines.append(W.say(W.BASIS["prosecutor"], lang, **acts))
    elif kind == Inquiry.Addressee.OMBUDSMAN:
        lines.append(W.say(W.BASIS["ombudsman"], lang, **acts))
    elif kind in (Inquiry.Addressee.RED_CROSS, Inquiry.Addressee.POW_BODY, Inquiry.Addressee.OTHER):
        lines.append(W.say(W.BASIS["red_cross"], lang))
    elif (
        spec.letter_kind == "inquiry"
        and kind == Inquiry.Addressee.MILITARY_UNIT
        and spec.purpose == "certificate"
    ):
        lines.append(W.say(W.BASIS["decree-1421"], lang, **acts))
    else:
        lines.append(W.say(W.BASIS["59-FZ"], lang, **acts))
    if spec.letter_kind == "complaint":
        lines.append(W.say(W.BASIS["complaint"], lang, **acts))
    return lines


def _reference(inquiry: Inquiry, lang: str) -> str:
    reference = W.clean_reference(inquiry.reference)
    return W.say(W.REFERENCE_SUFFIX, lang, reference=reference) if reference else ""


def _days_late(inquiry: Inquiry, today: dt.date) -> int:
    return (today - inquiry.reply_due).days if inquiry.reply_due is not None else 0


def earlier_paragraphs(earlier: tuple[Inquiry, ...], lang: str, today: dt.date) -> list[str]:
    """The story of the unanswered appeals a reminder or complaint follows: sent, received, period passed."""
    lines: list[str] = []
    first = earlier[0]
    lines.append(
        W.say(
            W.EARLIER_SENT,
            lang,
            date=format_date(first.asked_on, lang),
            addressee=first.addressee,
            reference=_reference(first, lang),
        )
    )
    if first.received_on is not None:
        tracking = (
            W.say(W.TRACKING_SUFFIX, lang, tracking=first.tracking_number) if first.tracking_number else ""
        )
        lines.append(
            W.say(W.EARLIER_RECEIVED, lang, tracking=tracking, date=format_date(first.received_on, lang))
        )
    lines.append(_period_line(first, lang, today))
    for later in earlier[1:]:
        lines.append(
            W.say(
                W.ALSO_REMINDED,
                lang,
                date=format_date(later.asked_on, lang),
                reference=_reference(later, lang),
            )
        )
    return lines


def _period_line(inquiry: Inquiry, lang: str, today: dt.date) -> str:
    if inquiry.reply_due is None:
        return W.say(W.PERIOD_NONE, lang, today=format_date(today, lang))
    template = W.PERIOD_PASSED_1421 if inquiry.legal_basis == "decree-1421" else W.PERIOD_PASSED
    return W.say(
        template,
        lang,
        law=W.say(W.LAW_59FZ, lang),
        decree=W.say(W.DECREE_1421, lang),
        due=format_date(inquiry.reply_due, lang),
        today=format_date(today, lang),
        days=max(_days_late(inquiry, today), 0),
    )


def earlier_rows(earlier: tuple[Inquiry, ...], lang: str) -> list[list[str]]:
    rows = []
    for inquiry in earlier:
        if inquiry.answered_on is not None:
            answer = format_date(inquiry.answered_on, lang)
        else:
            answer = W.say(W.UNANSWERED, lang)
        rows.append(
            [
                format_date(inquiry.asked_on, lang),
                inquiry.addressee,
                inquiry.reference or "—",
                format_date(inquiry.received_on, lang, empty=W.say(W.NOT_RECEIVED, lang)),
                format_date(inquiry.reply_due, lang),
                answer,
            ]
        )
    return rows


def annexes(spec: LetterSpec, lang: str) -> tuple[list[dict[str, Any]], list[bytes]]:
    """The annex list, and the PDFs of kinlink's own earlier letters whose pages the letter carries."""
    items: list[dict[str, Any]] = []
    pdfs: list[bytes] = []
    for inquiry in spec.earlier:
        letter: IssuedDocument | None = inquiry.letter
        if letter is not None:
            pdf = bytes(letter.pdf)
            pages = page_count(pdf)
            text = W.say(
                W.ANNEX_LETTER,
                lang,
                addressee=inquiry.addressee,
                date=format_date(inquiry.asked_on, lang),
                number=letter.number,
                pages=pages,
            )
            items.append({"text": text, "pdf": len(pdfs), "pages": pages})
            pdfs.append(pdf)
        else:
            text = W.say(
                W.ANNEX_COPY,
                lang,
                addressee=inquiry.addressee,
                date=format_date(inquiry.asked_on, lang),
                reference=_reference(inquiry, lang),
            )
            items.append({"text": text, "pdf": -1, "pages": 0})
        if inquiry.tracking_number:
            text = W.say(
                W.ANNEX_POSTAL,
                lang,
                date=format_date(inquiry.asked_on, lang),
                tracking=inquiry.tracking_number,
            )
            items.append({"text": text, "pdf": -1, "pages": 0})
    if spec.letter_kind == "inquiry" and spec.addressee_kind in (
        Inquiry.Addressee.MILITARY_UNIT,
        Inquiry.Addressee.COMMISSARIAT,
    ):
        items.append({"text": W.say(W.ANNEX_KINSHIP, lang), "pdf": -1, "pages": 0})
    return items, pdfs


def answer_address(case: Case, lang: str) -> str:
    org = case.organisation
    if org.address:
        text = f"{org.name}, {org.address}"
        return f"{text}, {org.email}" if org.email else text
    return W.say(W.ANSWER_TO_BLANK, lang)


def letter_facts(
    case: Case, spec: LetterSpec, lang: str, labels: dict[str, Any], today: dt.date
) -> tuple[dict[str, Any], list[bytes]]:
    """The letter's data (JSON-ready) and the PDFs of the earlier letters it attaches."""
    spec.check()
    person = case.person
    person_who = who(person, lang)
    if spec.addressee:
        to = [line for line in spec.addressee.splitlines() if line.strip()]
    elif spec.inquiry is not None and spec.inquiry.addressee:
        to = [spec.inquiry.addressee]
    else:
        to = default_addressee(spec.addressee_kind, person, lang)
    addressee_name = " ".join(to)
    first = spec.earlier[0] if spec.earlier else None
    request_params = {
        "who": person_who,
        "decree": W.say(W.DECREE_1421, lang),
        "law": W.say(W.LAW_59FZ, lang),
        "geneva": W.say(W.GENEVA_III, lang),
        "addressee": first.addressee if first is not None else addressee_name,
        "date": format_date(first.asked_on, lang) if first is not None else "",
    }
    requests = [W.say(m, lang, **request_params) for m in W.REQUESTS[_request_key(spec)]]
    annex_items, pdfs = annexes(spec, lang)
    outgoing = ""
    if spec.inquiry is not None and spec.inquiry.reference:
        outgoing = W.clean_reference(spec.inquiry.reference)
    facts: dict[str, Any] = {
        "to": to,
        "applicant": applicant_facts(case, lang),
        "outgoing": outgoing,
        "date": format_date(spec.inquiry.asked_on if spec.inquiry is not None else today, lang),
        "heading": W.say(W.HEADING[spec.letter_kind], lang),
        "subject": W.say(_subject(spec), lang),
        "person": person_rows(person, lang, labels),
        "news": last_news_lines(case, lang) if spec.letter_kind == "inquiry" else [],
        "statements_intro": W.say(W.STATEMENTS, lang),
        "statements": statement_lines(person, lang) if spec.letter_kind == "inquiry" else [],
        "earlier_text": earlier_paragraphs(spec.earlier, lang, today) if spec.earlier else [],
        "earlier": earlier_rows(spec.earlier, lang),
        "requests": requests,
        "basis": _basis(spec, lang),
        "answer_to": answer_address(case, lang),
        "annexes": annex_items,
        "case": case.number,
    }
    return facts, pdfs
