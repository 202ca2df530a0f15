"""The rules file: laws with citations and dates in force, transitions, reply rules, calendar arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest

from kinlink.registry.legal import LegalStatusError, add_period, default_rules, reply_due


def test_every_rule_cites_known_laws_each_with_a_date_in_force() -> None:
    rules = default_rules()
    seen = set()
    for code, jurisdiction in rules.jurisdictions.items():
        for rule in jurisdiction["rules"]:
            assert rule["id"] not in seen, rule["id"]
            seen.add(rule["id"])
            assert rule["laws"], rule["id"]
            assert all(key in rules.laws for key in rule["laws"]), rule["id"]
            assert rule["title"] and rule["plain"], rule["id"]
            assert all(doc in rules.documents for doc in rule.get("documents", ())), rule["id"]
            if rule.get("waits_for"):
                assert rule["waits_for"] in rules.waits, rule["id"]
        assert rules.jurisdiction_name(code)
    for key, law in rules.laws.items():
        assert law["cite"] and law["cite_orig"], key
        if law["in_force"]:
            dt.date.fromisoformat(law["in_force"])


def test_120_fz_took_effect_on_15_may_2023() -> None:
    rules = default_rules()
    assert rules.in_force(["ru-gk-42", "ru-120fz-23"]) == dt.date(2023, 5, 15)
    assert rules.in_force(["ru-gk-42"]) == dt.date(1995, 1, 1)
    assert "120-FZ of 14 April 2023" in rules.citation(["ru-120fz-23"])
    assert "от 14.04.2023 № 120-ФЗ" in rules.citation(["ru-120fz-23"], original=True)


def test_transitions_are_checked() -> None:
    rules = default_rules()
    rules.check_transition("none", "recognised_missing")
    with pytest.raises(LegalStatusError, match="cannot go from 'payments_claimed'"):
        rules.check_transition("payments_claimed", "none")
    with pytest.raises(LegalStatusError, match="unknown jurisdiction"):
        rules.jurisdiction("XX")


def test_month_arithmetic_clamps_to_month_end() -> None:
    assert add_period(dt.date(2022, 8, 31), months=6) == dt.date(2023, 2, 28)
    assert add_period(dt.date(2024, 2, 29), years=1) == dt.date(2025, 2, 28)


def test_reply_due_counts_registration_then_thirty_days() -> None:
    rules = default_rules()
    assert reply_due(rules, "59-FZ", dt.date(2024, 1, 10), dt.date(2024, 1, 15)) == dt.date(2024, 2, 17)
    assert reply_due(rules, "59-FZ", dt.date(2024, 1, 10)) == dt.date(2024, 2, 12)
    assert reply_due(rules, "59-FZ", dt.date(2024, 1, 10), dt.date(2024, 1, 15), extended=True) == dt.date(
        2024, 3, 18
    )
    assert reply_due(rules, "decree-1421", dt.date(2024, 1, 10)) == dt.date(2024, 2, 9)
    assert reply_due(rules, "none", dt.date(2024, 1, 10)) is None
    with pytest.raises(LegalStatusError, match="unknown reply rule"):
        reply_due(rules, "nope", dt.date(2024, 1, 10))
