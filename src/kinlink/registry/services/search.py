"""Person search by name in any script, unit, dates and places, within what a staff member may see.

Names are compared with the record-linkage library's normalisation (:mod:`kinlink.linkage.names`),
the same one the linkage model uses: every word is reduced to a transliteration-independent
*skeleton* (Иванов, Іванов, Ivanov and Iwanow give ``ivanov``; Шевчук, Schewtschuk and Chevtchouk give
``xevcuk``), Russian and Ukrainian forms and diminutives of a given name agree (Олександр, Саша,
Alexander), so do patronymics of the same father's name, and near spellings agree by phonetic key
or Jaro–Winkler similarity. Every word of the query must agree with a different word of one of the
person's name variants; word order (surname first or last) does not matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from kinlink.linkage.names import name_matches, name_skeleton
from kinlink.partialdate import PartialDateError, parse_partial_date
from kinlink.registry.models import Person
from kinlink.registry.services.access import persons_visible_to

#: Lowest per-word agreement (0..1, see ``kinlink.linkage.names.name_matches``) a search accepts.
MIN_WORD_SCORE = 0.8


def name_key(text: str) -> str:
    """The comparison key of one word of a name: its skeleton, the same in every script and system."""
    return name_skeleton(text)


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
    wanted = query.name.strip()
    found: list[Person] = []
    for person in persons.order_by("id"):
        if wanted and not name_matches(
            wanted, [v.display() for v in person.names.all()], min_score=MIN_WORD_SCORE
        ):
            continue
        found.append(person)
        if len(found) >= limit:
            break
    return found
