"""What the registry itself wrote into a source or a claim, shown in the reader's language.

Two kinds of source are written by kinlink, not typed by a person: the family's own report, made with
every tracing request ("Tracing request R-…", its origin the relationship code "mother"), and the DNA
identification two staff members confirm ("DNA identification KL-REM-…", with the screening run, the
likelihood ratio and the posterior). Their stored texts follow fixed English patterns with machine numbers
(so that they can be searched, exported and cited); this module writes them for a reader at display time,
in the active language, dates and numbers as the language writes them. Anything else is shown as stored.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language, gettext

from kinlink.lib.formats import format_decimal, format_scientific

_FAMILY_REPORT = re.compile(r"^Tracing request (?P<number>\S+)$")
_DNA_NAME = re.compile(r"^DNA identification (?P<code>\S+)$")
_DNA_ORIGIN = re.compile(r"^screening run (?P<run>\d+)$")
_NUMBER = r"[0-9.eE+-]+"
_DNA_REFERENCE = re.compile(
    rf"^candidate (?P<candidate>\d+); LR (?P<lr>{_NUMBER}); posterior (?P<posterior>{_NUMBER})$"
)
_DNA_CIRCUMSTANCES = re.compile(
    rf"^remains sample (?P<code>\S+) identified by DNA \(LR (?P<lr>{_NUMBER}), posterior "
    rf"(?P<posterior>{_NUMBER}); candidate (?P<candidate>\d+), screening run (?P<run>\S+)\)$"
)


def _lang() -> str:
    return get_language() or "en"


def _lr(text: str) -> str:
    try:
        return format_scientific(float(text), _lang())
    except ValueError:
        return text


def _posterior(text: str) -> str:
    """A posterior near 1 keeps its digits (0.9999999988): rounding would make it a certainty."""
    try:
        value = float(text)
    except ValueError:
        return text
    digits = len(text.split(".", 1)[1]) if "." in text and "e" not in text.lower() else 6
    return format_decimal(value, _lang(), digits=digits, grouping=False)


def source_name(name: str) -> str:
    """A source's name; the family's report and a DNA identification in the active language."""
    if match := _FAMILY_REPORT.match(name):
        return gettext("Tracing request %(number)s") % {"number": match["number"]}
    if match := _DNA_NAME.match(name):
        return gettext("DNA identification %(code)s") % {"code": match["code"]}
    return name


def source_origin(origin: str) -> str:
    """Who issued a source; the screening run of a DNA identification in the active language (the
    relationship of a family's report is a code, translated where the relationship labels live)."""
    if match := _DNA_ORIGIN.match(origin):
        return gettext("screening run %(run)s") % {"run": match["run"]}
    return origin


def source_reference(reference: str) -> str:
    """A source's reference; a DNA identification's candidate, LR and posterior as the language writes
    them."""
    if match := _DNA_REFERENCE.match(reference):
        return gettext("candidate %(candidate)s; LR %(lr)s; posterior %(posterior)s") % {
            "candidate": match["candidate"],
            "lr": _lr(match["lr"]),
            "posterior": _posterior(match["posterior"]),
        }
    return reference


def claim_circumstances(text: str) -> str:
    """A claim's circumstances; those a DNA identification wrote in the active language."""
    if match := _DNA_CIRCUMSTANCES.match(text):
        return gettext(
            "Remains sample %(code)s identified by DNA (LR %(lr)s, posterior %(posterior)s; "
            "candidate %(candidate)s, screening run %(run)s)."
        ) % {
            "code": match["code"],
            "lr": _lr(match["lr"]),
            "posterior": _posterior(match["posterior"]),
            "candidate": match["candidate"],
            "run": match["run"],
        }
    return text
