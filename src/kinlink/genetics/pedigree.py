"""Pedigrees: persons with a sex and optional parents, validated on construction.

A person either has both parents in the pedigree or none (a founder). A pedigree given with one known
parent gets the other parent added as an untyped founder (id ``added_<child>_father`` or ``..._mother``),
as pedigree tools do. Loops (inbreeding, double first cousins) are allowed: the likelihood engine
eliminates variables in any graph, only the cost grows.

One definition of each rule: :func:`member_problems` holds the structural checks (ids, parents, sexes,
cycles) that :class:`Pedigree`, both pedigree file readers of :mod:`kinlink.genetics.formats` and the
registry's pedigree import apply, and :func:`ancestral_order` is the one (iterative) cycle finder.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

SEX_CODES = {
    "male": "male",
    "m": "male",
    "1": "male",
    "female": "female",
    "f": "female",
    "2": "female",
    "unknown": "unknown",
    "u": "unknown",
    "0": "unknown",
    "": "unknown",
}


class PedigreeError(ValueError):
    """An invalid pedigree; the message names the person concerned.

    ``problems`` lists every problem found (the message gives the first), each with the row it came from
    when the members were read from a file."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems) or [Problem(None, "", message)]


class Problem(NamedTuple):
    """One problem of an input: the 1-based row (or line) it is on, None when on no one row; the column
    (field) concerned, "" when none; and the reason, for a person to read."""

    row: int | None
    column: str
    reason: str


#: The values of a "missing" (person sought) flag column: 1/yes/true or 0/no/false/empty.
MISSING_FLAGS = {"1": True, "yes": True, "true": True, "0": False, "no": False, "false": False, "": False}
#: Parent values that mean "no parent in the pedigree" (a founder).
NO_PARENT = ("", "0", "NA")


def normalise_sex(value: object, person: str = "?") -> str:
    """Map "male"/"M"/1, "female"/"F"/2 and "unknown"/0/empty to "male", "female" or "unknown"."""
    key = "" if value is None else str(value).strip().lower()
    try:
        return SEX_CODES[key]
    except KeyError:
        raise PedigreeError(f"person {person}: unknown sex {value!r}") from None


@dataclass(frozen=True)
class Person:
    """One pedigree member: an id (a sample code or a role such as "MP"), sex, and parent ids."""

    id: str
    sex: str = "unknown"
    father: str | None = None
    mother: str | None = None

    @property
    def is_founder(self) -> bool:
        return self.father is None and self.mother is None


@dataclass(frozen=True, slots=True)
class PedigreeMember:
    """One member of a pedigree as a file gives it: the plain record both pedigree formats read into.

    ``sex`` is normalised ("male", "female", "unknown"); ``father``/``mother`` are member ids or None (a
    founder); ``sample`` the id of the sample a typed member gave ("" when untyped); ``missing`` marks a
    person sought; ``family`` groups the members of one pedigree in a file that holds several; ``row`` is
    the 1-based row (CSV) or line (.fam) the member came from, None when not from a file."""

    id: str
    sex: str = "unknown"
    father: str | None = None
    mother: str | None = None
    sample: str = ""
    missing: bool = False
    family: str = ""
    row: int | None = None


Node = TypeVar("Node", bound=Hashable)


def ancestral_order(parents: Mapping[Node, Sequence[Node]]) -> tuple[list[Node], tuple[Node, Node] | None]:
    """The one cycle finder: nodes ordered ancestors first, and the (child, parent) link that closes a
    cycle, or None when there is none (the order is then partial).

    ``parents`` maps each node to its parents (in the order father, mother); a parent that is not a key is
    a founder. The walk is iterative (a depth-first search on an explicit stack), so a pedigree thousands
    of generations deep is checked without recursion; nodes are visited in the mapping's order, parents
    father first, so the order is deterministic.
    """
    order: list[Node] = []
    state: dict[Node, int] = {}  # 1 = on the current path (an ancestor chain being walked), 2 = done
    for start in parents:
        if state.get(start) == 2:
            continue
        stack: list[tuple[Node, bool]] = [(start, False)]
        while stack:
            node, finished = stack.pop()
            if finished:
                state[node] = 2
                order.append(node)
                continue
            if state.get(node) is not None:
                continue  # reached twice before being expanded: done by the other path
            state[node] = 1
            stack.append((node, True))
            for parent in reversed(parents.get(node, ())):
                seen = state.get(parent)
                if seen == 1:
                    return order, (node, parent)
                if seen is None:
                    stack.append((parent, False))
    return order, None


