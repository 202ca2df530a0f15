"""The documents app's actions: issuing a document (typeset, registered, audited) and releasing it to the
family. The portal's views and the ``kinlink documents render`` command are their adapters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kinlink.documents.court import APPLICATION_KINDS, default_kind
from kinlink.documents.dna import DnaReportData
from kinlink.documents.labels import LANGUAGES, labels_for
from kinlink.documents.letters import COMPLAINT_ADDRESSEES, LetterSpec, chain, default_addressee, next_step
from kinlink.documents.models import Audience, DocumentKind, DocumentRelease, Inquiry, IssuedDocument
from kinlink.documents.render import TEMPLATES, compile_pdf, sha256_hex
from kinlink.documents.services import DocumentError, build_facts, default_audience, new_number, verify_url
from kinlink.documents.statistics import StatisticsData
from kinlink.lib.formats import format_date
from kinlink.registry import actions as registry_actions
from kinlink.registry import legal
from kinlink.registry.models import Case, Source, SourceKind, TracingRequest
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
    letter: LetterSpec | None = None,
    application: str | None = None,
    detail: dict[str, str] | None = None,
) -> IssuedDocument:
    """Typeset, register and audit one document; ``user=None`` is the instance itself (the CLI).

    A staff member may only issue documents for cases their organisation can see. The DNA report's
    ``audience="lab"`` copy carries sample codes only; the caseworker's copy adds names. A letter
    (``letter``) and a court application (``application``) are issued through :func:`issue_letter` and
    :func:`issue_court_application`, which add their own ``detail`` to the one audit entry.
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
    annexes: list[bytes] = []
    facts = build_facts(
        kind,
        case,
        lang,
        labels,
        today=created.date(),
        audience=audience,
        dna_result=dna_result,
        statistics=statistics,
        letter=letter,
        application=application,
        annexes=annexes,
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
        annexes=annexes,
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
            **(detail or {}),
        )
    return document


def _check_follow_up(
    letter_kind: str, addressee_kind: str, earlier: tuple[Inquiry, ...], today: dt.date
) -> None:
    """A reminder or complaint needs an earlier appeal still unanswered; a complaint, one past its period,
    to the military prosecutor or the ombudsman."""
    if letter_kind == Inquiry.Kind.INQUIRY:
        return
    if not earlier:
        raise DocumentError(f"a {letter_kind} follows an earlier appeal: none was given")
    first = earlier[0]
    if first.answered_on is not None:
        raise DocumentError(
            f"the inquiry of {first.asked_on} to {first.addressee} was answered on {first.answered_on}: "
            f"there is nothing to {'remind' if letter_kind == Inquiry.Kind.REMINDER else 'complain'} about"
        )
    if letter_kind == Inquiry.Kind.COMPLAINT:
        if addressee_kind not in COMPLAINT_ADDRESSEES:
            raise DocumentError(
                f"a complaint about an unanswered appeal goes to the military prosecutor or the ombudsman, "
                f"not to '{addressee_kind}'"
            )
        if first.reply_due is None or first.reply_due >= today:
            due = first.reply_due or "no statutory period"
            raise DocumentError(
                f"the inquiry of {first.asked_on} to {first.addressee} is not overdue (reply due: {due})"
            )


def _latest_overdue(case: Case, addressee_kind: str | None, today: dt.date) -> Inquiry | None:
    found = Inquiry.objects.filter(case=case, answered_on__isnull=True, reply_due__lt=today).exclude(
        evidence=Inquiry.Evidence.DECLINED
    )
    if addressee_kind is not None:
        found = found.filter(addressee_kind=addressee_kind)
    return found.order_by("-asked_on", "-id").first()


