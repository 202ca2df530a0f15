"""The words of letters and court applications: English msgids translated through the gettext catalogue.

Letters (``documents.letters``) and court applications (``documents.court``) are written in the language
of their addressee: Russian for a Russian authority or court, Ukrainian or English where the reader needs
it. Every sentence is a catalogue message with named placeholders (``{date}``), so a translation may
reorder it; the few that speak of the person in a gendered form are declared once per grammatical context
(``male``, ``female``, ``unknown``: ``registry.services.grammar``). Citations of the law are messages too:
their wording is the official title of the act in each language.
"""

from __future__ import annotations

import re

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_noop as N_

from kinlink.registry.services.grammar import sex_context

_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")
_REFERENCE_PREFIX = re.compile(r"^\s*(?:исх\.?|вих\.?|ref\.?|№|no\.)\s*", re.IGNORECASE)


def say(message: str, lang: str, **params: object) -> str:
    """One catalogue message in ``lang`` with its placeholders filled; a date that ends a sentence
    («10 февраля 2024 г.») does not get a second full stop."""
    with translation.override(lang):
        text = gettext(message)
    return _DOUBLE_STOP.sub(".", text.format(**params)) if params else text


def clean_reference(text: str) -> str:
    """An outgoing reference as recorded ("исх. 21", "№ 77/15") without the word the letter prints itself."""
    previous = None
    while previous != text:
        previous, text = text, _REFERENCE_PREFIX.sub("", text)
    return text.strip()


def say_gendered(forms: dict[str, Promise], sex: str | None, lang: str, **params: object) -> str:
    """The form of a gendered message for a person of this sex, in ``lang``."""
    with translation.override(lang):
        text = str(forms[sex_context(sex)])
    return text.format(**params) if params else text


# --- the acts cited ----------------------------------------------------------------------------------------

LAW_59FZ = N_(
    "Federal Law No. 59-FZ of 2 May 2006 “On the Procedure for Considering Appeals of Citizens of the "
    "Russian Federation”"
)
DECREE_1421 = N_("Decree of the Government of the Russian Federation No. 1421 of 1 September 2023")
LAW_2202 = N_(
    "Federal Law No. 2202-1 of 17 January 1992 “On the Prosecutor's Office of the Russian Federation”"
)
LAW_1FKZ = N_(
    "Federal Constitutional Law No. 1-FKZ of 26 February 1997 “On the High Commissioner for Human Rights "
    "in the Russian Federation”"
)
GENEVA_III = N_("the Geneva Convention relative to the Treatment of Prisoners of War of 12 August 1949")
LAW_52FZ = N_(
    "Federal Law No. 52-FZ of 30 November 1994 “On the Entry into Force of Part One of the Civil Code of the "
    "Russian Federation” (as amended by Federal Law No. 120-FZ of 14 April 2023, in force since 15 May 2023)"
)

# --- who the letter is about --------------------------------------------------------------------------------

#: "I am the mother of ..." (Russian and Ukrainian: genitive).
OF_SERVICEMAN: dict[str, Promise] = {
    "male": pgettext_lazy("male", "the serviceman"),
    "female": pgettext_lazy("female", "the serviceman"),
    "unknown": pgettext_lazy("unknown", "the serviceman"),
}
OF_PERSON: dict[str, Promise] = {
    "male": pgettext_lazy("male", "the person"),
    "female": pgettext_lazy("female", "the person"),
    "unknown": pgettext_lazy("unknown", "the person"),
}
#: The applicant's relationship to the person, as "I am the ... of" needs it (Russian: instrumental case).
RELATIONSHIP_AS: dict[str, Promise] = {
    "mother": pgettext_lazy("I am the ... of", "mother"),
    "father": pgettext_lazy("I am the ... of", "father"),
    "wife": pgettext_lazy("I am the ... of", "wife"),
    "husband": pgettext_lazy("I am the ... of", "husband"),
    "son": pgettext_lazy("I am the ... of", "son"),
    "daughter": pgettext_lazy("I am the ... of", "daughter"),
    "brother": pgettext_lazy("I am the ... of", "brother"),
    "sister": pgettext_lazy("I am the ... of", "sister"),
    "other": pgettext_lazy("I am the ... of", "close relative"),
}

