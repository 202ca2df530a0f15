"""The person list format: the column contract of the lists that import, linkage, matching, the scenario
generator and the benchmarks exchange (CSV or XLSX, one row per record).

``record_id`` is the unique id of a row in its list; either ``full_name`` or the split name fields are
filled; dates are ISO, ``YYYY`` or ``YYYY-MM``. The registry's reader
(:mod:`kinlink.registry.services.personlist`) validates files against it.
"""

from __future__ import annotations

#: Columns of the person list format, in their order.
PERSON_LIST_COLUMNS: tuple[str, ...] = (
    "record_id",
    "source",
    "full_name",
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "birth_place",
    "unit",
    "rank",
    "event_date",
    "event_place",
)
