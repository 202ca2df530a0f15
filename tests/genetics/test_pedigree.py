"""Pedigree validation: each error names the person."""

from __future__ import annotations

import pytest

from kinlink.genetics.pedigree import Pedigree, PedigreeError, Person


def test_unknown_parent() -> None:
    with pytest.raises(PedigreeError, match="person C: father 'X' is not in the pedigree"):
        Pedigree([Person("M", "female"), Person("C", "male", "X", "M")])


def test_sex_contradicts_parenthood() -> None:
    with pytest.raises(PedigreeError, match="person M: is female but is the father of C"):
        Pedigree([Person("M", "female"), Person("W", "female"), Person("C", "male", "M", "W")])


def test_cycle() -> None:
    with pytest.raises(PedigreeError, match="own ancestor"):
        Pedigree(
            [
                Person("A", "male", "B", "W"),
                Person("B", "male", "A", "W"),
                Person("W", "female"),
            ]
        )


def test_duplicate_id() -> None:
    with pytest.raises(PedigreeError, match="person A: duplicate id"):
        Pedigree([Person("A", "male"), Person("A", "female")])


def test_unknown_sex_value() -> None:
    with pytest.raises(PedigreeError, match="person A: unknown sex"):
        Pedigree.from_records([{"id": "A", "sex": "x"}])


def test_single_parent_gets_an_added_founder_and_parents_come_first() -> None:
    ped = Pedigree([Person("C", "male", None, "M"), Person("M", "female")])
    assert ped["C"].father == "added_C_father"
    assert ped["added_C_father"].sex == "male"
    assert ped.ids.index("M") < ped.ids.index("C")


def test_lineages() -> None:
    ped = Pedigree(
        [
            Person("GF", "male"),
            Person("GM", "female"),
            Person("F", "male", "GF", "GM"),
            Person("U", "male", "GF", "GM"),
            Person("M", "female"),
            Person("MP", "male", "F", "M"),
            Person("S", "female", "F", "M"),
        ]
    )
    assert ped.share_paternal_line("U", "MP")
    assert not ped.share_paternal_line("S", "MP")  # a sister has no Y
    assert ped.share_maternal_line("S", "MP")
    assert not ped.share_maternal_line("GM", "MP")
    assert ped.paternal_line("MP") == ["MP", "F", "GF"]