RECOGNISE_OPERATIVE: dict[str, Promise] = {
    "male": pgettext_lazy("male", "To recognise as missing: {person}."),
    "female": pgettext_lazy("female", "To recognise as missing: {person}."),
    "unknown": pgettext_lazy("unknown", "To recognise as missing: {person}."),
}
DECLARE_OPERATIVE: dict[str, Promise] = {
    "male": pgettext_lazy("male", "To declare dead: {person}."),
    "female": pgettext_lazy("female", "To declare dead: {person}."),
    "unknown": pgettext_lazy("unknown", "To declare dead: {person}."),
}


def relationship_as(code: str, lang: str) -> str:
    with translation.override(lang):
        return str(RELATIONSHIP_AS.get(code, RELATIONSHIP_AS["other"]))


# --- the letter's frame -------------------------------------------------------------------------------------

LETTER_LABELS: dict[str, str] = {
    "title": N_("Letter"),
    "outgoing": N_("Ref."),
    "dated": N_("of"),
    "applicant": N_("Applicant"),
    "answer_to": N_("Please send the answer to"),
    "person": N_("Details of the person sought"),
    "earlier": N_("Earlier appeals"),
    "earlier_headers_sent": N_("Sent on"),
    "earlier_headers_to": N_("Addressee"),
    "earlier_headers_ref": N_("Reference"),
    "earlier_headers_received": N_("Received on"),
    "earlier_headers_due": N_("Reply due"),
    "earlier_headers_answer": N_("Answer"),
    "i_ask": N_("I ask you:"),
    "annexes": N_("Annexes"),
    "annex": N_("Annex"),
    "signature": N_("signature"),
    "date": N_("date"),
    "on_behalf": N_("Prepared with the assistance of"),
    "document_number": N_("Document number"),
    "created": N_("Created"),
    "content_hash": N_("SHA-256 of the content"),
    "verify_at": N_("Verify at"),
    "scan_to_verify": N_("Scan to verify authenticity"),
    "pages": N_("pp."),
}

HEADING = {
    "inquiry": N_("INQUIRY"),
    "reminder": N_("REPEATED APPEAL"),
    "complaint": N_("COMPLAINT"),
}

SUBJECT = {
    "circumstances": N_("on the circumstances of the disappearance of a serviceman"),
    "certificate": N_("for a certificate of the circumstances of disappearance"),
    "information": N_("for information about a serviceman"),
    "trace": N_("to trace a missing person"),
    "check": N_("for a check of compliance with the law"),
    "reminder": N_("on an appeal left unanswered past the period set by law"),
    "complaint": N_("about the failure to answer an appeal within the period set by law"),
}

#: The addressee line of a letter that names none, by kind of addressee.
ADDRESSEE_LINE = {
    "military_unit": N_("To the commander of military unit {number}"),
    "military_unit_named": N_("To the commander of the military unit: {unit}"),
    "military_unit_blank": N_("To the commander of military unit ________"),
    "commissariat": N_("To the military commissar"),
    "ministry": N_("To the Ministry of Defence of the Russian Federation"),
    "prosecutor": N_("To the military prosecutor"),
    "investigative_committee": N_(
        "To the military investigative department of the Investigative Committee of the Russian Federation"
    ),
    "ombudsman": N_("To the High Commissioner for Human Rights in the Russian Federation"),
    "red_cross": N_("To the International Committee of the Red Cross, Central Tracing Agency"),
    "pow_body": N_("To the body responsible for prisoners of war"),
    "hospital": N_("To the head of the medical institution"),
    "forensic_centre": N_("To the head of the forensic identification centre"),
    "other": N_("To ________________________"),
}

# --- the letter's text --------------------------------------------------------------------------------------

INTRO = N_("I, {applicant}, am the {relationship} of {who}.")
INTRO_UNNAMED = N_("I am a relative of {who}.")
LAST_NEWS = N_("Last news received by the family: {date}.")
LAST_PLACE = N_("The last known place: {place}.")
CIRCUMSTANCES = N_("Circumstances known to the family: {text}")
STATEMENTS = N_("Official statements received so far:")
REFERENCE_SUFFIX = N_(" (ref. {reference})")

