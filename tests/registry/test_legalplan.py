"""The legal plan engine: every path with dates computed by hand (docs/methods/legal.md states the counting).

A period runs from the day after its event (Civil Code art. 191), ends on the same-numbered day of its last
month (art. 192) and the step is possible the next day; with a partial last news date the period starts on
the first of the next month (or 1 January of the next year) (art. 42). A rule never yields a day before the
law it rests on took effect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kinlink.partialdate import parse_partial_date
from kinlink.registry.legalplan import (
    PlanInputError,
    Step,
    after_period,
    build_plan,
    decision_in_force,
    facts_from_json,
    period_start,
)

D = dt.date


def plan(**facts: Any) -> list[Step]:
    facts.setdefault("as_of", "2025-01-01")
    return list(build_plan(facts_from_json(facts)).steps)


def first(steps: list[Step], action: str) -> Step:
    return next(s for s in steps if s.action == action)


def by_rule(steps: list[Step]) -> dict[str, Step]:
    return {s.rule: s for s in steps}


# --- counting ------------------------------------------------------------------------------------------


def test_period_start_follows_article_42_for_partial_dates() -> None:
    assert period_start(parse_partial_date("2022-03-28")) == D(2022, 3, 29)
    assert period_start(parse_partial_date("2022-03")) == D(2022, 4, 1)
    assert period_start(parse_partial_date("2022-12")) == D(2023, 1, 1)
    assert period_start(parse_partial_date("2022")) == D(2023, 1, 1)


def test_a_period_ends_on_the_same_numbered_day_and_the_step_is_possible_the_next() -> None:
    assert after_period(event=D(2023, 10, 10), months=6) == D(2024, 4, 11)
    # no 30 February: the period ends on the month's last day (art. 192), the step the day after
    assert after_period(event=D(2023, 8, 30), months=6) == D(2024, 3, 1)
    assert after_period(first_day=D(2022, 4, 1), months=6) == D(2022, 10, 1)
    # the appeal period: a decision of 5 March takes effect on 6 April
    assert decision_in_force(D(2024, 3, 5)) == D(2024, 4, 6)


# --- participants (120-FZ) -----------------------------------------------------------------------------


def test_participant_recognised_missing_six_months_after_last_news() -> None:
    steps = plan(jurisdiction="RU-participant", last_news="2023-10-10")
    missing = first(steps, "recognise_missing")
    assert missing.date == D(2024, 4, 11) and missing.rule == "ru-participant-recognise"
    assert "120-FZ" in missing.basis and missing.held_until_in_force is None
    # the 1-year general rule only matters before 120-FZ took effect: not here
    assert [s.rule for s in steps if s.action == "recognise_missing"] == ["ru-participant-recognise"]
    assert first(steps, "certificate_of_disappearance").date == D(2023, 10, 11)


def test_the_six_month_rule_never_yields_a_day_before_15_may_2023() -> None:
    steps = plan(jurisdiction="RU-participant", last_news="2022-03", as_of="2023-06-01")
    missing = first(steps, "recognise_missing")
    # month only: counted from 1 April 2022; 6 months give 1 October 2022, but 120-FZ took effect 15 May 2023
    assert missing.date == D(2023, 5, 15) and missing.held_until_in_force == D(2022, 10, 1)
    assert missing.reached
    # the general rule (1 year, always in force) allowed it from 1 April 2023
    general = by_rule(steps)["ru-participant-recognise-general"]
    assert general.date == D(2023, 4, 1) and "art. 42" in general.basis
    json_step = missing.to_json()
    assert json_step["date"] == "2023-05-15" and json_step["held_until_in_force"] is True
    assert json_step["period_date"] == "2022-10-01"


def test_year_only_last_news_counts_from_1_january_of_the_next_year() -> None:
    steps = plan(jurisdiction="RU-participant", last_news="2023")
    assert first(steps, "recognise_missing").date == D(2024, 7, 1)


def test_participant_declared_dead_three_months_after_the_recognition_took_effect() -> None:
    steps = plan(
        jurisdiction="RU-participant",
        last_news="2023-06-01",
        status="recognised_missing",
        status_since="2024-02-20",
    )
    dead = first(steps, "declare_dead")
    assert dead.date == D(2024, 5, 21) and dead.rule == "ru-participant-declare"
    assert not [s for s in steps if s.action == "recognise_missing"]


def test_declaration_is_held_until_120_fz_took_effect() -> None:
    steps = plan(
        jurisdiction="RU-participant",
        last_news="2022-01-05",
        status="recognised_missing",
        status_since="2023-01-10",
    )
    dead = first(steps, "declare_dead")
    assert dead.date == D(2023, 5, 15) and dead.held_until_in_force == D(2023, 4, 11)


def test_declaration_at_the_end_of_february() -> None:
    steps = plan(jurisdiction="RU-participant", status="recognised_missing", status_since="2023-11-30")
    assert first(steps, "declare_dead").date == D(2024, 3, 1)  # 3 months end 29 February 2024


def test_before_recognition_the_declaration_waits_for_it() -> None:
    steps = plan(jurisdiction="RU-participant", last_news="2023-10-10")
    dead = first(steps, "declare_dead")
    assert dead.date is None and dead.waits_for == "after the recognition as missing takes effect"
    assert dead.to_json()["date"] is None


def test_participant_missing_in_threatening_circumstances() -> None:
    steps = plan(jurisdiction="RU-participant", last_news="2023-08-20", threatening_circumstances=True)
    dead = first(steps, "declare_dead")
    assert dead.rule == "ru-participant-declare-threatening" and dead.date == D(2024, 2, 21)


def test_a_pending_decision_takes_effect_and_the_next_step_follows_it() -> None:
    steps = plan(
        jurisdiction="RU-participant",
        last_news="2023-06-01",
        decision={"kind": "recognise_missing", "on": "2024-03-05"},
    )
    assert first(steps, "decision_in_force").date == D(2024, 4, 6)
    assert first(steps, "declare_dead").date == D(2024, 7, 7)
    assert not [s for s in steps if s.action == "recognise_missing"]
    steps = plan(jurisdiction="RU-general", decision={"kind": "declare_dead", "on": "2024-01-31"})
    # appeal period 1 February - 29 February 2024: in force 1 March, registration possible that day
    assert first(steps, "decision_in_force").date == D(2024, 3, 1)
    assert first(steps, "register_death").date == D(2024, 3, 1)


# --- general rules (Civil Code arts. 42, 45) -----------------------------------------------------------


def test_general_rules_one_year_five_years() -> None:
    steps = plan(jurisdiction="RU-general", last_news="2022-03-28")
    assert first(steps, "recognise_missing").date == D(2023, 3, 29)
    rules = by_rule(steps)
    assert rules["ru-general-declare"].date == D(2027, 3, 29)
    assert "ru-general-declare-threatening" not in rules
    # a serviceman missing in connection with military action: waits for the end of hostilities
    military = rules["ru-general-declare-military"]
    assert military.date is None and military.waits_for == "after the end of hostilities"
    assert "art. 45 para. 2" in military.basis


def test_general_rules_threatening_circumstances_and_end_of_hostilities() -> None:
    steps = plan(
        jurisdiction="RU-general",
        last_news="2022-03-28",
        threatening_circumstances=True,
        hostilities_end="2024-06-01",
    )
    declarations = [s for s in steps if s.action == "declare_dead"]
    assert [(s.rule, s.date) for s in declarations] == [
        ("ru-general-declare-threatening", D(2022, 9, 29)),
        ("ru-general-declare-military", D(2026, 6, 2)),
        ("ru-general-declare", D(2027, 3, 29)),
    ]


def test_general_rules_with_a_month_only_last_news() -> None:
    steps = plan(jurisdiction="RU-general", last_news="2022-02")
    assert first(steps, "recognise_missing").date == D(2023, 3, 1)
    assert by_rule(steps)["ru-general-declare"].date == D(2027, 3, 1)


def test_ukraine_keeps_working() -> None:
    steps = plan(jurisdiction="UA", last_news="2022-03-28")
    assert first(steps, "recognise_missing").date == D(2023, 3, 29)
    assert by_rule(steps)["ua-declare"].date == D(2025, 3, 29)


# --- death established: identification, the command's notice, a declaration ---------------------------


def test_identification_replaces_the_court_steps_by_registration() -> None:
    steps = plan(jurisdiction="RU-participant", last_news="2022-03", identified_on="2024-05-02")
    actions = {s.action for s in steps}
    assert not actions & {"recognise_missing", "declare_dead", "certificate_of_disappearance"}
    assert first(steps, "register_death").date == D(2024, 5, 2)
    assert first(steps, "claim_insurance").date == D(2024, 5, 2)
    assert first(steps, "claim_insurance").waits_for == "after the death is registered"


def test_the_units_notice_of_death_opens_the_commands_certificate_path() -> None:
    steps = plan(jurisdiction="RU-participant", last_news="2023-02-10", command_notice="2023-07-01")
    certificate = first(steps, "death_certificate_from_command")
    # Government Decree 1421 of 1 September 2023: the command's certificate of death exists from then
    assert certificate.date == D(2023, 9, 1) and certificate.held_until_in_force == D(2023, 7, 1)
    register = first(steps, "register_death")
    assert register.rule == "ru-participant-register-after-command" and register.date == D(2023, 9, 1)
    # the court path stays open in case the command issues nothing
    assert first(steps, "recognise_missing").date == D(2023, 8, 11)


def test_after_a_declaration_the_death_is_registered_then_the_claims() -> None:
    steps = plan(jurisdiction="RU-participant", status="declared_dead", status_since="2024-07-20")
    register = first(steps, "register_death")
    assert register.date == D(2024, 7, 20) and "279" in register.basis and "143-FZ" in register.basis
    claims = [s for s in steps if s.action.startswith("claim_")]
    assert {s.rule for s in claims} == {
        "ru-participant-claim-insurance",
        "ru-participant-claim-one-off-306fz",
        "ru-participant-claim-one-off-decree-98",
    }
    assert all(s.date == D(2024, 7, 20) for s in claims)
    assert "death_certificate" in first(steps, "claim_insurance").documents


def test_after_registration_only_the_claims_remain() -> None:
    steps = plan(jurisdiction="RU-participant", status="death_registered", status_since="2024-08-01")
    assert {s.action for s in steps} == {"claim_insurance", "claim_one_off_payment"}
    assert all(s.date == D(2024, 8, 1) and s.waits_for is None for s in steps)
    assert plan(jurisdiction="RU-participant", status="payments_claimed", status_since="2024-09-01") == []


# --- inquiries -----------------------------------------------------------------------------------------


def test_reply_due_under_59_fz_and_overdue_as_of() -> None:
    inquiry = {"addressee": "military_unit", "sent": "2024-01-10", "received": "2024-01-15", "answered": None}
    due = first(plan(jurisdiction="RU-participant", inquiries=[inquiry], as_of="2024-02-17"), "reply_due")
    # registered within 3 days of receipt (art. 8 part 2), answered within 30 days of registration (art. 12)
    assert due.date == D(2024, 2, 17) and due.overdue is False
    late = first(plan(jurisdiction="RU-participant", inquiries=[inquiry], as_of="2024-02-18"), "reply_due")
    assert late.overdue is True and late.to_json()["overdue"] is True
    answered = first(
        plan(
            jurisdiction="RU-participant",
            inquiries=[dict(inquiry, answered="2024-03-01")],
            as_of="2024-04-01",
        ),
        "reply_due",
    )
    assert answered.overdue is False and answered.to_json()["answered_late"] is True


def test_reply_due_without_receipt_extension_and_other_rules() -> None:
    steps = plan(
        jurisdiction="RU-general",
        as_of="2024-02-13",
        inquiries=[
            {"addressee": "commissariat", "sent": "2024-01-10"},
            {"addressee": "ministry", "sent": "2024-01-10", "received": "2024-01-15", "extended": True},
            {"addressee": "military_unit", "sent": "2024-01-10", "basis": "decree-1421"},
            {"addressee": "red_cross", "sent": "2024-01-10"},
        ],
    )
    dues = [s for s in steps if s.action == "reply_due"]
    # soonest first, the one without a deadline last
    assert [(s.addressee, s.date, s.overdue) for s in dues] == [
        ("military_unit", D(2024, 2, 9), True),
        ("commissariat", D(2024, 2, 12), True),
        ("ministry", D(2024, 3, 18), False),
        ("red_cross", None, False),
    ]


# --- input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "key"),
    [
        ({}, "jurisdiction"),
        ({"jurisdiction": "XX"}, "jurisdiction"),
        ({"jurisdiction": "RU-general", "last_news": "2022-13"}, "last_news"),
        ({"jurisdiction": "RU-general", "status": "married"}, "status"),
        ({"jurisdiction": "RU-general", "status_since": "yesterday"}, "status_since"),
        ({"jurisdiction": "RU-general", "threatening_circumstances": "yes"}, "threatening_circumstances"),
        ({"jurisdiction": "RU-general", "inquiries": [{"addressee": "x"}]}, "inquiries[0].sent"),
        ({"jurisdiction": "RU-general", "inquiries": {}}, "inquiries"),
        ({"jurisdiction": "RU-general", "decision": {"kind": "divorce"}}, "decision"),
    ],
)
def test_bad_facts_name_the_key(facts: dict[str, Any], key: str) -> None:
    with pytest.raises(PlanInputError) as err:
        facts_from_json(facts)
    assert str(err.value).startswith(key)


def test_missing_keys_take_their_defaults() -> None:
    facts = facts_from_json({"jurisdiction": "RU-participant"}, today=D(2025, 5, 5))
    assert facts.status == "none" and facts.as_of == D(2025, 5, 5)
    assert facts.threatening_circumstances is False and facts.inquiries == () and facts.last_news is None
    assert build_plan(facts).steps[0].waits_for  # only the declaration waiting for a recognition
