"""Words printed on documents: English msgids translated through the gettext catalogue.

Pages and documents share one catalogue (``kinlink/locale``), so a fate, a source kind or a legal status
reads the same on the case page and in the PDF. A label is marked with ``N_`` (collected by the
project's ``makemessages``) and translated when a document is rendered, inside
``translation.override(lang)``; the catalogue test re-extracts the strings and fails on any that is
missing, untranslated or fuzzy.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from kinlink.documents.wording import COURT_LABELS, LETTER_LABELS

LANGUAGES = ("ru", "uk", "en")

COMMON: dict[str, str] = {
    "document_number": N_("Document number"),
    "created": N_("Created"),
    "content_hash": N_("SHA-256 of the content"),
    "verify_at": N_("Verify at"),
    "scan_to_verify": N_("Scan to verify authenticity"),
    "authenticity_note": N_(
        "Check that this document is authentic and unaltered with the QR code or the address in the "
        "footer: the verification page says only whether a document with this number was issued and "
        "whether the file matches it. The SHA-256 of the content is taken over the document's "
        "canonical data (JSON), without its number and creation time."
    ),
    "none_recorded": N_("None recorded."),
    "unknown": N_("unknown"),
    "person": N_("The person sought"),
    "name": N_("Name"),
    "birth_date": N_("Date of birth"),
    "birth_place": N_("Place of birth"),
    "service_number": N_("Service number"),
    "unit": N_("Unit"),
    "rank": N_("Rank"),
    "case_number": N_("Case number"),
    "organisation": N_("Organisation"),
    "yes": N_("yes"),
    "no": N_("no"),
}

KIND_LABELS: dict[str, dict[str, str | list[str]]] = {
    "certificate": {
        "title": N_("Certificate of tracing request"),
        "subtitle": N_("A dated record of every inquiry made and every answer received"),
        "requests": N_("The family's requests"),
        "requests_headers": [
            N_("Number"),
            N_("Submitted"),
            N_("Channel"),
            N_("Enquirer (relationship)"),
            N_("Status"),
        ],
        "inquiries": N_("Inquiries to authorities and organisations"),
        "inquiries_intro": N_(
            "What was asked of whom and when, and what was answered. A missing answer is shown with "
            "the days waited as of the date of this document."
        ),
        "inquiries_headers": [
            N_("Asked on"),
            N_("Asked of"),
            N_("Question"),
            N_("Answered on"),
            N_("Answer"),
        ],
        "answers": N_("Official statements received"),
        "answers_headers": [
            N_("Date"),
            N_("Source"),
            N_("Issued by"),
            N_("Statement"),
            N_("Reference"),
        ],
        "no_answers": N_("No official statement about his fate has been received."),
        "fate": N_("Current factual fate and its sources"),
    },
    "dossier": {
        "title": N_("Evidence dossier for a court application"),
        "subtitle": N_("To recognise a person as missing or declare him dead"),
        "disclaimer": N_(
            "This is evidence for a court, not a legal opinion. Deadlines are computed from the "
            "rules kept in the system; check them against the law in force before filing an "
            "application."
        ),
        "chronology": N_("Chronology of claims"),
        "chronology_headers": [
            N_("Source date"),
            N_("Source (kind, reliability)"),
            N_("Statement"),
            N_("Place, circumstances"),
            N_("Status"),
        ],
        "witnesses": N_("Witness statements"),
        "official": N_("Official answers, or their absence"),
        "official_headers": [
            N_("Asked on"),
            N_("Asked of"),
            N_("Question"),
            N_("Answered on"),
            N_("Answer"),
        ],
        "dna": N_("DNA results"),
        "no_dna": N_("There are no DNA identification results."),
        "legal": N_("Legal status and deadlines"),
        "deadline_headers": [
            N_("Not before"),
            N_("Step"),
            N_("Reached"),
        ],
        "checklist": N_("What the application must state"),
        "fate": N_("Factual fate"),
    },
    "dna-report": {
        "title": N_("DNA identification report"),
        "subtitle_caseworker": N_("Caseworker's copy (with names)"),
        "subtitle_lab": N_("Laboratory copy (sample codes only)"),
        "samples": N_("Samples"),
        "samples_headers": [
            N_("Code"),
            N_("Kind"),
            N_("Role in the pedigree"),
            N_("Name"),
        ],
        "lab": N_("Laboratory"),
        "markers": N_("Markers"),
        "pedigree": N_("Pedigree"),
        "pedigree_legend": N_(
            "Square: male, circle: female; filled: typed; double frame: the missing person."
        ),
        "lr_table": N_("Likelihood ratio per marker"),
        "lr_headers": [
            N_("Marker"),
            N_("Remains genotype"),
            N_("LR"),
        ],
        "total_lr": N_("Total LR"),
        "prior": N_("Prior probability"),
        "posterior": N_("Posterior probability"),
        "conclusion": N_("Conclusion"),
        "method": N_("Methodology"),
        "hypotheses": N_("Hypotheses"),
        "status": N_("Status"),
    },
    "statistics": {
        "title": N_("Aggregate statistics"),
        "subtitle": N_("Public figures and estimates"),
        "aggregates": N_("Figures"),
        "aggregates_headers": [
            N_("Group"),
            N_("Value"),
            N_("Persons"),
        ],
        "chart": N_("Chart"),
        "estimates": N_("Estimates"),
        "estimates_headers": [
            N_("Quantity"),
            N_("Estimate"),
            # xgettext:no-python-format
            N_("95% interval"),
            N_("Method"),
        ],
        "no_estimates": N_("No estimates."),
        "method": N_("Method note"),
        "suppressed": N_("'<{k}': counts below {k} are suppressed to protect families."),
    },
}

TERMS: dict[str, str] = {
    "alive": N_("alive"),
    "wounded": N_("wounded"),
    "detained": N_("detained"),
    "missing": N_("missing"),
    "dead": N_("dead"),
    "buried": N_("buried"),
    "identified": N_("identified"),
    "unknown": N_("unknown"),
    "none": N_("no information"),
    "probable": N_("probable"),
    "disputed": N_("disputed"),
    "confirmed": N_("confirmed"),
    "family_report": N_("family report"),
    "testimony": N_("testimony"),
    "unit_notice": N_("unit notice"),
    "ministry_letter": N_("ministry letter"),
    "prisoner_list": N_("prisoner list"),
    "exchange_list": N_("exchange list"),
    "obituary": N_("obituary"),
    "media": N_("media report"),
    "burial_record": N_("burial record"),
    "death_certificate": N_("death certificate"),
    "dna_report": N_("DNA report"),
    "dna_identification": N_("DNA identification"),
    "other": N_("other"),
    "new": N_("new"),
    "in_progress": N_("in progress"),
    "answered": N_("answered"),
    "closed": N_("closed"),
    "web": N_("web form"),
    "phone": N_("phone"),
    "hotline": N_("hotline"),
    "letter": N_("letter"),
    "in_person": N_("in person"),
    "partner": N_("partner organisation"),
    "legal_none": N_("none"),
    "certificate_requested": N_("certificate requested"),
    "recognised_missing": N_("recognised missing by a court"),
    "declared_dead": N_("declared dead by a court"),
    "death_registered": N_("death registered"),
    "payments_claimed": N_("payments claimed"),
    "reference": N_("reference sample"),
    "remains": N_("remains sample"),
    "retracted": N_("retracted"),
    "current": N_("in force"),
    "no_answer": N_("no answer"),
    "yes": N_("yes"),
    "no": N_("no"),
    "fate": N_("fate"),
    "region": N_("region"),
    "recovered": N_("recovered"),
    "returned": N_("returned to the family"),
    "dna_identified": N_("identification confirmed by two staff members"),
    "dna_unconfirmed": N_(
        "screening candidate, NOT confirmed: not to be given to the family before staff decide"
    ),
    "missing person": N_("missing person"),
    "mother": N_("mother"),
    "father": N_("father"),
    "sister": N_("sister"),
    "brother": N_("brother"),
    "son": N_("son"),
    "daughter": N_("daughter"),
    "wife": N_("wife"),
    "husband": N_("husband"),
    "H1: the remains are the missing person of this pedigree": N_(
        "H1: the remains are the missing person of this pedigree"
    ),
    "H2: the remains are of a person unrelated to the pedigree": N_(
        "H2: the remains are of a person unrelated to the pedigree"
    ),
    "excluded: the findings are impossible under H1": N_("excluded: the findings are impossible under H1"),
    "no support for either proposition (LR close to 1)": N_(
        "no support for either proposition (LR close to 1)"
    ),
    "extremely strong support for H1": N_("extremely strong support for H1"),
    "extremely strong support for H2": N_("extremely strong support for H2"),
    "very strong support for H1": N_("very strong support for H1"),
    "very strong support for H2": N_("very strong support for H2"),
    "strong support for H1": N_("strong support for H1"),
    "strong support for H2": N_("strong support for H2"),
    "moderately strong support for H1": N_("moderately strong support for H1"),
    "moderately strong support for H2": N_("moderately strong support for H2"),
    "moderate support for H1": N_("moderate support for H1"),
    "moderate support for H2": N_("moderate support for H2"),
    "weak support for H1": N_("weak support for H1"),
    "weak support for H2": N_("weak support for H2"),
}

PHRASES: dict[str, str] = {
    "dna_method_engine": N_(
        "Exact pedigree likelihood per marker (kinlink.genetics): H1, the remains are the missing "
        "person; H2, the remains are of a person unrelated to the pedigree. The total LR is the "
        "product over the markers. Verbal scale: {scale}."
    ),
    "dna_marker_count": N_("{n} autosomal STR markers"),
    "dna_method_theta": N_("Population substructure correction θ = {theta}."),
    "dna_method_frequencies": N_("Allele frequencies: {file} (SHA-256 {sha}…)."),
    "dna_method_mutation": N_("Mutation model: {model}."),
    "dna_method_no_mutation": N_("No mutation model."),
    "dna_method_prior": N_("Prior: {basis}."),
    "dna_method_screening": N_("Screening candidate {candidate}, run {run}, screening LR {lr}."),
    "dna_method_notes": N_("Notes of the computation: {notes}"),
    "dna_prior_screened": N_(
        "one in {n}: each of the {n} missing persons screened is equally likely a priori"
    ),
    "dna_prior_equal": N_("equal prior: only one family was screened"),
    "dna_prior_event_in": N_(
        "1/{pool} of {inside}: he is among the missing persons of the event «{event}» ({via}), {members} "
        "in all{less}; {inside} of the prior is shared equally by them, {outside} by the missing persons "
        "outside the event ({others})"
    ),
    "dna_prior_event_excluded": N_(
        "1/{pool} of {inside}: he is among the missing persons of the event «{event}» ({via}), {members} "
        "in all{less}; the physical comparison excluded him, and his prior is the one he would have "
        "without that exclusion; {inside} of the prior is shared by the event's missing persons, "
        "{outside} by those outside the event ({others})"
    ),
    "dna_prior_event_outside": N_(
        "1/{others} of {outside}: he is not among the missing persons of the event «{event}» ({via}), "
        "{members} in all; {outside} of the prior is spread equally over the missing persons outside the "
        "event ({others})"
    ),
    "dna_prior_less": N_(", less those excluded by the physical comparison: {excluded}"),
    "dna_prior_via_site": N_("site «{name}»"),
    "dna_prior_via_batch": N_("repatriation batch «{name}»"),
    "dna_prior_via_remains": N_("recorded with the remains «{name}»"),
    "waited": N_("no answer ({days} days as of {date})"),
    "fate_value": N_("Fate"),
    "confidence": N_("Confidence"),
    "last_news": N_("Last news"),
    "sources_cited": N_("Sources"),
    "jurisdiction": N_("Jurisdiction"),
    "legal_status": N_("Legal status"),
    "since": N_("since"),
    "reliability": N_("reliability"),
    "retraction": N_("retracted: {reason}"),
    "stated": N_("stated"),
    "dna_line": N_(
        "Remains sample {remains} ({lab}) compared with the relatives' samples {samples} at "
        "{markers} markers: total LR {lr}, prior {prior}, posterior {posterior}; conclusion: "
        "{verbal}; {status}."
    ),
}

KIND_LABELS["inquiry-letter"] = dict(LETTER_LABELS)
KIND_LABELS["court-application"] = dict(COURT_LABELS)
KIND_LABELS["dossier"]["answers_headers"] = KIND_LABELS["certificate"]["answers_headers"]
KIND_LABELS["dossier"]["no_answers"] = KIND_LABELS["certificate"]["no_answers"]


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}' (use {', '.join(LANGUAGES)})")


def translate(message: str, lang: str) -> str:
    """One catalogue message in ``lang``; an empty message stays empty (gettext would give the header)."""
    _check(lang)
    if not message:
        return message
    with translation.override(lang):
        return gettext(message)


def term(code: str, lang: str) -> str:
    """A stored code in the reader's language; unknown codes are shown as they are."""
    message = TERMS.get(code)
    return translate(message, lang) if message else code