EARLIER_SENT = N_("On {date} I sent an appeal to {addressee}{reference}.")
EARLIER_RECEIVED = N_("According to the postal record{tracking}, it was received on {date}.")
TRACKING_SUFFIX = N_(" (item {tracking})")
PERIOD_PASSED = N_(
    "Under art. 12 part 1 of {law}, a written appeal is considered within 30 days of its registration. "
    "The period expired on {due}; as of {today} no answer has been received ({days} days after the deadline)."
)
PERIOD_PASSED_1421 = N_(
    "Under the Rules approved by {decree}, the certificate is issued within 30 days. The period expired on "
    "{due}; as of {today} neither the certificate nor an answer has been received ({days} days after the "
    "deadline)."
)
PERIOD_NONE = N_("As of {today} no answer has been received.")
ALSO_REMINDED = N_("A repeated appeal of {date}{reference} has not been answered either.")

REQUESTS: dict[str, list[str]] = {
    "circumstances": [
        N_(
            "to inform me of the date, place and circumstances of the disappearance of {who}, and of the "
            "results of the inquiry the command carried out into it;"
        ),
        N_(
            "to inform me of the status in which {who} is listed in the unit's personnel records (missing, "
            "excluded from the lists or other), from what date and on the basis of which order;"
        ),
        N_(
            "to inform me of the measures taken to search for {who} (inquiries to other bodies, exchange "
            "lists, DNA identification);"
        ),
        N_("to name the fellow servicemen who can give evidence of the circumstances of the disappearance."),
    ],
    "certificate": [
        N_(
            "to issue a certificate of the circumstances of disappearance (or of the circumstances of "
            "disappearance or possible death) of {who} under the Rules approved by {decree};"
        ),
        N_("to send the certificate to the address given below within the 30 days those Rules set."),
    ],
    "information": [
        N_(
            "to inform me of the information the military commissariat holds about {who}: the military "
            "unit and the date of dispatch to it, notices received from the command, and the status recorded "
            "in the military registration documents;"
        ),
        N_(
            "if the commissariat does not hold this information, to forward this appeal to the military unit "
            "and the other competent bodies under art. 8 part 3 of {law}, and to inform me where it was sent;"
        ),
        N_(
            "to explain how the family obtains the certificate of the circumstances of disappearance under "
            "{decree}."
        ),
    ],
    "trace": [
        N_(
            "to check whether {who} is registered in the information the Central Tracing Agency holds under "
            "art. 123 of {geneva}: as a prisoner of war, detained, wounded or dead;"
        ),
        N_("to inform the family of any information found, through the organisation named below."),
    ],
    "check_prosecutor": [
        N_(
            "to carry out a check of compliance with the law by the command of the military unit in "
            "establishing the circumstances of the disappearance of {who} and in answering the family;"
        ),
        N_("to take measures of prosecutorial response to restore the family's rights;"),
        N_("to inform me of the results of the check."),
    ],
    "check_ombudsman": [
        N_(
            "to assist the family in obtaining from the military command and the competent bodies the "
            "information about the fate and whereabouts of {who};"
        ),
        N_("to inform me of the measures taken."),
    ],
    "general": [
        N_("to inform me of any information you hold about the fate and whereabouts of {who};"),
        N_("if the question is outside your competence, to forward this appeal to the competent body."),
    ],
    "reminder": [
        N_("to consider my appeal of {date} without further delay and to answer it on the merits;"),
        N_("to inform me of the reasons why the period set by law was not kept."),
    ],
    "complaint": [
        N_(
            "to carry out a check of the failure of {addressee} to answer my appeals within the "
            "period set by law;"
        ),
        N_(
            "to take measures of prosecutorial response to restore my rights, including proceedings under "
            "art. 5.59 of the Code of Administrative Offences of the Russian Federation;"
        ),
        N_("to require {addressee} to answer my appeal on the merits;"),
        N_("to inform me of the results of the check."),
    ],
    "complaint_ombudsman": [
        N_(
            "to consider my complaint about the failure of {addressee} to answer my appeals within "
            "the period "
            "set by law;"
        ),
        N_("to assist in restoring my right to receive an answer on the merits;"),
        N_("to inform me of the measures taken."),
    ],
}

