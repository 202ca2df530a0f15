"""The stated basis of a screening candidate's prior, as stored on the candidate (pure: no Django).

Screening writes it, the staff pages and the DNA report read it back to word it in the reader's language;
this module is the one place that knows its forms and the one place that computes a context prior:

* :func:`screened_basis` ("1 / N missing persons screened"): no context, each screened remains is a
  priori equally likely to be any of the N missing persons whose families were screened;
* :func:`context_basis` (:class:`ContextPrior`): the remains are tied to an event (their own, their site's
  or their batch's) whose missing persons number M. Of the prior, ``1 - share`` goes to the M persons of
  the event, less the k a non-DNA comparison excluded, equally; ``share`` (1 % by default,
  ``KINLINK_PRIOR_OUTSIDE_SHARE``) is spread equally over the other missing persons, so that remains
  recorded with the wrong event can still be identified, on stronger DNA. A person of the event whom the
  physical comparison excluded keeps the prior he would have without that exclusion (his candidate is
  marked with the conflict): a wrong sex estimate or a bone from another body in the bag must not hide a
  strong DNA match.

The forms are written in English and parsed back by :func:`parse_context`; names of the event and of the
site or batch are kept inside «» (the characters « and » are removed from the names when written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Used when only one family was screened, so the screening gave no prior of its own.
EQUAL_PRIOR = "equal prior: only one family was screened"

_SCREENED = re.compile(r"^1 / (\d+) missing persons screened$")

#: Where the candidate person stands against the remains' event.
IN_EVENT = "in"  # a missing person of the event, not excluded by the physical comparison
EXCLUDED = "excluded"  # a missing person of the event excluded by it: the prior ignores that exclusion
OUTSIDE = "outside"  # not a missing person of the event
PLACES = (IN_EVENT, EXCLUDED, OUTSIDE)
#: What ties the remains to the event.
VIA = ("remains", "site", "batch")


def screened_basis(missing_persons: int) -> str:
    """Each screened remains is a priori equally likely to be any of the missing persons screened."""
    return f"1 / {missing_persons} missing persons screened"


def screened_count(basis: str) -> int | None:
    """The number of missing persons of a :func:`screened_basis` text; None for any other basis."""
    found = _SCREENED.match(basis)
    return int(found.group(1)) if found else None


@dataclass(frozen=True, slots=True)
class ContextPrior:
    """The prior of one candidate person for remains tied to an event.

    ``members``: the event's missing persons (M); ``excluded``: how many of them the non-DNA comparison
    excluded for these remains (k); ``others``: the missing persons outside the event the outside
    ``share`` is spread over; ``via``/``via_name``: what ties the remains to the event (the remains' own
    record, their site, their repatriation batch)."""

    place: str
    event_id: int
    event_name: str
    via: str
    via_name: str
    members: int
    excluded: int
    share: float
    others: int

    def __post_init__(self) -> None:
        if self.place not in PLACES:
            raise ValueError(f"place must be one of {PLACES}, not {self.place!r}")
        if self.via not in VIA:
            raise ValueError(f"via must be one of {VIA}, not {self.via!r}")
        if not 0.0 < self.share < 1.0:
            raise ValueError(f"the outside share must lie strictly between 0 and 1, not {self.share}")
        if self.members < 1 or not 0 <= self.excluded <= self.members or self.others < 1:
            raise ValueError("an event prior needs at least one member, 0..M excluded and one other person")
        if self.place == IN_EVENT and self.excluded >= self.members:
            raise ValueError("a person in the event who is not excluded leaves at least one member")

    @property
    def pool(self) -> int:
        """How many persons share the event's part of the prior for this candidate: the members not
        excluded, and the candidate himself when he was excluded."""
        remaining = self.members - self.excluded
        return remaining + 1 if self.place == EXCLUDED else remaining

    @property
    def prior(self) -> float:
        if self.place == OUTSIDE:
            return self.share / self.others
        return (1.0 - self.share) / self.pool


def _clean(name: str) -> str:
    return " ".join(name.replace("«", '"').replace("»", '"').split())[:120]


def context_basis(prior: ContextPrior) -> str:
    """The stored form of a :class:`ContextPrior` (parsed back by :func:`parse_context`)."""
    return (
        f"event {prior.event_id} «{_clean(prior.event_name)}» via {prior.via} «{_clean(prior.via_name)}»: "
        f"{prior.place}; {prior.members} missing; {prior.excluded} excluded by the physical comparison; "
        f"{prior.share:g} of the prior over {prior.others} others"
    )


_CONTEXT = re.compile(
    r"^event (\d+) «([^«»]*)» via (remains|site|batch) «([^«»]*)»: (in|excluded|outside); (\d+) missing; "
    r"(\d+) excluded by the physical comparison; ([0-9.eE+-]+) of the prior over (\d+) others$"
)


def parse_context(basis: str) -> ContextPrior | None:
    """The :class:`ContextPrior` of a :func:`context_basis` text; None for any other basis."""
    found = _CONTEXT.match(basis)
    if found is None:
        return None
    eid, ename, via, vname, place, members, excluded, share, others = found.groups()
    try:
        return ContextPrior(
            place, int(eid), ename, via, vname, int(members), int(excluded), float(share), int(others)
        )
    except ValueError:
        return None
