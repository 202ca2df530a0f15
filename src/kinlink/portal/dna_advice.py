"""Which relatives' DNA reference samples would help most, as advice a family can act on.

Kinship statistics identify a person best from both parents; without one parent, from the other
parent plus two or more full brothers or sisters; and for a man with children, from the children
together with their mother (whose DNA lets the lab tell which half came from him). Half-siblings,
cousins and in-laws help far less. The order of the advice follows who is asking: a wife is asked
first about the children, a parent about the other parent.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from kinlink.genetics.power_file import PowerFileError, check_sampling_power, threshold_label

log = logging.getLogger(__name__)

#: Match power measured by simulation (``kinlink dna advice --out``; the file records how it was made).
POWER_FILE = Path(__file__).resolve().parent / "data" / "sampling_power.json"


@dataclass(frozen=True, slots=True)
class DnaOption:
    """A sampling option. ``title`` and ``detail`` are catalogue ids, translated where the page knows the
    missing person's sex: ``{{ option.title|gendered:person_sex }}`` (his parents / her parents)."""

    key: str
    title: str
    detail: str


BOTH_PARENTS = DnaOption(
    "both_parents",
    gettext_noop("Both of his parents"),
    gettext_noop("The mother and the father of the missing person: the strongest reference."),
)
MOTHER_AND_SIBLINGS = DnaOption(
    "parent_and_siblings",
    gettext_noop("One parent and his full brothers and sisters"),
    gettext_noop(
        "If a parent has died or cannot give a sample: the other parent plus two or more full siblings."
    ),
)
CHILDREN_AND_MOTHER = DnaOption(
    "children_and_mother",
    gettext_noop("His children and their mother"),
    gettext_noop(
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


#: The simulated reference configurations, in the family's words (catalogue ids, gendered on the page).
CONFIGURATION_LABELS: dict[str, str] = {
    "mother": gettext_noop("His mother only"),
    "both_parents": gettext_noop("His mother and his father"),
    "mother_sibling": gettext_noop("His mother and one full brother or sister"),
    "siblings": gettext_noop("Two of his full brothers or sisters, without the parents"),
    "child_mother": gettext_noop("One of his children and the child's mother"),
}
CONDITION_LABELS: dict[str, Promise] = {
    "complete": _("well-preserved remains"),
    "partial": _("partly degraded remains"),
    "skeletal": _("badly degraded (skeletal) remains"),
}


@dataclass(frozen=True, slots=True)
class PowerRow:
    configuration: str
    label: str  # a catalogue id: {{ row.label|gendered:person_sex }}
    in_100: int  # about this many in 100 missing persons are identified with these samples


@dataclass(frozen=True, slots=True)
class SamplingPower:
    """What the family page says about match power, from the shipped simulation file."""

    rows: list[PowerRow]
    by_configuration: dict[str, int]
    families: int
    missing_persons: int
    condition: Promise | str
    generated_on: Any


def in_100(share: float) -> int:
    """A share as "about N in 100", never rounding short of certain up to 100 or some down to 0."""
    n = round(share * 100)
    if share < 1.0:
        n = min(n, 99)
    if share > 0.0:
        n = max(n, 1)
    return n


def read_sampling_power(path: Path) -> SamplingPower:
    """The measured power at the LR an identification needs; :class:`PowerFileError` if malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PowerFileError(f"{path}: {exc}") from exc
    check_sampling_power(data)
    params = data["parameters"]
    key = f"power_{threshold_label(float(params['identification_lr']))}"
    shares = {name: float(record[key]) for name, record in data["configurations"].items()}
    rows = [
        PowerRow(name, CONFIGURATION_LABELS[name], in_100(share))
        for name, share in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return SamplingPower(
        rows,
        {row.configuration: row.in_100 for row in rows},
        int(params["families_per_configuration"]),
        int(params["missing_persons"]),
        CONDITION_LABELS.get(str(params["condition"]), str(params["condition"])),
        parse_date(str(data["generated_on"])) or data["generated_on"],
    )


@lru_cache(maxsize=1)
def sampling_power() -> SamplingPower | None:
    """The shipped figures, or None (the advice is then given without figures) when the file is bad."""
    try:
        return read_sampling_power(POWER_FILE)
    except PowerFileError as exc:
        log.error("sampling advice without figures: %s", exc)
        return None