def issue_letter(
    actor: AbstractBaseUser | AnonymousUser | None,
    inquiry_or_case: Inquiry | Case,
    addressee_kind: str | None,
    lang: str,
    *,
    letter_kind: str | None = None,
    purpose: str | None = None,
    addressee: str = "",
    created: dt.datetime | None = None,
) -> IssuedDocument:
    """Draft, register and audit a letter in ``lang`` (the addressee's language).

    - For a recorded inquiry, with its own addressee (``addressee_kind`` None or the same) and kind: the
      letter of that inquiry (an inquiry, reminder or complaint, as recorded), dated the day it was sent;
      ``Inquiry.letter`` is set to it.
    - For a recorded inquiry with another addressee or ``letter_kind``: a follow-up draft to it (by default
      :func:`~kinlink.documents.letters.next_step`'s: a reminder to the same addressee, then a complaint to
      the military prosecutor or the ombudsman), the earlier letters listed and attached. It is recorded as
      an inquiry when sent (``record_inquiry(..., follows=..., letter=...)``).
    - For a case: a new inquiry (``letter_kind`` "inquiry"), or a reminder or complaint about the case's
      latest overdue inquiry.

    ``purpose`` ("circumstances" or "certificate", Decree 1421) applies to a letter to the military unit;
    ``addressee`` overrides the addressee block (one line each)."""
    created = (created or timezone.now()).astimezone(dt.UTC).replace(microsecond=0)
    today = created.date()
    own: Inquiry | None = None
    if isinstance(inquiry_or_case, Inquiry):
        inquiry = Inquiry.objects.select_related("case__organisation", "case__person", "follows").get(
            pk=inquiry_or_case.pk
        )
        case = inquiry.case
        addressee_kind = addressee_kind or inquiry.addressee_kind
        if addressee_kind == inquiry.addressee_kind and letter_kind in (None, inquiry.kind):
            own = inquiry
            kind = inquiry.kind
            earlier = tuple(chain(inquiry)[:-1])
            if purpose is None:
                purpose = "certificate" if inquiry.legal_basis == "decree-1421" else "circumstances"
        else:
            step = next_step(inquiry, today)
            if letter_kind is not None:
                kind = letter_kind
            elif step is not None and step.addressee_kind == addressee_kind:
                kind = step.letter_kind
            elif addressee_kind == inquiry.addressee_kind:
                kind = Inquiry.Kind.REMINDER
            else:
                kind = Inquiry.Kind.COMPLAINT
            earlier = tuple(chain(inquiry)) if kind != Inquiry.Kind.INQUIRY else ()
            if kind == Inquiry.Kind.REMINDER and addressee_kind != inquiry.addressee_kind:
                raise DocumentError("a reminder goes to the addressee of the inquiry it follows")
    else:
        case = inquiry_or_case
        if addressee_kind is None:
            raise DocumentError("a letter for a case needs its addressee")
        kind = letter_kind or Inquiry.Kind.INQUIRY
        earlier = ()
        if kind != Inquiry.Kind.INQUIRY:
            followed = _latest_overdue(case, addressee_kind if kind == Inquiry.Kind.REMINDER else None, today)
            if followed is None:
                raise DocumentError(
                    f"case {case.number} has no unanswered inquiry past its reply date to follow up"
                )
            earlier = tuple(chain(followed))
    if kind not in Inquiry.Kind.values:
        raise DocumentError(f"unknown letter kind '{kind}' (use {', '.join(Inquiry.Kind.values)})")
    if addressee_kind not in Inquiry.Addressee.values:
        raise DocumentError(
            f"unknown addressee '{addressee_kind}' (use {', '.join(Inquiry.Addressee.values)})"
        )
    _check_follow_up(kind, addressee_kind, earlier, today)
    spec = LetterSpec(
        letter_kind=kind,
        addressee_kind=addressee_kind,
        addressee=addressee,
        purpose=purpose or "circumstances",
        inquiry=own,
        earlier=earlier,
    )
    with transaction.atomic():
        document = issue_document(
            DocumentKind.INQUIRY_LETTER,
            case,
            lang,
            user=actor,
            created=created,
            letter=spec,
            detail={
                "letter_kind": kind,
                "addressee_kind": addressee_kind,
                "inquiry": str(own.pk) if own is not None else "",
                "follows": str(earlier[-1].pk) if earlier else "",
            },
        )
        if own is not None:
            Inquiry.objects.filter(pk=own.pk).update(letter=document)
    return document


