"""The closed list of a reference donor's relationships to the missing person, in the lab's language.

A lab writes the relationship in Russian, Ukrainian or English (``мать``, ``мати``, ``mother``); the
registry stores the canonical code (``mother``). Screening builds the family's pedigree from these codes
(:func:`kinlink.identification.services.family_from_samples`), so a value outside the list is refused with
its row and column instead of being stored as free text that screening would ignore. Relatives outside
this list (a grandmother, an uncle, a half-brother) are described by a pedigree file instead.

``self`` is not a relative: it is a reference of the missing person himself (his toothbrush, razor or
comb, a stored blood card, a biopsy). Screening compares it with remains directly, as one individual
against an unrelated one (:data:`DIRECT`; ``docs/methods/reassociation.md``), not through a pedigree.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: Canonical code -> label (translated to the reader's language).
RELATIONSHIP_LABELS: dict[str, Promise] = {
    "mother": _("mother"),
    "father": _("father"),
    "brother": _("brother"),
    "sister": _("sister"),
    "son": _("son"),
    "daughter": _("daughter"),
    "wife": _("wife"),
    "husband": _("husband"),
    "self": _("the missing person himself (personal item or stored sample)"),
}

#: The code of a direct reference: the missing person's own DNA (a personal item, a stored sample).
DIRECT = "self"

#: Every accepted spelling (lower case, ё written е) -> canonical code, in English, Russian and Ukrainian.
ALIASES: dict[str, str] = {
    **{code: code for code in RELATIONSHIP_LABELS},
    "personal item": "self",
    "personal effect": "self",
    "direct": "self",
    # Russian
    "мать": "mother",
    "мама": "mother",
    "отец": "father",
    "папа": "father",
    "брат": "brother",
    "сестра": "sister",
    "сын": "son",
    "дочь": "daughter",
    "дочка": "daughter",
    "жена": "wife",
    "супруга": "wife",
    "муж": "husband",
    "супруг": "husband",
    "сам": "self",
    "сам пропавший": "self",
    "личная вещь": "self",
    "личная вещь пропавшего": "self",
    # Ukrainian
    "мати": "mother",
    "матір": "mother",
    "батько": "father",
    "тато": "father",
    "син": "son",
    "донька": "daughter",
    "дружина": "wife",
    "чоловік": "husband",
    "сам зниклий": "self",
    "особиста річ": "self",
    "особиста річ зниклого": "self",
}


def canonical_relationship(value: str) -> str | None:
    """The canonical code of a relationship as a lab wrote it, or None when it is not in the list."""
    key = " ".join(value.split()).lower().replace("ё", "е")
    return ALIASES.get(key)


def accepted_relationships() -> list[tuple[str, str]]:
    """(code, label in the active language) for every accepted relationship, in list order."""
    return [(code, str(label)) for code, label in RELATIONSHIP_LABELS.items()]
