"""Legal status: a state machine separate from the factual fate, with the law's rules kept as data.

Pure: no Django. Rules come from ``data/legal_rules.json`` (or any file with the same shape): the laws
(citation, date in force, repeal), one entry per jurisdiction with its rules, and the reply rules of
inquiries, so a new law changes data, not code. The plan that applies them is
:mod:`kinlink.registry.legalplan`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


class LegalStatusError(ValueError):
    """A transition the rules do not allow, or an unknown jurisdiction."""


@dataclass(frozen=True, slots=True)
class LegalRules:
    statuses: tuple[str, ...]
    transitions: dict[str, tuple[str, ...]]
    jurisdictions: dict[str, dict[str, Any]]
    reply_rules: dict[str, dict[str, Any]]
    laws: dict[str, dict[str, Any]] = field(default_factory=dict)
    waits: dict[str, str] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)

    def jurisdiction_name(self, code: str) -> str:
        return str(self.jurisdiction(code)["name"])

    def jurisdiction(self, code: str) -> dict[str, Any]:
        try:
            return self.jurisdictions[code]
        except KeyError:
            known = ", ".join(sorted(self.jurisdictions))
            raise LegalStatusError(f"unknown jurisdiction '{code}' (known: {known})") from None

    def check_transition(self, current: str, new: str) -> None:
        if new not in self.transitions.get(current, ()):
            allowed = ", ".join(self.transitions.get(current, ())) or "none"
            raise LegalStatusError(f"legal status cannot go from '{current}' to '{new}' (allowed: {allowed})")

    def in_force(self, law_keys: Iterable[str]) -> dt.date | None:
        """The day the last of these laws took effect (a rule resting on them yields no earlier date)."""
        days = [dt.date.fromisoformat(d) for k in law_keys if (d := self.laws[k].get("in_force"))]
        return max(days) if days else None

    def citation(self, law_keys: Iterable[str], original: bool = False) -> str:
        """The laws' citations joined with "; " (in English, or in the law's own language)."""
        key = "cite_orig" if original else "cite"
        return "; ".join(str(self.laws[k][key]) for k in law_keys)

    def wait_text(self, key: str) -> str:
        return self.waits.get(key, key)


def reply_due(
    rules: LegalRules,
    basis: str,
    sent: dt.date,
    received: dt.date | None = None,
    extended: bool = False,
) -> dt.date | None:
    """The last day an authority has to answer an inquiry under the reply rule ``basis`` (a key of the rules'
    ``reply_rules``), or None when the rule sets no deadline. Counted from the day the addressee received it
    plus the days it has to register it; without a known receipt, from the day it was sent (the earliest
    the addressee can have it, so the due date is never later than the law's)."""
    try:
        rule = rules.reply_rules[basis]
    except KeyError:
        known = ", ".join(sorted(rules.reply_rules))
        raise LegalStatusError(f"unknown reply rule '{basis}' (known: {known})") from None
    if not rule["days"]:
        return None
    start = received or sent
    days = rule["registration_days"] + rule["days"] + (rule["extension_days"] if extended else 0)
    return start + dt.timedelta(days=days)


def add_period(start: dt.date, years: int = 0, months: int = 0, days: int = 0) -> dt.date:
    """Calendar arithmetic as courts count it: the same day N months later, clamped to the month's end."""
    month_index = start.month - 1 + months + 12 * years
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day) + dt.timedelta(days=days)


def load_rules(text: str) -> LegalRules:
    raw = json.loads(text)
    return LegalRules(
        statuses=tuple(raw["statuses"]),
        transitions={k: tuple(v) for k, v in raw["transitions"].items()},
        jurisdictions=raw["jurisdictions"],
        reply_rules=raw.get("reply_rules", {}),
        laws=raw.get("laws", {}),
        waits=raw.get("waits", {}),
        documents=raw.get("documents", {}),
    )


@cache
def default_rules() -> LegalRules:
    return load_rules(
        resources.files("kinlink.registry").joinpath("data", "legal_rules.json").read_text("utf-8")
    )