BASIS = {
    "59-FZ": N_(
        "This appeal is made under arts. 2 and 12 of {law}: a written appeal is answered within 30 "
        "days of its registration."
    ),
    "decree-1421": N_(
        "Under the Rules approved by {decree}, the certificate is issued at the request of a family member "
        "within 30 days; this appeal is also made under arts. 2 and 12 of {law}."
    ),
    "prosecutor": N_("This appeal is made under art. 10 of {law2202} and arts. 2 and 12 of {law}."),
    "ombudsman": N_("This appeal is made under arts. 15 and 16 of {law1fkz}."),
    "red_cross": N_("No statutory reply period applies to this request."),
    "complaint": N_(
        "The failure to answer violates the right to a written answer on the merits (arts. 5 and 10 of "
        "{law}); art. 15 of that law makes those who violate it liable."
    ),
}

ANSWER_TO_BLANK = N_("the applicant's postal address: ________________________________")
ANNEX_LETTER = N_("Copy of the appeal to {addressee} of {date}, document {number} ({pages} pp.)")
ANNEX_COPY = N_("Copy of the appeal to {addressee} of {date}{reference}")
ANNEX_POSTAL = N_("Proof of delivery of the appeal of {date} (postal item {tracking})")
ANNEX_KINSHIP = N_("Copy of a document proving kinship (birth or marriage certificate)")
UNANSWERED = N_("no answer")
NOT_RECEIVED = N_("not known")

# --- court applications -------------------------------------------------------------------------------------

COURT_LABELS: dict[str, str] = {
    "title": N_("Draft application to a court"),
    "draft": N_(
        "DRAFT for the family or their lawyer to check, complete and edit before filing. It was prepared "
        "from the case record; it is not legal advice."
    ),
    "court": N_("To the ________________ district (city) court"),
    "court_note": N_(
        "the court at the applicant's place of residence (art. 276 of the Civil Procedure Code of "
        "the Russian Federation)"
    ),
    "applicant": N_("Applicant"),
    "address": N_("residing at: ________________________________"),
    "interested": N_("Interested parties"),
    "facts": N_("Facts"),
    "law": N_("Legal grounds"),
    "evidence": N_("Evidence"),
    "petition": N_(
        "Petition to demand evidence (art. 57 of the Civil Procedure Code of the Russian Federation)"
    ),
    "witnesses": N_("Witnesses"),
    "i_ask": N_("On the basis of the above, I ask the court:"),
    "annexes": N_("Annexes"),
    "signature": N_("signature"),
    "date": N_("date"),
    "person": N_("Details of the person"),
    "document_number": N_("Document number"),
    "created": N_("Created"),
    "content_hash": N_("SHA-256 of the content"),
    "verify_at": N_("Verify at"),
    "scan_to_verify": N_("Scan to verify authenticity"),
    "on_behalf": N_("Prepared with the assistance of"),
}