def find_cycle(parents: Mapping[Node, Sequence[Node]]) -> tuple[Node, Node] | None:
    """The (child, parent) link that makes someone their own ancestor, or None (:func:`ancestral_order`)."""
    return ancestral_order(parents)[1]


def member_problems(members: Sequence[PedigreeMember], family: str = "") -> list[Problem]:
    """Every structural problem of one pedigree's members, each on the row and column at fault.

    The one rule for both pedigree formats and for :class:`Pedigree`: ids are unique and not empty, a
    parent is a member and not the person themself, father and mother differ, a father is not female and a
    mother not male (a parent of unknown sex takes the sex of the role), and nobody is their own ancestor.
    ``family`` names the pedigree in the reasons (a file may hold several).
    """
    within = f" in {family}" if family else ""
    not_member = f"not a member of {family}" if family else "not in the pedigree"
    problems: list[Problem] = []
    by_id: dict[str, PedigreeMember] = {}
    for m in members:
        if not m.id:
            problems.append(Problem(m.row, "id", "a person has an empty id"))
        elif m.id in by_id:
            problems.append(Problem(m.row, "id", f"person {m.id}: duplicate id{within}"))
        else:
            by_id[m.id] = m
    parents: dict[str, list[str]] = {}
    for m in by_id.values():
        parents[m.id] = []
        for role, parent, required in (("father", m.father, "male"), ("mother", m.mother, "female")):
            if parent is None:
                continue
            if parent == m.id:
                problems.append(Problem(m.row, role, f"person {m.id}: is their own {role}"))
            elif parent not in by_id:
                problems.append(Problem(m.row, role, f"person {m.id}: {role} {parent!r} is {not_member}"))
            elif by_id[parent].sex not in (required, "unknown"):
                problems.append(
                    Problem(
                        m.row,
                        role,
                        f"person {m.id}: {role} {parent!r} is {by_id[parent].sex}, not {required}",
                    )
                )
            else:
                parents[m.id].append(parent)
        if m.father is not None and m.father == m.mother:
            problems.append(
                Problem(m.row, "mother", f"person {m.id}: father and mother are the same person {m.father}")
            )
    cycle = find_cycle(parents)
    if cycle is not None:
        child, parent = cycle
        member = by_id[child]
        role = "father" if member.father == parent else "mother"
        problems.append(Problem(member.row, role, f"person {parent}: is their own ancestor (a cycle)"))
    return problems


