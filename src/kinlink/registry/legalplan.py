"""The legal plan of a case: the next legal steps, each with the day the law allows it and its law.

Pure: no Django. The rules are data (``data/legal_rules.json``, read by :mod:`kinlink.registry.legal`); this
module applies them to a case's facts (:class:`PlanFacts`, which the CLI reads from JSON and the case page
gathers from the registry and the inquiries).

Counting convention (``docs/methods/legal.md``): a period runs from the day after the event that starts it
(Civil Code art. 191) and a period of months or years ends on the same-numbered day of its last month, or
that month's last day when it has none (art. 192); the step is possible on the day after the period ends.
When only the month (or only the year) of the last news is known, the period starts on the first day of the
next month (or on 1 January of the next year), which is then the period's first day (art. 42). No rule
yields a date before every law it rests on took effect.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kinlink.partialdate import PartialDate, PartialDateError, parse_partial_date
from kinlink.registry.legal import LegalRules, LegalStatusError, add_period, default_rules, reply_due

#: The order of actions in a plan (then the rule's priority, then the date).
ACTION_ORDER = (
    "decision_in_force",
    "certificate_of_disappearance",
    "certificate_due",
    "recognise_missing",
    "declare_dead",
    "death_certificate_from_command",
    "register_death",
    "claim_insurance",
    "claim_one_off_payment",
    "reply_due",
)

#: Addressees that are not bound by a statutory reply deadline (59-FZ binds state bodies and officials).
NON_STATE_ADDRESSEES = frozenset({"red_cross", "icrc", "pow_body"})

#: The court decisions the plan follows until they take effect, and the status each one leads to.
DECISION_KINDS = {"recognise_missing": "recognised_missing", "declare_dead": "declared_dead"}

JURISDICTION_ALIASES = {"RU": "RU-general"}


class PlanInputError(ValueError):
    """Facts the plan cannot use; the message names the key."""


@dataclass(frozen=True, slots=True)
class InquiryFacts:
    addressee: str
    sent: dt.date
    received: dt.date | None = None
    answered: dt.date | None = None
    basis: str | None = None
    extended: bool = False
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """A court decision made (in its final form) on ``on`` that has not yet taken effect."""

    kind: str
    on: dt.date


@dataclass(frozen=True, slots=True)
class PlanFacts:
    jurisdiction: str
    as_of: dt.date
    last_news: PartialDate | None = None
    status: str = "none"
    status_since: dt.date | None = None
    threatening_circumstances: bool = False
    hostilities_end: dt.date | None = None
    inquiries: tuple[InquiryFacts, ...] = ()
    identified_on: dt.date | None = None
    command_notice: dt.date | None = None
    decision: Decision | None = None


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    date: dt.date | None
    basis: str
    rule: str
    title: str
    plain: str
    reached: bool
    priority: int = 0
    basis_original: str = ""
    waits_for: str | None = None
    #: the day the period alone gave, when the law it rests on took effect later (the step's date is then
    #: the day the law took effect)
    held_until_in_force: dt.date | None = None
    documents: tuple[str, ...] = ()
    overdue: bool | None = None
    addressee: str | None = None
    sent: dt.date | None = None
    answered: dt.date | None = None
    reference: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.action,
            "date": self.date.isoformat() if self.date else None,
            "basis": self.basis,
            "rule": self.rule,
            "title": self.title,
            "reached": self.reached,
        }
        if self.action == "reply_due":
            out["overdue"] = bool(self.overdue)
            out["addressee"] = self.addressee
            out["sent"] = self.sent.isoformat() if self.sent else None
            out["answered"] = self.answered.isoformat() if self.answered else None
            if self.reference:
                out["reference"] = self.reference
        if self.waits_for:
            out["waits_for"] = self.waits_for
        if self.held_until_in_force:
            # the period alone gave an earlier day; the law it rests on took effect later
            out["held_until_in_force"] = True
            out["period_date"] = self.held_until_in_force.isoformat()
        if self.documents:
            out["documents"] = list(self.documents)
        out.update(self.extra)
        return out


@dataclass(frozen=True, slots=True)
class Plan:
    facts: PlanFacts
    counting_from: dt.date | None
    steps: tuple[Step, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": [s.to_json() for s in self.steps],
            "as_of": self.facts.as_of.isoformat(),
            "jurisdiction": self.facts.jurisdiction,
            "last_news_counted_from": self.counting_from.isoformat() if self.counting_from else None,
        }


# --- counting ---------------------------------------------------------------------------------------


def period_start(last_news: PartialDate) -> dt.date:
    """The first day of a period that runs from the last news (Civil Code arts. 42 and 191): the day after
    a known day; the first day of the next month when the day is unknown; 1 January of the next year when
    the month is unknown."""
    if last_news.precision == "day":
        return last_news.earliest + dt.timedelta(days=1)
    if last_news.precision == "month":
        assert last_news.month is not None
        return dt.date(last_news.year + last_news.month // 12, last_news.month % 12 + 1, 1)
    return dt.date(last_news.year + 1, 1, 1)


def after_period(
    *,
    event: dt.date | None = None,
    first_day: dt.date | None = None,
    years: int = 0,
    months: int = 0,
    days: int = 0,
) -> dt.date:
    """The first day after a period has run: from an ``event`` (the period starts the next day and ends on
    the same-numbered day, art. 192), or from the period's own ``first_day`` (art. 42's partial dates)."""
    if event is not None:
        return add_period(event, years=years, months=months) + dt.timedelta(days=days + 1)
    if first_day is None:
        raise ValueError("after_period needs an event or a first day")
    return add_period(first_day, years=years, months=months) + dt.timedelta(days=days)


def decision_in_force(decided_on: dt.date) -> dt.date:
    """The day a court decision not appealed against takes effect: the day after the one-month appeal period
    that runs from the day after the decision in its final form (Civil Procedure Code arts. 209, 321)."""
    return after_period(event=decided_on, months=1)


# --- the plan ---------------------------------------------------------------------------------------


def build_plan(facts: PlanFacts, rules: LegalRules | None = None) -> Plan:
    """The steps of ``facts``'s case under its jurisdiction's rules, in plan order."""
    rules = rules or default_rules()
    jurisdiction = rules.jurisdiction(facts.jurisdiction)
    if facts.status not in rules.statuses:
        known = ", ".join(rules.statuses)
        raise PlanInputError(f"status: unknown status '{facts.status}' (known: {known})")

    status, since = facts.status, facts.status_since
    decision_on: dt.date | None = None
    if facts.decision is not None:
        decision_on = facts.decision.on
        status, since = DECISION_KINDS[facts.decision.kind], decision_in_force(facts.decision.on)
    start = period_start(facts.last_news) if facts.last_news is not None else None
    event = (
        facts.last_news.earliest
        if facts.last_news is not None and facts.last_news.precision == "day"
        else None
    )
    bases: dict[str, dt.date | None] = {
        "decision_on": decision_on,
        "hostilities_end": facts.hostilities_end,
        "identified_on": facts.identified_on,
        "command_notice": facts.command_notice,
        "certificate_requested_on": since if status == "certificate_requested" else None,
        "recognised_missing_on": since if status == "recognised_missing" else None,
        "declared_dead_on": since if status == "declared_dead" else None,
        "death_registered_on": since if status == "death_registered" else None,
    }
    flags = {"threatening_circumstances": facts.threatening_circumstances}
    death_known = facts.identified_on is not None

    steps: list[Step] = []
    deferred: list[dict[str, Any]] = []
    for rule in jurisdiction["rules"]:
        statuses = rule.get("statuses", "any")
        if statuses != "any" and status not in statuses:
            continue
        if any(not flags.get(flag, False) for flag in rule.get("requires", ())):
            continue
        if death_known and rule["action"] in (
            "certificate_of_disappearance",
            "certificate_due",
            "recognise_missing",
            "declare_dead",
            "death_certificate_from_command",
        ):
            continue
        if death_known and rule["basis_from"] == "command_notice":
            continue
        if rule["basis_from"] == "death_registered_on" and bases["death_registered_on"] is None:
            deferred.append(rule)
            continue
        step = _step(rules, rule, facts, bases, start, event)
        if step is not None:
            steps.append(step)

    # the claims follow the registration of the death: its day when registered, else the earliest day a
    # registration is possible (and the step says it waits for it)
    registrations = [s.date for s in steps if s.action == "register_death" and s.date is not None]
    for rule in deferred:
        if not registrations:
            continue
        projected = dict(bases, death_registered_on=min(registrations))
        step = _step(rules, rule, facts, projected, start, event)
        if step is not None:
            steps.append(replace(step, waits_for=rules.wait_text(rule["waits_for"])))

    steps.extend(_reply_steps(rules, facts))
    steps.sort(key=_order)
    return Plan(facts=facts, counting_from=start, steps=tuple(steps))


def _order(step: Step) -> tuple[int, int, int, dt.date]:
    return (
        ACTION_ORDER.index(step.action) if step.action in ACTION_ORDER else len(ACTION_ORDER),
        step.priority,
        1 if step.date is None else 0,
        step.date or dt.date.max,
    )


def _step(
    rules: LegalRules,
    rule: Mapping[str, Any],
    facts: PlanFacts,
    bases: Mapping[str, dt.date | None],
    start: dt.date | None,
    event: dt.date | None,
) -> Step | None:
    source = rule["basis_from"]
    years, months, days = int(rule.get("years", 0)), int(rule.get("months", 0)), int(rule.get("days", 0))
    counting = rule.get("counting", "after_period")
    date: dt.date | None
    if source == "last_news":
        if start is None:
            return None
        if counting == "after_period":
            date = after_period(event=event, first_day=start, years=years, months=months, days=days)
        else:
            date = start
    else:
        basis = bases.get(source)
        if basis is None:
            if not rule.get("waits_for"):
                return None
            date = None
        elif counting == "after_period":
            date = after_period(event=basis, years=years, months=months, days=days)
        else:  # "on" (that very day) or "due" (the last day of a period of days)
            date = basis + dt.timedelta(days=days)

    held: dt.date | None = None
    in_force = rules.in_force(rule["laws"])
    if date is not None and in_force is not None and date < in_force:
        held, date = date, in_force
    until = rule.get("applies_until")
    if until is not None and date is not None and date > dt.date.fromisoformat(until):
        return None
    return Step(
        action=rule["action"],
        date=date,
        basis=rules.citation(rule["laws"]),
        basis_original=rules.citation(rule["laws"], original=True),
        rule=rule["id"],
        title=rule["title"],
        plain=rule["plain"],
        reached=date is not None and date <= facts.as_of,
        priority=int(rule.get("priority", 0)),
        waits_for=rules.wait_text(rule["waits_for"]) if date is None and rule.get("waits_for") else None,
        held_until_in_force=held,
        documents=tuple(rule.get("documents", ())),
    )


def default_reply_basis(addressee: str) -> str:
    """The reply rule of an inquiry that names none: 59-FZ for state bodies and officials, none otherwise."""
    return "none" if addressee in NON_STATE_ADDRESSEES else "59-FZ"


def _reply_steps(rules: LegalRules, facts: PlanFacts) -> list[Step]:
    steps = []
    for inquiry in facts.inquiries:
        basis = inquiry.basis or default_reply_basis(inquiry.addressee)
        due = reply_due(rules, basis, inquiry.sent, inquiry.received, extended=inquiry.extended)
        rule = rules.reply_rules[basis]
        overdue = due is not None and inquiry.answered is None and due < facts.as_of
        steps.append(
            Step(
                action="reply_due",
                date=due,
                basis=rules.citation([rule["law"]]) if rule.get("law") else str(rule["title"]),
                basis_original=rules.citation([rule["law"]], original=True) if rule.get("law") else "",
                rule=basis,
                title=str(rule["title"]),
                plain=NO_DEADLINE_PLAIN if due is None else OVERDUE_PLAIN if overdue else REPLY_PLAIN,
                reached=due is not None and due <= facts.as_of,
                overdue=overdue,
                addressee=inquiry.addressee,
                sent=inquiry.sent,
                answered=inquiry.answered,
                reference=inquiry.reference,
                extra={"answered_late": True}
                if due is not None and inquiry.answered is not None and inquiry.answered > due
                else {},
            )
        )
    return steps


REPLY_PLAIN = "The answer to this inquiry is due by this day."
OVERDUE_PLAIN = "The answer is overdue: a reminder or a complaint can be sent."
NO_DEADLINE_PLAIN = "The law sets this addressee no deadline to answer."


# --- reading facts (the CLI's FACTS.json) -----------------------------------------------------------


def _date(raw: Mapping[str, Any], key: str, where: str = "") -> dt.date | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PlanInputError(f"{where}{key}: expected a date YYYY-MM-DD or null, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PlanInputError(f"{where}{key}: '{value}' is not a date (use YYYY-MM-DD)") from None


def _flag(raw: Mapping[str, Any], key: str, where: str = "") -> bool:
    value = raw.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise PlanInputError(f"{where}{key}: expected true or false, got {value!r}")
    return value


def facts_from_json(raw: Any, today: dt.date | None = None, rules: LegalRules | None = None) -> PlanFacts:
    """Read the contract's FACTS (a parsed JSON object). Missing keys default: status none, flags false,
    lists empty, as_of today. A bad value raises :class:`PlanInputError` naming the key."""
    rules = rules or default_rules()
    if not isinstance(raw, Mapping):
        raise PlanInputError("FACTS: expected a JSON object")
    jurisdiction = raw.get("jurisdiction")
    if not isinstance(jurisdiction, str) or not jurisdiction:
        raise PlanInputError(f"jurisdiction: required, one of {', '.join(sorted(rules.jurisdictions))}")
    jurisdiction = JURISDICTION_ALIASES.get(jurisdiction, jurisdiction)
    if jurisdiction not in rules.jurisdictions:
        raise PlanInputError(
            f"jurisdiction: unknown '{jurisdiction}' (known: {', '.join(sorted(rules.jurisdictions))})"
        )
    last_news: PartialDate | None = None
    text = raw.get("last_news")
    if text is not None and text != "":
        if not isinstance(text, str):
            raise PlanInputError(f"last_news: expected YYYY-MM-DD, YYYY-MM or YYYY, got {text!r}")
        try:
            last_news = parse_partial_date(text)
        except PartialDateError as exc:
            raise PlanInputError(f"last_news: {exc}") from None
    status = raw.get("status") or "none"
    if not isinstance(status, str) or status not in rules.statuses:
        raise PlanInputError(f"status: unknown status {status!r} (known: {', '.join(rules.statuses)})")
    inquiries_raw = raw.get("inquiries")
    if inquiries_raw is None:
        inquiries_raw = []
    if not isinstance(inquiries_raw, list):
        raise PlanInputError("inquiries: expected a list")
    inquiries = []
    for i, item in enumerate(inquiries_raw):
        where = f"inquiries[{i}]."
        if not isinstance(item, Mapping):
            raise PlanInputError(f"inquiries[{i}]: expected an object")
        sent = _date(item, "sent", where)
        if sent is None:
            raise PlanInputError(f"{where}sent: required (the day the inquiry was sent)")
        basis = item.get("basis")
        if basis is not None and basis not in rules.reply_rules:
            known = ", ".join(sorted(rules.reply_rules))
            raise PlanInputError(f"{where}basis: unknown reply rule {basis!r} (known: {known})")
        addressee = item.get("addressee") or "other"
        if not isinstance(addressee, str):
            raise PlanInputError(f"{where}addressee: expected text, got {addressee!r}")
        inquiries.append(
            InquiryFacts(
                addressee=addressee,
                sent=sent,
                received=_date(item, "received", where),
                answered=_date(item, "answered", where),
                basis=basis,
                extended=_flag(item, "extended", where),
            )
        )
    decision = None
    decision_raw = raw.get("decision")
    if decision_raw is not None:
        if not isinstance(decision_raw, Mapping) or decision_raw.get("kind") not in DECISION_KINDS:
            raise PlanInputError(
                f'decision: expected {{"kind": {" | ".join(DECISION_KINDS)}, "on": "YYYY-MM-DD"}}'
            )
        on = _date(decision_raw, "on", "decision.")
        if on is None:
            raise PlanInputError("decision.on: required (the day of the decision in its final form)")
        decision = Decision(kind=str(decision_raw["kind"]), on=on)
    return PlanFacts(
        jurisdiction=jurisdiction,
        as_of=_date(raw, "as_of") or today or dt.date.today(),
        last_news=last_news,
        status=status,
        status_since=_date(raw, "status_since"),
        threatening_circumstances=_flag(raw, "threatening_circumstances"),
        hostilities_end=_date(raw, "hostilities_end"),
        inquiries=tuple(inquiries),
        identified_on=_date(raw, "identified_on"),
        command_notice=_date(raw, "command_notice"),
        decision=decision,
    )


def plan_from_json_text(text: str, today: dt.date | None = None) -> Plan:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanInputError(f"FACTS: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    try:
        return build_plan(facts_from_json(raw, today))
    except LegalStatusError as exc:
        raise PlanInputError(str(exc)) from None


def step_summary(steps: Sequence[Step]) -> list[str]:
    """One line per step, for ``--format text``."""
    lines = []
    for s in steps:
        when = s.date.isoformat() if s.date else s.waits_for or "no date"
        mark = (
            " [overdue]"
            if s.overdue
            else (" [possible now]" if s.reached and s.action != "reply_due" else "")
        )
        lines.append(f"{when}  {s.action}{mark}: {s.title}\n            {s.basis}")
    return lines
