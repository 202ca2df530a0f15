"""Fate reconciliation (pure): the seed case and the rules of the module docstring."""

from __future__ import annotations

from kinlink.partialdate import parse_partial_date
from kinlink.registry.fate import ClaimFact, reconcile


def fact(
    cid: str,
    kind: str,
    name: str,
    fate: str,
    date: str = "",
    stated: str = "",
    reliability: str = "B",
    circumstances: str = "",
    retracted: bool = False,
) -> ClaimFact:
    return ClaimFact(
        claim_id=cid,
        source_id="s" + cid,
        source_kind=kind,
        source_name=name,
        reliability=reliability,
        fate=fate,
        fate_date=parse_partial_date(date) if date else None,
        stated_on=parse_partial_date(stated) if stated else None,
        circumstances=circumstances,
        retracted=retracted,
    )


SEED = [
    fact("1", "unit_notice", "Unit notice", "dead", "2022-03-30", "2022-03-30"),
    fact("2", "ministry_letter", "Ministry letter", "missing", "", "2022-05-10"),
    fact(
        "3",
        "testimony",
        "Comrade",
        "buried",
        "2022-03",
        "2022-06",
        "C",
        "They were withdrawing, there was a battle, locals buried the bodies.",
    ),
]


def test_seed_case_is_a_conflict_citing_all_three_sources_with_a_burial_lead() -> None:
    result = reconcile(SEED)
    assert result.fate == "dead"
    assert result.confidence == "disputed"
    assert {c.source_name for c in result.cited} == {"Unit notice", "Ministry letter", "Comrade"}
    cited_in_conflicts = {n for c in result.conflicts for n in (c.first.source_name, c.second.source_name)}
    assert cited_in_conflicts == {"Unit notice", "Ministry letter", "Comrade"}
    assert len(result.leads) == 1 and "locals buried" in result.leads[0].circumstances
    text = " ".join(m.render() for m in result.explanation)
    assert "Unit notice: dead 2022-03-30" in text and "Ministry letter: missing" in text
    assert "Burial-site lead from Comrade" in text


def test_later_official_notice_does_not_erase_earlier_one() -> None:
    result = reconcile(SEED[:2])
    assert result.is_disputed
    assert [c.source_name for c in result.cited] == ["Unit notice", "Ministry letter"]


def test_dna_identification_outranks_testimony_and_notices() -> None:
    dna = fact("9", "dna_report", "DNA report", "identified", "2023-01-10", "2023-06-01", "A")
    alive = fact("8", "testimony", "Neighbour", "alive", "2022-08", "2022-09", "D")
    result = reconcile([*SEED, alive, dna])
    assert result.fate == "identified"
    assert result.confidence == "confirmed"
    assert len(result.cited) == 5, "superseded statements stay on record"
    assert any("Superseded" in m.render() and "Neighbour" in m.render() for m in result.explanation)


def test_single_dead_source_is_only_probable() -> None:
    result = reconcile([fact("1", "obituary", "Obituary", "dead", "2022-04-01", "2022-04-10", "C")])
    assert (result.fate, result.confidence) == ("dead", "probable")


def test_two_independent_sources_with_an_official_one_confirm_death() -> None:
    result = reconcile(
        [
            fact("1", "unit_notice", "Unit", "dead", "2022-04-01", "2022-04-10"),
            fact("2", "burial_record", "Cemetery", "buried", "2022-04", "2022-05", "A"),
        ]
    )
    assert (result.fate, result.confidence) == ("dead", "confirmed")


def test_retracted_claim_carries_no_weight_but_stays_listed() -> None:
    result = reconcile(
        [
            fact("1", "unit_notice", "Unit", "dead", "2022-04-01", retracted=True),
            fact("2", "prisoner_list", "Exchange list", "detained", "2022-06", "2022-06"),
        ]
    )
    assert result.fate == "detained"
    assert not result.conflicts
    assert any("Retracted" in m.render() for m in result.explanation)


def test_wounded_before_death_is_consistent() -> None:
    result = reconcile(
        [
            fact("1", "testimony", "Medic", "wounded", "2022-03-01", "2022-03-05", "C"),
            fact("2", "unit_notice", "Unit", "dead", "2022-03-20", "2022-04-01"),
        ]
    )
    assert not result.conflicts


def test_detained_after_reported_death_is_a_conflict() -> None:
    result = reconcile(
        [
            fact("1", "unit_notice", "Unit", "dead", "2022-03-20", "2022-04-01"),
            fact("2", "prisoner_list", "Prisoner list", "detained", "2022-07", "2022-07"),
        ]
    )
    assert result.is_disputed
    assert result.fate == "detained" or result.fate == "dead"


def test_family_report_of_missing_is_not_a_conflict() -> None:
    result = reconcile(
        [
            fact("1", "family_report", "Mother", "missing", "2022-03", "2022-04", "F"),
            fact("2", "unit_notice", "Unit", "dead", "2022-03-20", "2022-04-01"),
        ]
    )
    assert not result.conflicts


def test_no_claims_gives_unknown() -> None:
    assert reconcile([]).fate == "unknown"