def record_next_step(
    actor: AbstractBaseUser | AnonymousUser | None,
    inquiry: Inquiry,
    lang: str,
    *,
    asked_on: dt.date | None = None,
    addressee: str = "",
    tracking_number: str = "",
    reference: str = "",
    created: dt.datetime | None = None,
    label: str = "",
) -> tuple[Inquiry, IssuedDocument]:
    """The follow-up an overdue inquiry calls for (:func:`~kinlink.documents.letters.next_step`: a reminder
    to the same addressee, then a complaint to the military prosecutor or the ombudsman), recorded as an
    inquiry that follows it (:func:`record_inquiry`, sent on ``asked_on``, by default today), and its letter
    in ``lang`` with the earlier letters listed and attached (:func:`issue_letter`).

    All or nothing: a step the inquiry no longer calls for (answered, not yet due, already followed up) is a
    ``ValidationError``; a letter that cannot be drafted (``DocumentError``) leaves no follow-up recorded.
    ``addressee`` is the addressee line (by default the followed inquiry's for a reminder, the letter's
    standard line for a complaint); the question is written in ``lang``, the letter's language."""
    if lang not in LANGUAGES:
        raise DocumentError(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")
    today = timezone.localdate()
    with transaction.atomic():
        inquiry = (
            Inquiry.objects.select_for_update()
            .select_related("case__person", "case__organisation")
            .get(pk=inquiry.pk)
        )
        step = next_step(inquiry, today)
        if step is None or inquiry.logged_by != Inquiry.LoggedBy.STAFF:
            raise ValidationError(
                _(
                    "This inquiry calls for no follow-up now: it is answered, not yet overdue, or already "
                    "followed up."
                )
            )
        case = inquiry.case
        with translation.override(lang):
            if step.letter_kind == Inquiry.Kind.REMINDER:
                line = inquiry.addressee
                question = _("Reminder of the appeal of %(date)s: %(question)s") % {
                    "date": format_date(inquiry.asked_on, lang),
                    "question": inquiry.question,
                }
            else:
                first = chain(inquiry)[0]
                line = ", ".join(default_addressee(step.addressee_kind, case.person, lang))
                question = _(
                    "Complaint: the appeal of %(date)s to %(addressee)s was not answered within the period "
                    "the law sets."
                ) % {"date": format_date(first.asked_on, lang), "addressee": first.addressee}
        follow_up = record_inquiry(
            actor,
            case,
            kind=step.letter_kind,
            follows=step.follows,
            addressee_kind=step.addressee_kind,
            addressee=addressee.strip() or line,
            channel=inquiry.channel if step.letter_kind == Inquiry.Kind.REMINDER else Inquiry.Channel.POST,
            tracking_number=tracking_number,
            asked_on=asked_on or today,
            reference=reference,
            question=question,
            label=label,
        )
        document = issue_letter(actor, follow_up, None, lang, created=created)
        follow_up.letter = document
    return follow_up, document


def issue_court_application(
    actor: AbstractBaseUser | AnonymousUser | None,
    case: Case,
    kind: str | None,
    lang: str,
    *,
    created: dt.datetime | None = None,
) -> IssuedDocument:
    """Draft, register and audit an application to a Russian court (Civil Procedure Code arts. 276-279):
    ``kind`` "recognise-missing" or "declare-dead" (None: the next one for the case's legal status)."""
    kind = kind or default_kind(case)
    if kind not in APPLICATION_KINDS:
        raise DocumentError(f"unknown application '{kind}' (use {', '.join(APPLICATION_KINDS)})")
    return issue_document(
        DocumentKind.COURT_APPLICATION,
        case,
        lang,
        user=actor,
        created=created,
        application=kind,
        detail={"application": kind},
    )


def release_document(
    document: IssuedDocument,
    user: AbstractBaseUser | AnonymousUser | None,
    tracing_request: TracingRequest | None = None,
) -> list[DocumentRelease]:
    """Make a document downloadable by the family of one tracing request (caseworker's decision, audited):
    the one given, else each request the case answers (``access.requests_of_case``: those on the case's
    person that the case's organisation holds or was consented to). Another family whose request names the
    same person (after a merge, through another organisation) sees nothing. A release already made is
    kept."""
    if document.audience in (Audience.LAB,):
        raise DocumentError("a laboratory copy is never released to a family")
    case = document.case
    if case is None:
        raise DocumentError("a document without a case is not released to a family")
    answered = access.requests_of_case(case)
    if tracing_request is not None:
        targets = list(answered.filter(pk=tracing_request.pk))
        if not targets:
            raise DocumentError(f"request {tracing_request.number} is not one this case answers")
    else:
        targets = list(answered.order_by("pk"))
    if not targets:
        raise DocumentError("the case answers no tracing request: there is no family to release it to")
    with transaction.atomic():
        releases = []
        for target in targets:
            release, _created = DocumentRelease.objects.get_or_create(
                document=document,
                tracing_request=target,
                defaults={"released_by": user if getattr(user, "is_authenticated", False) else None},
            )
            releases.append(release)
        document.released_to_family = True
        document.released_at = timezone.now()
        document.save(update_fields=["released_to_family", "released_at"])
        audit.record(
            user,
            "release_document",
            document,
            number=document.number,
            requests=[target.number for target in targets],
        )
    return releases


# The reply rule an inquiry falls under when the caseworker names none: a written appeal to a state body is
# answered under 59-FZ; the Red Cross, the other side and a free addressee owe no statutory answer; a
# hotline call or a visit is no written appeal.
_STATE_BODIES = frozenset(
    {
        Inquiry.Addressee.MILITARY_UNIT,
        Inquiry.Addressee.COMMISSARIAT,
        Inquiry.Addressee.MINISTRY,
        Inquiry.Addressee.PROSECUTOR,
        Inquiry.Addressee.INVESTIGATIVE_COMMITTEE,
        Inquiry.Addressee.OMBUDSMAN,
        Inquiry.Addressee.HOSPITAL,
        Inquiry.Addressee.FORENSIC_CENTRE,
    }
)
_WRITTEN = frozenset({Inquiry.Channel.POST, Inquiry.Channel.EMAIL, Inquiry.Channel.ONLINE})


def default_legal_basis(addressee_kind: str, channel: str) -> str:
    """The reply rule (a key of the legal rules' ``reply_rules``) for an inquiry that names none."""
    if channel in _WRITTEN and addressee_kind in _STATE_BODIES:
        return "59-FZ"
    return "none"


def _set_reply_due(inquiry: Inquiry) -> None:
    inquiry.reply_due = legal.reply_due(
        legal.default_rules(),
        inquiry.legal_basis,
        inquiry.asked_on,
        inquiry.received_on,
        extended=inquiry.extended_on is not None,
    )


#: The kind of source an answer is, by its addressee: a unit's answer is a unit notice, a state body's a
#: ministry letter (the registry's kind for an official letter), anyone else's "other".
_ANSWER_SOURCE_KINDS: dict[str, str] = {
    Inquiry.Addressee.MILITARY_UNIT: SourceKind.UNIT_NOTICE,
    Inquiry.Addressee.COMMISSARIAT: SourceKind.MINISTRY_LETTER,
    Inquiry.Addressee.MINISTRY: SourceKind.MINISTRY_LETTER,
    Inquiry.Addressee.PROSECUTOR: SourceKind.MINISTRY_LETTER,
    Inquiry.Addressee.INVESTIGATIVE_COMMITTEE: SourceKind.MINISTRY_LETTER,
    Inquiry.Addressee.OMBUDSMAN: SourceKind.MINISTRY_LETTER,
}


def answer_source_kind(addressee_kind: str) -> str:
    """The kind of source the answer of an addressee of this kind is recorded as."""
    return str(_ANSWER_SOURCE_KINDS.get(addressee_kind, SourceKind.OTHER))


def _not_in_future(field: str, day: dt.date | None) -> None:
    if day is not None and day > timezone.localdate():
        raise ValidationError({field: _("This date is in the future.")})


def record_inquiry(
    actor: AbstractBaseUser | AnonymousUser | None,
    case: Case,
    *,
    addressee_kind: str,
    addressee: str,
    question: str,
    asked_on: dt.date,
    channel: str = Inquiry.Channel.POST,
    kind: str = Inquiry.Kind.INQUIRY,
    follows: Inquiry | None = None,
    tracking_number: str = "",
    operator_name: str = "",
    received_on: dt.date | None = None,
    reference: str = "",
    legal_basis: str = "",
    letter: IssuedDocument | None = None,
    logged_by: str = Inquiry.LoggedBy.STAFF,
    tracing_request: TracingRequest | None = None,
    answered_on: dt.date | None = None,
    answer: str = "",
    answer_source: Source | None = None,
    label: str = "",
) -> Inquiry:
    """One question put to an authority about the person of ``case`` (validated: ``ValidationError``,
    nothing written).

    The reply deadline follows from ``legal_basis`` (by default the rule for the addressee and channel,
    :func:`default_legal_basis`). A reminder or a complaint ``follows`` an earlier inquiry of the same case.
    An entry the family logs (``logged_by="family"``, from its ``tracing_request`` for the case's person)
    waits for a caseworker's review before it counts as evidence (:func:`review_family_inquiry`); a call's
    answer is its ``answered_on`` and ``answer`` (no source: the family's words, not a document)."""
    if follows is not None and follows.case_id != case.pk:
        raise ValidationError(_("A follow-up must belong to the same case as the inquiry it follows."))
    if kind != Inquiry.Kind.INQUIRY and follows is None:
        raise ValidationError({"follows": _("A reminder or a complaint follows an earlier inquiry.")})
    if tracing_request is not None and tracing_request.person_id != case.person_id:
        raise ValidationError(_("The request and the case are about different people."))
    for field, day in (("asked_on", asked_on), ("received_on", received_on), ("answered_on", answered_on)):
        _not_in_future(field, day)
    if received_on is not None and received_on < asked_on:
        raise ValidationError({"received_on": _("It cannot have been received before it was sent.")})
    if answered_on is not None and answered_on < asked_on:
        raise ValidationError({"answered_on": _("It cannot have been answered before it was sent.")})
    with transaction.atomic():
        inquiry = Inquiry(
            case=case,
            kind=kind,
            follows=follows,
            addressee_kind=addressee_kind,
            addressee=addressee,
            channel=channel,
            tracking_number=tracking_number,
            operator_name=operator_name,
            question=question,
            asked_on=asked_on,
            received_on=received_on,
            reference=reference,
            legal_basis=legal_basis or default_legal_basis(addressee_kind, channel),
            letter=letter,
            logged_by=logged_by,
            tracing_request=tracing_request,
            evidence=(
                Inquiry.Evidence.PENDING
                if logged_by == Inquiry.LoggedBy.FAMILY
                else Inquiry.Evidence.ACCEPTED
            ),
            answered_on=answered_on,
            answer=answer,
            answer_source=answer_source,
        )
        if actor is not None and actor.is_authenticated:
            inquiry.created_by_id = actor.pk
        try:
            _set_reply_due(inquiry)
        except legal.LegalStatusError as exc:
            raise ValidationError({"legal_basis": str(exc)}) from exc
        inquiry.full_clean()
        inquiry.save()
        audit.record(
            actor,
            audit.Action.RECORD_INQUIRY,
            inquiry,
            label=label,
            case=case.number,
            kind=kind,
            addressee_kind=addressee_kind,
            logged_by=logged_by,
        )
    return inquiry


def update_inquiry_dates(
    actor: AbstractBaseUser | AnonymousUser | None,
    inquiry: Inquiry,
    *,
    received_on: dt.date | None = None,
    extended_on: dt.date | None = None,
    label: str = "",
) -> Inquiry:
    """Record when the addressee received the inquiry (a tracking record) or that it extended its reply
    period (59-FZ art. 12 part 2: once, by up to 30 days, with notice); the reply deadline follows."""
    if received_on is None and extended_on is None:
        raise ValidationError(_("Give the date of receipt or of the extension."))
    _not_in_future("received_on", received_on)
    _not_in_future("extended_on", extended_on)
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if received_on is not None:
            if received_on < inquiry.asked_on:
                raise ValidationError({"received_on": _("It cannot have been received before it was sent.")})
            inquiry.received_on = received_on
        if extended_on is not None:
            if inquiry.extended_on is not None:
                raise ValidationError({"extended_on": _("The reply period can be extended only once.")})
            if extended_on < inquiry.asked_on:
                raise ValidationError({"extended_on": _("It cannot have been extended before it was sent.")})
            rule = legal.default_rules().reply_rules.get(inquiry.legal_basis, {})
            if not rule.get("extension_days"):
                raise ValidationError({"extended_on": _("The law allows no extension of this reply period.")})
            inquiry.extended_on = extended_on
        _set_reply_due(inquiry)
        inquiry.save(update_fields=["received_on", "extended_on", "reply_due"])
        audit.record(
            actor,
            audit.Action.UPDATE_INQUIRY,
            inquiry,
            label=label,
            case=Case.objects.get(pk=inquiry.case_id).number,
            received_on=str(inquiry.received_on or ""),
            extended_on=str(inquiry.extended_on or ""),
        )
    return inquiry


@dataclass(frozen=True, slots=True)
class StatedFate:
    """One statement an answer makes about the person: what a claim of the answer's source will say."""

    fate: str
    date: str = ""
    place: str = ""
    circumstances: str = ""


def record_inquiry_answer(
    actor: AbstractBaseUser | AnonymousUser | None,
    inquiry: Inquiry,
    *,
    answered_on: dt.date,
    answer: str,
    answer_reference: str = "",
    statements: list[StatedFate] | tuple[StatedFate, ...] = (),
    scan: tuple[str, bytes] | None = None,
    source_kind: str = "",
    reliability: str = "C",
    source_name: str = "",
    label: str = "",
) -> Inquiry:
    """The answer to an inquiry: a source (the letter, with its scan; of ``source_kind``, by default the
    kind for the addressee, :func:`answer_source_kind`) whose statements become claims about the case's
    person with provenance, so that "the ministry says missing" counts like any other claim; the person's
    fate is recomputed by the claims. All or nothing (``ValidationError``, or ``UploadError`` for a scan
    that is not a PDF or an image). The source is named ``source_name`` (as the letter calls itself:
    «Письмо Министерства обороны»), by default "Answer of <addressee>" in the active language."""
    _not_in_future("answered_on", answered_on)
    if answered_on < inquiry.asked_on:
        raise ValidationError({"answered_on": _("It cannot have been answered before it was sent.")})
    if not answer.strip() and scan is None:
        raise ValidationError({"answer": _("Give the text of the answer or attach its scan.")})
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if inquiry.answered_on is not None:
            raise ValidationError(_("This inquiry already has an answer; record a new inquiry instead."))
        case = Case.objects.select_related("person", "organisation").get(pk=inquiry.case_id)
        source = registry_actions.add_source(
            actor,
            kind=source_kind or answer_source_kind(inquiry.addressee_kind),
            name=source_name.strip() or _("Answer of %(addressee)s") % {"addressee": inquiry.addressee},
            origin=inquiry.addressee,
            reference=answer_reference,
            date=answered_on.isoformat(),
            reliability=reliability,
            organisation=case.organisation,
            label=label,
        )
        if scan is not None:
            registry_actions.attach_document(actor, source, scan[0], scan[1], label=label)
        for statement in statements:
            registry_actions.add_claim(
                actor,
                case.person,
                source,
                fate=statement.fate,
                date=statement.date,
                place=statement.place,
                circumstances=statement.circumstances or answer,
                label=label,
            )
        inquiry.answered_on = answered_on
        inquiry.answer = answer
        inquiry.answer_reference = answer_reference
        inquiry.answer_source = source
        inquiry.save(update_fields=["answered_on", "answer", "answer_reference", "answer_source"])
        audit.record(
            actor,
            audit.Action.RECORD_INQUIRY_ANSWER,
            inquiry,
            label=label,
            case=case.number,
            source=str(source.pk),
            claims=len(statements),
        )
    return inquiry


def review_family_inquiry(
    actor: AbstractBaseUser | AnonymousUser | None,
    inquiry: Inquiry,
    *,
    accept: bool,
    label: str = "",
) -> Inquiry:
    """A caseworker's decision on an inquiry or call the family logged: evidence for the case, or not (the
    decision may be changed; each one is audited)."""
    if inquiry.logged_by != Inquiry.LoggedBy.FAMILY:
        raise ValidationError(_("Only an entry the family logged is reviewed."))
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        inquiry.evidence = Inquiry.Evidence.ACCEPTED if accept else Inquiry.Evidence.DECLINED
        inquiry.save(update_fields=["evidence"])
        audit.record(
            actor,
            audit.Action.REVIEW_INQUIRY,
            inquiry,
            label=label,
            case=Case.objects.get(pk=inquiry.case_id).number,
            evidence=inquiry.evidence,
        )
    return inquiry


def share_inquiry_answer(
    actor: AbstractBaseUser | AnonymousUser | None,
    inquiry: Inquiry,
    *,
    shared: bool,
    label: str = "",
) -> Inquiry:
    """A caseworker's decision that the family may read an answer on its follow page (or no longer may).

    Never share an answer that tells of a death before the family has been told in person: the family
    reads what is shared exactly as it was written."""
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if shared and inquiry.answered_on is None:
            raise ValidationError(_("There is no answer to share yet."))
        inquiry.shared_with_family = shared
        inquiry.save(update_fields=["shared_with_family"])
        audit.record(
            actor,
            audit.Action.SHARE_INQUIRY,
            inquiry,
            label=label,
            case=Case.objects.get(pk=inquiry.case_id).number,
            shared=shared,
        )
    return inquiry
