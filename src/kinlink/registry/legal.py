"""Legal status: a state machine separate from the factual fate, with deadlines kept as data.

Pure: no Django. Rules come from ``data/legal_rules.json`` (or any file with the same shape), one
entry per jurisdiction, so a new law changes data, not code.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


class LegalStatusError(ValueError):
    """A transition the rules do not allow, or an unknown jurisdiction."""


@dataclass(frozen=True, slots=True)
class Deadline:
    action: str
    earliest: dt.date
    title: str
    basis: str
    reached: bool


@dataclass(frozen=True, slots=True)
class LegalRules:
    statuses: tuple[str, ...]
    transitions: dict[str, tuple[str, ...]]
    jurisdictions: dict[str, dict[str, Any]]
    reply_rules: dict[str, dict[str, Any]]

    def jurisdiction_name(self, code: str) -> str:
        return str(self._jurisdiction(code)["name"])

    def _jurisdiction(self, code: str) -> dict[str, Any]:
        try:
            return self.jurisdictions[code]
        except KeyError:
            known = ", ".join(sorted(self.jurisdictions))
            raise LegalStatusError(f"unknown jurisdiction '{code}' (known: {known})") from None

    def check_transition(self, current: str, new: str) -> None:
        if new not in self.transitions.get(current, ()):
            allowed = ", ".join(self.transitions.get(current, ())) or "none"
            raise LegalStatusError(f"legal status cannot go from '{current}' to '{new}' (allowed: {allowed})")

    def deadlines(
        self,
        jurisdiction: str,
        status: str,
        last_news: dt.date | None,
        status_since: dt.date | None = None,
        hostilities_end: dt.date | None = None,
        today: dt.date | None = None,
        identified_on: dt.date | None = None,
    ) -> list[Deadline]:
        """The next legal steps and the earliest date each becomes possible, soonest first.

        ``identified_on`` is the date of a confirmed DNA identification of the person: death is then
        established, the court steps for a missing person (recognition as missing, declaration of death)
        fall away, and the plan moves to registering the death (rules with basis ``identified_on``)."""
        today = today or dt.date.today()
        bases = {
            "last_news": last_news,
            "status_since": status_since,
            "hostilities_end": hostilities_end,
            "identified_on": identified_on,
        }
        found: list[Deadline] = []
        for rule in self._jurisdiction(jurisdiction)["rules"]:
            if rule["after_status"] not in ("any", status):
                continue
            if identified_on is not None and rule["action"] in ("recognise_missing", "declare_dead"):
                continue
            if rule["action"] == "register_death" and status in ("death_registered", "payments_claimed"):
                continue
            if rule["action"] == "recognise_missing" and status not in ("none", "certificate_requested"):
                continue
            if rule["action"] == "declare_dead" and status in (
                "declared_dead",
                "death_registered",
                "payments_claimed",
            ):
                continue
            basis = bases.get(rule["basis"])
            if basis is None:
                continue
            earliest = add_period(
                basis, years=rule.get("years", 0), months=rule.get("months", 0), days=rule.get("days", 0)
            )
            found.append(Deadline(rule["action"], earliest, rule["title"], rule["basis"], earliest <= today))
        return sorted(found, key=lambda d: d.earliest)


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
    )


@cache
def default_rules() -> LegalRules:
    return load_rules(
        resources.files("kinlink.registry").joinpath("data", "legal_rules.json").read_text("utf-8")
    )