COURT_HEADING = {
    "recognise-missing": N_("APPLICATION to recognise a citizen as missing"),
    "declare-dead": N_("APPLICATION to declare a citizen dead"),
}
COURT_UNIT = N_("military unit {unit} (its command)")
COURT_MINISTRY = N_("Ministry of Defence of the Russian Federation")
COURT_COMMISSARIAT = N_("military commissariat at the place of call-up: ________________")
COURT_SINCE = N_(
    "Since then no information about the whereabouts of {who} has been received at the place of residence."
)
COURT_MEASURES = N_(
    "The family took every measure available to establish the whereabouts of {who}: the inquiries made and "
    "the answers received, or their absence, are listed under “Evidence”."
)
COURT_LAW: dict[str, str] = {
    "recognise-missing:RU-participant": N_(
        "Under art. 42 of the Civil Code of the Russian Federation and art. 23 of {law52}, a citizen who "
        "took part in the special military operation may be recognised by a court as missing if there has "
        "been no information about his whereabouts at his place of residence for six months."
    ),
    "recognise-missing:RU-general": N_(
        "Under art. 42 of the Civil Code of the Russian Federation, a citizen may be recognised by a "
        "court as "
        "missing if there has been no information about his whereabouts at his place of residence "
        "for a year; "
        "when the day of the last news cannot be established, the period starts on the first day of the "
        "following month."
    ),
    "declare-dead:RU-participant": N_(
        "Under art. 45 of the Civil Code of the Russian Federation and art. 23 of {law52}, a citizen "
        "who took "
        "part in the special military operation and has been recognised as missing may be declared dead by a "
        "court not earlier than three months after the decision recognising him as missing took effect."
    ),
    "declare-dead:RU-general": N_(
        "Under art. 45 of the Civil Code of the Russian Federation, a citizen may be declared dead "
        "by a court "
        "if there has been no information about his whereabouts at his place of residence for five years, or "
        "six months if he went missing in circumstances threatening death; a serviceman missing in "
        "connection "
        "with military action may be declared dead not earlier than two years after the end of military "
        "action."
    ),
}
COURT_PROCEDURE = N_(
    "The application is filed under arts. 276-279 of the Civil Procedure Code of the Russian Federation "
    "(special proceedings)."
)
COURT_PURPOSE = {
    "recognise-missing": N_(
        "Purpose of the application (art. 277 of the Civil Procedure Code): to exercise the family's rights "
        "to payments and benefits (a survivor's pension, insurance sums, lump-sum payments) and to protect "
        "the missing person's property."
    ),
    "declare-dead": N_(
        "Purpose of the application (art. 277 of the Civil Procedure Code): to register the death and to "
        "exercise the family's rights to payments, insurance sums and inheritance."
    ),
}
COURT_PERIOD_REACHED = N_("The period set by law ended on {date}.")
COURT_PERIOD_NOT_REACHED = N_(
    "As of {today} the period set by law has not yet passed: it ends on {date}. A court will not grant an "
    "application filed earlier."
)
COURT_RECOGNISED_ON = N_("The decision recognising him as missing took effect on {date}.")
COURT_NOT_RECOGNISED = N_(
    "The case record holds no court decision recognising him as missing: under the rules above, a "
    "declaration of death for a participant of the hostilities follows that decision."
)
EVIDENCE_ANSWERED = N_(
    "Inquiry to {addressee} of {date}{reference}; answer of {answered}{answer_reference}: {answer}"
)
EVIDENCE_OVERDUE = N_(
    "Inquiry to {addressee} of {date}{reference}; reply due by {due}; no answer as of {today}, {days} days "
    "after the deadline."
)
EVIDENCE_WAITING = N_(
    "Inquiry to {addressee} of {date}{reference}; reply due by {due}; not yet answered as of {today}."
)
EVIDENCE_NO_PERIOD = N_("Inquiry to {addressee} of {date}{reference}; no answer as of {today}.")
EVIDENCE_SOURCE = N_("{kind}: {name} of {date}{reference}: {statement}")
PETITION_TEXT = N_(
    "I cannot obtain the following evidence myself: my inquiries were left unanswered or answered without "
    "the documents ({inquiries}). I ask the court to demand from {holder}:"
)
PETITION_TEXT_NONE = N_(
    "I cannot obtain the following evidence myself. I ask the court to demand from {holder}:"
)
PETITION_HOLDER = N_(
    "the command of military unit {unit} and the Ministry of Defence of the Russian Federation"
)
PETITION_HOLDER_BLANK = N_(
    "the command of the military unit ________ and the Ministry of Defence of the Russian Federation"
)
PETITION_ITEMS = [
    N_("the certificate of the circumstances of disappearance (or possible death) under {decree};"),
    N_("an extract from the order excluding him from the unit's lists, if one was issued;"),
    N_("the materials of the inquiry the command carried out into the disappearance;"),
    N_("the unit's notices and answers to the family."),
]
PETITION_PURPOSE = N_(
    "This evidence confirms the date of the last news and the circumstances of the disappearance; it is "
    "held by the bodies named."
)
WITNESSES_ASK = N_("to hear as witnesses the persons named under “Witnesses”;")
DEMAND_ASK = N_("to demand the evidence listed in the petition (art. 57 of the Civil Procedure Code).")
COURT_ANNEXES = [
    N_("Copies of the application for the interested parties"),
    N_("Document proving payment of the state duty (or the ground for exemption)"),
    N_("Copy of the applicant's identity document"),
    N_("Copy of a document proving kinship (birth or marriage certificate)"),
]
COURT_ANNEX_EVIDENCE = N_("Copies of the documents listed under “Evidence” ({count})")
COURT_DISCLAIMER = N_(
    "This draft was prepared from the case record. The family or their lawyer checks the facts, the periods "
    "and the court before filing; it is not legal advice, and its author answers for no outcome."
)
