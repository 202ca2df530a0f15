"""Pedigrees: persons with a sex and optional parents, validated on construction.

A person either has both parents in the pedigree or none (a founder). A pedigree given with one known
parent gets the other parent added as an untyped founder (id ``added_<child>_father`` or ``..._mother``),
as pedigree tools do. Loops (inbreeding, double first cousins) are allowed: the likelihood engine
eliminates variables in any graph, only the cost grows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

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
    """An invalid pedigree; the message names the person concerned."""


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


class Pedigree:
    """A validated pedigree; persons are kept in an order where parents come before their children."""

    def __init__(self, persons: Iterable[Person], complete_parents: bool = True) -> None:
        given = list(persons)
        by_id: dict[str, Person] = {}
        for p in given:
            if not p.id:
                raise PedigreeError("a person has an empty id")
            if p.id in by_id:
                raise PedigreeError(f"person {p.id}: duplicate id")
            sex = normalise_sex(p.sex, p.id)
            father = p.father or None
            mother = p.mother or None
            by_id[p.id] = Person(p.id, sex, father, mother)
        for p in list(by_id.values()):
            for role, parent in (("father", p.father), ("mother", p.mother)):
                if parent is not None and parent not in by_id:
                    raise PedigreeError(f"person {p.id}: {role} {parent!r} is not in the pedigree")
                if parent == p.id:
                    raise PedigreeError(f"person {p.id}: is their own {role}")
            if p.father is not None and p.father == p.mother:
                raise PedigreeError(f"person {p.id}: father and mother are the same person {p.father}")
        # Sex must agree with parenthood.
        for p in by_id.values():
            if p.father is not None and by_id[p.father].sex == "female":
                raise PedigreeError(f"person {p.father}: is female but is the father of {p.id}")
            if p.mother is not None and by_id[p.mother].sex == "male":
                raise PedigreeError(f"person {p.mother}: is male but is the mother of {p.id}")
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
        order: list[Person] = []
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        for start in by_id:
            if state.get(start) == 2:
                continue
            stack: list[tuple[str, int]] = [(start, 0)]
            while stack:
                pid, step = stack.pop()
                if step == 0:
                    if state.get(pid) == 2:
                        continue
                    if state.get(pid) == 1:
                        raise PedigreeError(f"person {pid}: is their own ancestor (cycle in the pedigree)")
                    state[pid] = 1
                    stack.append((pid, 1))
                    p = by_id[pid]
                    for parent in (p.mother, p.father):
                        if parent is not None:
                            if state.get(parent) == 1:
                                raise PedigreeError(
                                    f"person {parent}: is their own ancestor (cycle in the pedigree)"
                                )
                            if state.get(parent) != 2:
                                stack.append((parent, 0))
                else:
                    state[pid] = 2
                    order.append(by_id[pid])
        return order

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
