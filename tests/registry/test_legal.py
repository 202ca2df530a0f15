from __future__ import annotations

import datetime as dt

import pytest

from kinlink.registry.legal import LegalStatusError, add_period, default_rules


def test_participant_can_be_recognised_missing_six_months_after_last_news() -> None:
    rules = default_rules()
    deadlines = rules.deadlines("RU-participant", "none", dt.date(2022, 3, 30), today=dt.date(2022, 9, 1))
    missing = next(d for d in deadlines if d.action == "recognise_missing")
    assert missing.earliest == dt.date(2022, 9, 30)
    assert not missing.reached


def test_participant_can_be_declared_dead_three_months_after_recognition() -> None:
    rules = default_rules()
    deadlines = rules.deadlines(
        "RU-participant",
        "recognised_missing",
        dt.date(2022, 3, 30),
        status_since=dt.date(2022, 11, 15),
        today=dt.date(2023, 3, 1),
    )
    dead = next(d for d in deadlines if d.action == "declare_dead")
    assert dead.earliest == dt.date(2023, 2, 15)
    assert dead.reached
    assert all(d.action != "recognise_missing" for d in deadlines)


def test_general_rules_one_year_and_five_years_or_two_after_hostilities() -> None:
    rules = default_rules()
    deadlines = rules.deadlines(
        "RU-general", "none", dt.date(2022, 3, 30), hostilities_end=dt.date(2026, 1, 1)
    )
    earliest = {(d.action, d.basis): d.earliest for d in deadlines}
    assert earliest[("recognise_missing", "last_news")] == dt.date(2023, 3, 30)
    assert earliest[("declare_dead", "last_news")] == dt.date(2027, 3, 30)
    assert earliest[("declare_dead", "hostilities_end")] == dt.date(2028, 1, 1)


def test_transitions_are_checked() -> None:
    rules = default_rules()
    rules.check_transition("none", "recognised_missing")
    with pytest.raises(LegalStatusError, match="cannot go from 'payments_claimed'"):
        rules.check_transition("payments_claimed", "none")
    with pytest.raises(LegalStatusError, match="unknown jurisdiction"):
        rules.deadlines("XX", "none", dt.date(2022, 1, 1))


def test_month_arithmetic_clamps_to_month_end() -> None:
    assert add_period(dt.date(2022, 8, 31), months=6) == dt.date(2023, 2, 28)


def test_an_identification_moves_the_plan_to_death_registration() -> None:
    import datetime as dt

    from kinlink.registry.legal import default_rules

    rules = default_rules()
    today = dt.date(2024, 6, 1)
    before = rules.deadlines("RU-participant", "none", dt.date(2022, 3, 30), today=today)
    assert {d.action for d in before} == {"recognise_missing"}
    after = rules.deadlines(
        "RU-participant", "none", dt.date(2022, 3, 30), today=today, identified_on=dt.date(2024, 5, 2)
    )
    [step] = after
    assert step.action == "register_death" and step.reached and step.earliest == dt.date(2024, 5, 2)
    assert "143-FZ" in step.title
    for jurisdiction in ("RU-general", "UA"):
        found = rules.deadlines(jurisdiction, "recognised_missing", None, identified_on=dt.date(2024, 5, 2))
        assert [d.action for d in found] == ["register_death"]
    registered = rules.deadlines("UA", "death_registered", None, identified_on=dt.date(2024, 5, 2))
    assert registered == []
