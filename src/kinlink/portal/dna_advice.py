"""Which relatives' DNA reference samples would help most, as advice a family can act on.

Kinship statistics identify a person best from both parents; without one parent, from the other
parent plus two or more full brothers or sisters; and for a man with children, from the children
together with their mother (whose DNA lets the lab tell which half came from him). Half-siblings,
cousins and in-laws help far less. The order of the advice follows who is asking: a wife is asked
first about the children, a parent about the other parent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True, slots=True)
class DnaOption:
    key: str
    title: Promise
    detail: Promise


BOTH_PARENTS = DnaOption(
    "both_parents",
    _("Both of his parents"),
    _("The mother and the father of the missing person: the strongest reference."),
)
MOTHER_AND_SIBLINGS = DnaOption(
    "parent_and_siblings",
    _("One parent and his full brothers and sisters"),
    _("If a parent has died or cannot give a sample: the other parent plus two or more full siblings."),
)
CHILDREN_AND_MOTHER = DnaOption(
    "children_and_mother",
    _("His children and their mother"),
    _(
        "If he has children: the children together with their mother, "
        "so the lab can tell which half came from him."
    ),
)

_ORDER: dict[str, tuple[DnaOption, ...]] = {
    "wife": (CHILDREN_AND_MOTHER, BOTH_PARENTS, MOTHER_AND_SIBLINGS),
    "husband": (CHILDREN_AND_MOTHER, BOTH_PARENTS, MOTHER_AND_SIBLINGS),
    "son": (CHILDREN_AND_MOTHER, BOTH_PARENTS, MOTHER_AND_SIBLINGS),
    "daughter": (CHILDREN_AND_MOTHER, BOTH_PARENTS, MOTHER_AND_SIBLINGS),
}
_DEFAULT = (BOTH_PARENTS, MOTHER_AND_SIBLINGS, CHILDREN_AND_MOTHER)


def dna_advice(relationship: str) -> tuple[DnaOption, ...]:
    """The three sampling options, best first for a family whose enquirer has this relationship."""
    return _ORDER.get(relationship, _DEFAULT)