def phrase(key: str, lang: str, **params: object) -> str:
    return translate(PHRASES[key], lang).format(**params)


def fate_message(template: str, lang: str) -> str:
    """A fate explanation template of ``kinlink.registry.fate`` (marked there with ``N_``) in ``lang``."""
    return translate(template, lang)


#: Source names the registry's actions write in English ("Tracing request R-…"): the stored prefix and its
#: catalogue message, so a document names the source in its reader's language.
STORED_NAME_PREFIXES: dict[str, str] = {
    "Tracing request ": N_("Tracing request"),
    "DNA identification ": N_("DNA identification"),
}


def source_title(name: str, lang: str) -> str:
    """A source's stored name in ``lang`` where the registry wrote it from a fixed English pattern."""
    for prefix, message in STORED_NAME_PREFIXES.items():
        if name.startswith(prefix):
            return f"{translate(message, lang)} {name[len(prefix) :]}"
    return name


def labels_for(kind: str, lang: str) -> dict[str, Any]:
    """All labels a template needs, in one language."""
    _check(lang)
    with translation.override(lang):
        merged: dict[str, Any] = {key: gettext(message) for key, message in COMMON.items()}
        for key, value in KIND_LABELS[kind].items():
            merged[key] = [gettext(m) for m in value] if isinstance(value, list) else gettext(value)
    return merged
