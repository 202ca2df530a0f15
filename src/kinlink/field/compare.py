"""Non-DNA comparison of remains with missing persons, field by field, each with a stated rule.

Pure (no Django): the inputs are :class:`Physical` records, the outputs codes with parameters that the
portal words in the reader's language (``field.services.explain``). Every field gives one outcome:

* ``exclusion``: the two cannot be the same man (sex differs; age or stature far outside the estimate);
* ``consistent``: the field agrees (``strong`` when it is close to unique: the same identity tag, call
  sign, a tattoo in the same place, his name on a document found on the body);
* ``unknown``: one side is missing, or a difference that does not exclude (a tag can be exchanged, hair
  and eyes change after death).

The tolerances are stated here and in ``docs/methods/field.md``: age ± 5 years around the examiner's
range, stature ± 7 cm around it (estimation from long bones and a family's memory both err by a few cm).
Candidates are ranked by the weight of what agrees, strong fields first; a candidate with any exclusion
is listed apart, not ranked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

AGE_TOLERANCE = 5
STATURE_TOLERANCE_CM = 7

EXCLUSION = "exclusion"
CONSISTENT = "consistent"
UNKNOWN = "unknown"

#: Weights of agreeing fields in the ranking: near-unique fields count far more than common ones.
STRONG, MEDIUM, WEAK = 10.0, 1.0, 0.25


@dataclass(frozen=True, slots=True)
class Mark:
    kind: str  # tattoo, scar, birthmark, amputation, other
    region: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Physical:
    """What is known of one body; ages in years, heights in cm, ``None`` or "" when unknown."""

    key: str
    sex: str = "U"
    age_min: float | None = None
    age_max: float | None = None
    height_min: float | None = None
    height_max: float | None = None
    build: str = ""
    hair: str = ""
    eyes: str = ""
    dental: str = ""
    medical: str = ""
    clothing_effects: str = ""
    tag_number: str = ""
    call_sign: str = ""
    documents_found: str = ""
    names: tuple[str, ...] = ()  # the person's surnames and given names, in every script (ante-mortem)
    marks: tuple[Mark, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldResult:
    field: str
    outcome: str
    code: str  # the message the portal words; its parameters below
    params: dict[str, str] = dataclass_field(default_factory=dict)
    weight: float = 0.0


@dataclass(frozen=True, slots=True)
class Comparison:
    antemortem: str
    postmortem: str
    fields: tuple[FieldResult, ...]

    @property
    def excluded(self) -> bool:
        return any(f.outcome == EXCLUSION for f in self.fields)

    @property
    def score(self) -> float:
        return sum(f.weight for f in self.fields if f.outcome == CONSISTENT)

    @property
    def strong(self) -> int:
        return sum(1 for f in self.fields if f.outcome == CONSISTENT and f.weight >= STRONG)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None and lo != hi:
        return f"{lo:g}–{hi:g}"
    return _num(lo if lo is not None else hi)


def _compare_range(
    name: str, am: tuple[float | None, float | None], pm: tuple[float | None, float | None], tolerance: float
) -> FieldResult:
    a_lo, a_hi = am[0] if am[0] is not None else am[1], am[1] if am[1] is not None else am[0]
    p_lo, p_hi = pm[0] if pm[0] is not None else pm[1], pm[1] if pm[1] is not None else pm[0]
    if a_lo is None or a_hi is None or p_lo is None or p_hi is None:
        return FieldResult(name, UNKNOWN, f"{name}_unknown")
    params = {"am": _range_text(a_lo, a_hi), "pm": _range_text(p_lo, p_hi), "tolerance": f"{tolerance:g}"}
    if a_hi < p_lo - tolerance or a_lo > p_hi + tolerance:
        return FieldResult(name, EXCLUSION, f"{name}_outside", params)
    return FieldResult(name, CONSISTENT, f"{name}_within", params, MEDIUM)


def _norm(text: str) -> str:
    return re.sub(r"[\s\-–—_./№#]+", "", text).casefold()


def _identifier(name: str, am: str, pm: str) -> FieldResult:
    if not am.strip() or not pm.strip():
        return FieldResult(name, UNKNOWN, f"{name}_unknown")
    if _norm(am) == _norm(pm):
        return FieldResult(name, CONSISTENT, f"{name}_same", {"value": pm.strip()}, STRONG)
    if _norm(am) and _norm(am) in _norm(pm):  # found inside a longer text (a patch among the effects)
        return FieldResult(name, CONSISTENT, f"{name}_same", {"value": am.strip()}, STRONG)
    return FieldResult(name, UNKNOWN, f"{name}_differs", {"am": am.strip(), "pm": pm.strip()})


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if len(w) >= 3}


_TEETH = re.compile(r"\b([1-4][1-8])\b")  # FDI tooth numbers


def _dental(am: str, pm: str) -> FieldResult:
    if not am.strip() or not pm.strip():
        return FieldResult("dental", UNKNOWN, "dental_unknown")
    shared = sorted(set(_TEETH.findall(am)) & set(_TEETH.findall(pm)))
    if shared:
        return FieldResult("dental", CONSISTENT, "dental_teeth", {"teeth": ", ".join(shared)}, MEDIUM)
    return FieldResult("dental", UNKNOWN, "dental_no_common", {"am": am.strip(), "pm": pm.strip()})


#: Words that name a lasting trace on a skeleton, in ru, uk and en (a stem each, matched as a prefix).
_MEDICAL_TRACES = (
    "перелом",
    "fractur",
    "пластин",
    "plate",
    "штифт",
    "pin",
    "винт",
    "гвинт",
    "screw",
    "протез",
    "prosthe",
    "implant",
    "имплант",
    "імплант",
    "ампутац",
    "amputat",
)


def _traces(text: str) -> set[str]:
    words = _words(text)
    return {stem for stem in _MEDICAL_TRACES if any(w.startswith(stem) for w in words)}


def _medical(am: str, pm: str) -> FieldResult:
    if not am.strip() or not pm.strip():
        return FieldResult("medical", UNKNOWN, "medical_unknown")
    shared = _traces(am) & _traces(pm)
    common = _words(am) & _words(pm)
    if shared and common:
        return FieldResult(
            "medical", CONSISTENT, "medical_shared", {"words": ", ".join(sorted(common))}, MEDIUM
        )
    return FieldResult("medical", UNKNOWN, "medical_no_common", {"am": am.strip(), "pm": pm.strip()})


def _plain(name: str, am: str, pm: str, weight: float) -> FieldResult:
    if not am.strip() or not pm.strip():
        return FieldResult(name, UNKNOWN, f"{name}_unknown")
    if am.strip().casefold() == pm.strip().casefold():
        return FieldResult(name, CONSISTENT, f"{name}_same", {"value": pm.strip()}, weight)
    return FieldResult(name, UNKNOWN, f"{name}_differs", {"am": am.strip(), "pm": pm.strip()})


def _marks(am: Sequence[Mark], pm: Sequence[Mark]) -> list[FieldResult]:
    if not am or not pm:
        return [FieldResult("marks", UNKNOWN, "marks_unknown")]
    out = []
    for mark in am:
        found = [m for m in pm if m.region == mark.region and m.kind == mark.kind]
        params = {"kind": mark.kind, "region": mark.region, "description": mark.description}
        if found:
            weight = STRONG if mark.kind == "tattoo" else MEDIUM
            out.append(FieldResult("marks", CONSISTENT, "mark_found", params, weight))
        else:
            out.append(FieldResult("marks", UNKNOWN, "mark_not_found", params))
    return out


def _documents(names: Iterable[str], found: str) -> FieldResult:
    if not found.strip():
        return FieldResult("documents", UNKNOWN, "documents_unknown")
    text = found.casefold()
    named = [n for n in names if len(n) >= 3 and n.casefold() in text]
    if named:
        return FieldResult("documents", CONSISTENT, "documents_name", {"name": named[0]}, STRONG)
    return FieldResult("documents", UNKNOWN, "documents_other", {"pm": found.strip()})


def compare(am: Physical, pm: Physical) -> Comparison:
    """Every field of one missing person's ante-mortem record against one remains' post-mortem record."""
    results: list[FieldResult] = []
    if am.sex in ("M", "F") and pm.sex in ("M", "F"):
        if am.sex != pm.sex:
            results.append(FieldResult("sex", EXCLUSION, "sex_differs", {"am": am.sex, "pm": pm.sex}))
        else:
            results.append(FieldResult("sex", CONSISTENT, "sex_same", {"value": pm.sex}, MEDIUM))
    else:
        results.append(FieldResult("sex", UNKNOWN, "sex_unknown"))
    results.append(_compare_range("age", (am.age_min, am.age_max), (pm.age_min, pm.age_max), AGE_TOLERANCE))
    results.append(
        _compare_range(
            "stature", (am.height_min, am.height_max), (pm.height_min, pm.height_max), STATURE_TOLERANCE_CM
        )
    )
    results.append(_identifier("tag_number", am.tag_number, pm.tag_number))
    results.append(_identifier("call_sign", am.call_sign, pm.call_sign + " " + pm.clothing_effects))
    results.extend(_marks(am.marks, pm.marks))
    results.append(_dental(am.dental, pm.dental))
    results.append(_medical(am.medical, pm.medical))
    results.append(_documents(am.names, pm.documents_found + " " + pm.clothing_effects))
    results.append(_plain("build", am.build, pm.build, WEAK))
    results.append(_plain("hair", am.hair, pm.hair, WEAK))
    results.append(_plain("eyes", am.eyes, pm.eyes, WEAK))
    return Comparison(am.key, pm.key, tuple(results))


def rank(pm: Physical, candidates: Iterable[Physical]) -> tuple[list[Comparison], list[Comparison]]:
    """The missing persons for one remains: (ranked candidates, excluded ones). Ranked by the number of
    strong agreements, then the weight of all agreements, then the key (reproducible)."""
    compared = [compare(am, pm) for am in candidates]
    ranked = sorted(
        (c for c in compared if not c.excluded), key=lambda c: (-c.strong, -c.score, c.antemortem)
    )
    excluded = sorted((c for c in compared if c.excluded), key=lambda c: c.antemortem)
    return ranked, excluded
