"""The stated basis of a screening candidate's prior, as stored on the candidate (pure: no Django).

Screening writes it, the staff pages and the DNA report read it back to word it in the reader's language;
this module is the one place that knows its form.
"""

from __future__ import annotations

import re

#: Used when only one family was screened, so the screening gave no prior of its own.
EQUAL_PRIOR = "equal prior: only one family was screened"

_SCREENED = re.compile(r"^1 / (\d+) missing persons screened$")


def screened_basis(missing_persons: int) -> str:
    """Each screened remains is a priori equally likely to be any of the missing persons screened."""
    return f"1 / {missing_persons} missing persons screened"


def screened_count(basis: str) -> int | None:
    """The number of missing persons of a :func:`screened_basis` text; None for any other basis."""
    found = _SCREENED.match(basis)
    return int(found.group(1)) if found else None