class Pedigree:
    """A validated pedigree; persons are kept in an order where parents come before their children."""

    def __init__(self, persons: Iterable[Person], complete_parents: bool = True) -> None:
        given = [
            PedigreeMember(p.id, normalise_sex(p.sex, p.id or "?"), p.father or None, p.mother or None)
            for p in persons
        ]
        problems = member_problems(given)
        if problems:
            raise PedigreeError(problems[0].reason, problems)
        by_id = {m.id: Person(m.id, m.sex, m.father, m.mother) for m in given}
        if complete_parents:
            for p in list(by_id.values()):
                if (p.father is None) != (p.mother is None):
                    role = "father" if p.father is None else "mother"
                    new_id = f"added_{p.id}_{role}"
                    while new_id in by_id:
                        new_id += "_"
                    by_id[new_id] = Person(new_id, "male" if role == "father" else "female")
                    by_id[p.id] = Person(
                        p.id,
                        p.sex,
                        new_id if role == "father" else p.father,
                        new_id if role == "mother" else p.mother,
                    )
        # Parents of unknown sex take the sex their role implies.
        for p in list(by_id.values()):
            for role, parent in (("male", p.father), ("female", p.mother)):
                if parent is not None and by_id[parent].sex == "unknown":
                    q = by_id[parent]
                    by_id[parent] = Person(q.id, role, q.father, q.mother)
        self._persons = self._topological(by_id)
        self._index = {p.id: i for i, p in enumerate(self._persons)}
        self._children: dict[str, list[str]] = {p.id: [] for p in self._persons}
        for p in self._persons:
            for parent in (p.father, p.mother):
                if parent is not None:
                    self._children[parent].append(p.id)

    @staticmethod
    def _topological(by_id: dict[str, Person]) -> list[Person]:
        parents = {pid: [q for q in (p.father, p.mother) if q is not None] for pid, p in by_id.items()}
        order, cycle = ancestral_order(parents)
        if cycle is not None:
            raise PedigreeError(f"person {cycle[1]}: is their own ancestor (a cycle)")
        return [by_id[pid] for pid in order]

    def __iter__(self) -> Iterator[Person]:
        return iter(self._persons)

    def __len__(self) -> int:
        return len(self._persons)

    def __contains__(self, pid: object) -> bool:
        return pid in self._index

    def __getitem__(self, pid: str) -> Person:
        try:
            return self._persons[self._index[pid]]
        except KeyError:
            raise PedigreeError(f"person {pid!r} is not in the pedigree") from None

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self._persons]

    @property
    def persons(self) -> list[Person]:
        return list(self._persons)

    def founders(self) -> list[str]:
        return [p.id for p in self._persons if p.is_founder]

    def children(self, pid: str) -> list[str]:
        return list(self._children[pid])

    def with_persons(self, extra: Sequence[Person]) -> Pedigree:
        """A new pedigree with ``extra`` persons added (for example an unrelated POI as a singleton)."""
        return Pedigree([*self._persons, *extra])

    def relabelled(self, order: Sequence[str]) -> Pedigree:
        """The same pedigree with persons listed in ``order`` (used to test order independence)."""
        return Pedigree([self[i] for i in order])

    def maternal_line(self, pid: str) -> list[str]:
        """``pid`` and their mother, her mother, ... up to a founder."""
        line = [pid]
        while (m := self[line[-1]].mother) is not None:
            line.append(m)
        return line

    def paternal_line(self, pid: str) -> list[str]:
        """``pid`` and their father, his father, ... up to a founder."""
        line = [pid]
        while (f := self[line[-1]].father) is not None:
            line.append(f)
        return line

    def share_maternal_line(self, a: str, b: str) -> bool:
        """True when ``a`` and ``b`` descend from the same woman through mothers only (mtDNA lineage)."""
        return self.maternal_line(a)[-1] == self.maternal_line(b)[-1]

    def share_paternal_line(self, a: str, b: str) -> bool:
        """True when ``a`` and ``b`` are males of the same male line (Y-chromosome lineage)."""
        if self[a].sex == "female" or self[b].sex == "female":
            return False
        return self.paternal_line(a)[-1] == self.paternal_line(b)[-1]

    def to_json(self) -> list[dict[str, str | None]]:
        return [{"id": p.id, "sex": p.sex, "father": p.father, "mother": p.mother} for p in self._persons]

    @classmethod
    def from_records(cls, records: Iterable[dict[str, object]]) -> Pedigree:
        """Build from ``{"id", "sex", "father", "mother"}`` dicts (the case JSON's ``pedigree`` list)."""
        persons = []
        for i, rec in enumerate(records):
            if "id" not in rec or rec["id"] in (None, ""):
                raise PedigreeError(f"pedigree entry {i}: missing id")
            pid = str(rec["id"])

            def parent(key: str, rec: dict[str, object] = rec) -> str | None:
                value = rec.get(key)
                return None if value in (None, "", "0", 0) else str(value)

            persons.append(
                Person(pid, normalise_sex(rec.get("sex"), pid), parent("father"), parent("mother"))
            )
        return cls(persons)
