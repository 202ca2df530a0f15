"""The inquiries' part of the public figures: how many inquiries went to each kind of addressee, and how many
were answered in time, late, or not at all past the statutory deadline.

Counted are the inquiries, reminders and complaints that are evidence of a case (a family's entry counts
once a caseworker accepted it). The table is suppressed like the other public figures
(``estimation.aggregates.publish_crosstab`` at the same threshold: small cells and those that would reveal
them are withheld); it is registered with the registry's public figures (``documents.apps``), so that it is
computed and cached with them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kinlink.documents.models import Inquiry

#: What became of an inquiry, as the public table counts it.
OUTCOMES = ("answered", "answered_late", "overdue", "waiting")


def outcome(answered_on: dt.date | None, reply_due: dt.date | None, today: dt.date) -> str:
    """answered (by the deadline, or without one), answered_late, overdue (no answer past the deadline) or
    waiting (no answer, the deadline not passed or none set)."""
    if answered_on is not None:
        return "answered_late" if reply_due is not None and answered_on > reply_due else "answered"
    if reply_due is not None and reply_due < today:
        return "overdue"
    return "waiting"


def inquiry_figures(threshold: int, today: dt.date | None = None) -> dict[str, Any]:
    """The suppressed table addressee kind × outcome, and the one-way counts by addressee kind."""
    from kinlink.estimation.aggregates import publish_counts, publish_crosstab

    today = today or timezone.localdate()
    rows = Inquiry.objects.filter(evidence=Inquiry.Evidence.ACCEPTED).values_list(
        "addressee_kind", "answered_on", "reply_due"
    )
    records = [
        {"addressee_kind": kind, "outcome": outcome(answered_on, reply_due, today)}
        for kind, answered_on, reply_due in rows
    ]
    if not records:
        return {"total": 0, "by_addressee": {"total": 0}, "table": None, "as_of": today.isoformat()}
    table = publish_crosstab(records, "addressee_kind", "outcome", threshold).as_dict()
    by_addressee = publish_counts(records, "addressee_kind", threshold)
    return {
        "total": by_addressee["total"],
        "by_addressee": by_addressee,
        "table": table,
        "as_of": today.isoformat(),
    }
