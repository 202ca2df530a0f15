"""Texts that speak of the missing person in the grammatical gender of the person's sex.

A gendered text has one catalogue entry per context: ``male``, ``female`` and ``unknown`` (a neutral
wording, e.g. «разыскиваемый человек»), chosen from ``Person.sex`` (M, F, U). Russian and Ukrainian need
the forms (погиб / погибла); English needs them for pronouns (him / her / this person).
"""

from __future__ import annotations

from django.utils.translation import gettext, pgettext

#: ``Person.sex`` -> the gettext context of its grammatical forms.
SEX_CONTEXTS = {"M": "male", "F": "female"}


def sex_context(sex: str | None) -> str:
    """The gettext context for a person of this sex: "male", "female" or "unknown"."""
    return SEX_CONTEXTS.get(sex or "", "unknown")


def gendered(message: str, sex: str | None) -> str:
    """``message`` translated in the form for a person of this sex; the plain translation when the
    catalogue has no form for that context."""
    text = pgettext(sex_context(sex), message)
    return text if text != message else gettext(message)
