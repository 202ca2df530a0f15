"""A case's legal plan with its inquiries: the registry computes the plan, the inquiries live here.

The registry may not read ``documents`` (the layers), so the pages and documents that show a case's plan
call :func:`case_legal_view`, which gathers the case's inquiries as plain facts and passes them in.
"""

from __future__ import annotations

import datetime as dt

from kinlink.documents.models import Inquiry
from kinlink.registry.legalplan import InquiryFacts
from kinlink.registry.models import Case
from kinlink.registry.services.fate import LegalView, legal_view


def inquiry_facts(case: Case) -> list[InquiryFacts]:
    """The case's inquiries (reminders and complaints included; those a caseworker declined as evidence
    left out), each with the reply rule it was recorded under."""
    rows = (
        Inquiry.objects.filter(case=case)
        .exclude(evidence=Inquiry.Evidence.DECLINED)
        .order_by("asked_on", "pk")
    )
    return [
        InquiryFacts(
            addressee=row.addressee_kind,
            sent=row.asked_on,
            received=row.received_on,
            answered=row.answered_on,
            basis=row.legal_basis or None,
            extended=row.extended_on is not None,
            reference=row.addressee,
        )
        for row in rows
    ]


def case_legal_view(case: Case, today: dt.date | None = None) -> LegalView:
    """:func:`registry.services.fate.legal_view` with the case's inquiries."""
    return legal_view(case, today=today, inquiries=inquiry_facts(case))
