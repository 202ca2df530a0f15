"""Pedigree validation: each error names the person."""

from __future__ import annotations

import pytest

from kinlink.genetics.pedigree import (
    Pedigree,
    PedigreeError,
    PedigreeMember,
    Person,
    ancestral_order,
    find_cycle,
    member_problems,
)


def test_unknown_parent() -> None:
    with pytest.raises(PedigreeError, match="person C: father 'X' is not in the pedigree"):
        Pedigree([Person("M", "female"), Person("C", "male", "X", "M")])


def test_sex_contradicts_parenthood() -> None:
    # the one rule of member_problems: reported on the child, in the role's column
    with pytest.raises(PedigreeError, match="person C: father 'M' is female, not male"):
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


def test_all_problems_are_collected_each_on_its_row_and_column() -> None:
    members = [
        PedigreeMember("FA", "female", row=2),
        PedigreeMember("MO", "male", row=3),
        PedigreeMember("MP", "male", "FA", "MO", row=4),
        PedigreeMember("MP", "male", row=5),
        PedigreeMember("X", "male", "NOBODY", None, row=6),
    ]
    problems = member_problems(members, "TR-1")
    assert [(p.row, p.column) for p in problems] == [(5, "id"), (4, "father"), (4, "mother"), (6, "father")]
    assert "'NOBODY' is not a member of TR-1" in problems[3].reason
    with pytest.raises(PedigreeError) as raised:
        Pedigree([Person(m.id, m.sex, m.father, m.mother) for m in members])
    assert len(raised.value.problems) == 4 and str(raised.value) == "person MP: duplicate id"


def test_cycle_finder_names_the_link_that_closes_the_cycle() -> None:
    assert find_cycle({"A": ["B"], "B": ["C"], "C": []}) is None
    assert find_cycle({"A": ["B"], "B": ["C"], "C": ["A"]}) == ("C", "A")
    order, cycle = ancestral_order({"C": ["F", "M"], "F": [], "M": []})
    assert cycle is None and order == ["F", "M", "C"]


def test_a_5000_generation_chain_is_validated_without_recursion() -> None:
    depth = 5000
    persons = [Person("G0", "male"), Person("W0", "female")]
    for g in range(1, depth):
        persons += [Person(f"G{g}", "male", f"G{g - 1}", f"W{g - 1}"), Person(f"W{g}", "female")]
    pedigree = Pedigree(reversed(persons))  # children listed before their parents
    assert pedigree.ids.index("G0") < pedigree.ids.index(f"G{depth - 1}")
    assert len(pedigree.paternal_line(f"G{depth - 1}")) == depth
    # a cycle at the far end of the chain is found, also without recursion
    members = [PedigreeMember(p.id, p.sex, p.father, p.mother, row=i + 2) for i, p in enumerate(persons)]
    members[0] = PedigreeMember("G0", "male", f"G{depth - 1}", "W0", row=2)
    (problem,) = member_problems(members)
    assert problem.column == "father" and "own ancestor" in problem.reason
