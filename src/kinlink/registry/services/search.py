"""Person search by name in any script, unit, dates and places, within what a staff member may see.

Names are compared by a *search key*: the name transliterated to ASCII with ``anyascii``, lower-cased,
with letters only, and a few spelling conventions folded together (German ``w`` = ``v``, ``sch`` = ``sh``,
``tsch`` = ``ch``), so Иванов, Іванов, Ivanov and Iwanow give the same key. This is a small,
swappable interface: :func:`name_key` is the only place that knows how names are normalised, and
the record-linkage library's transliteration tables can replace it without touching callers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from anyascii import anyascii
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from kinlink.partialdate import PartialDateError, parse_partial_date
from kinlink.registry.models import Person
from kinlink.registry.services.access import persons_visible_to

_FOLDS = (("tsch", "ch"), ("sch", "sh"), ("w", "v"), ("kh", "h"), ("y", "i"), ("j", "i"))


def name_key(text: str) -> str:
    """The comparison key of one word of a name (see the module docstring)."""
    key = re.sub(r"[^a-z]", "", anyascii(text).lower())
    for old, new in _FOLDS:
        key = key.replace(old, new)
    return key


def name_keys(text: str) -> set[str]:
    """Keys of every word of a name, so word order (surname first or last) does not matter."""
    return {k for k in (name_key(w) for w in re.split(r"[\s,.;-]+", text)) if k}


@dataclass(frozen=True, slots=True)
class PersonQuery:
    name: str = ""
    unit: str = ""
    born_from: str = ""  # partial ISO date: 1990, 1990-05
    born_to: str = ""
    place: str = ""


def search_persons(
    user: AbstractBaseUser | AnonymousUser, query: PersonQuery, limit: int = 100
) -> list[Person]:
    """Persons the user may see that match every given criterion. The public never reaches this."""
    persons = persons_visible_to(user).prefetch_related("names")
    if query.unit.strip():
        persons = persons.filter(unit__icontains=query.unit.strip())
    if query.place.strip():
        place = query.place.strip()
        persons = persons.filter(
            Q(birth_place__icontains=place)
            | Q(region__icontains=place)
            | Q(tracing_requests__last_known_place__icontains=place)
            | Q(claims__place__icontains=place)
        ).distinct()
    for bound, lookup in ((query.born_from, "gte"), (query.born_to, "lte")):
        if bound.strip():
            try:
                parsed = parse_partial_date(bound.strip())
            except PartialDateError:
                continue
            # Partial dates are ISO prefixes and sort as text: "1990" <= "1990-05" <= "1990~".
            edge = parsed.isoformat() if lookup == "gte" else parsed.isoformat() + "~"
            persons = persons.exclude(birth_date="").filter(**{f"birth_date__{lookup}": edge})
    wanted = name_keys(query.name)
    found: list[Person] = []
    for person in persons.order_by("id"):
        if wanted:
            keys: set[str] = set()
            for variant in person.names.all():
                keys |= name_keys(variant.display())
            if not wanted <= keys:
                continue
        found.append(person)
        if len(found) >= limit:
            break
    return found
