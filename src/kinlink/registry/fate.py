"""Fate reconciliation: from a person's claims to a factual fate that shows its conflicts and explains itself.

Pure: no Django. The registry builds :class:`ClaimFact` objects from its Claims and renders the
result. Rules, in order:

1. Retracted claims are listed but carry no weight.
2. A DNA identification (a ``dna_report`` source stating ``identified``) outranks every other
   statement; the other statements stay on record as superseded, never erased.
3. Otherwise each claim weighs ``kind weight × reliability factor``. Statements are grouped into
   fates: ``dead`` (dead, buried, identified), ``detained``, ``alive`` (alive, wounded), ``missing``.
4. Two statements conflict when they come from different sources and put the person in
   incompatible fates at overlapping times: ``dead`` against ``alive``/``detained`` after the
   date of death, and an official ``missing`` against a ``dead`` statement. A family's own report
   that he is missing is the reason for the search, not a conflict.
5. A later official notice does not silently erase an earlier one: both stay cited, and the
   conflict is shown until a caseworker resolves it by retracting a claim or a DNA result arrives.
6. "Dead" is ``confirmed`` only by DNA or by two independent sources of which one is official or
   a burial record; one source alone gives ``probable``.
7. Claims that speak of a burial (fate ``buried``, a site, or burial circumstances) become
   burial-site leads.

Message templates are English with ``{placeholders}``; the registry translates them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from kinlink.partialdate import PartialDate


def N_(message: str) -> str:
    return message


#: Weight of a statement by the kind of its source, before the reliability factor.
SOURCE_KIND_WEIGHT: dict[str, float] = {
    "dna_report": 100.0,
    "dna_identification": 100.0,
    "death_certificate": 9.0,
    "burial_record": 8.0,
    "prisoner_list": 7.0,
    "unit_notice": 6.0,
    "ministry_letter": 6.0,
    "exchange_list": 7.0,
    "testimony": 3.0,
    "obituary": 3.0,
    "media": 1.5,
    "family_report": 2.0,
    "other": 1.0,
}
#: Source kinds whose "identified" claim is a DNA identification (``dna_identification`` is written by a
#: confirmed candidate identification; ``dna_report`` by a lab's report entered by hand).
DNA_KINDS = frozenset({"dna_identification", "dna_report"})
OFFICIAL_KINDS = frozenset(
    {"unit_notice", "ministry_letter", "death_certificate", "prisoner_list", "exchange_list"}
)
#: Source reliability grades (admiralty scale, A completely reliable .. E unreliable, F cannot be judged).
RELIABILITY_FACTOR: dict[str, float] = {"A": 1.0, "B": 0.85, "C": 0.65, "D": 0.45, "E": 0.2, "F": 0.5}

FATE_GROUP: dict[str, str] = {
    "dead": "dead",
    "buried": "dead",
    "identified": "dead",
    "detained": "detained",
    "alive": "alive",
    "wounded": "alive",
    "missing": "missing",
}
BURIAL_WORDS = ("buried", "burial", "grave", "похорон", "захорон", "могил", "поховал", "поховання")


@dataclass(frozen=True, slots=True)
class ClaimFact:
    """What the reconciliation needs to know about one claim."""

    claim_id: str
    source_id: str
    source_kind: str
    source_name: str
    reliability: str
    fate: str
    fate_date: PartialDate | None = None
    stated_on: PartialDate | None = None  # the date of the source (notice, letter, testimony)
    place: str = ""
    circumstances: str = ""
    site_id: str | None = None
    retracted: bool = False

    @property
    def group(self) -> str:
        return FATE_GROUP.get(self.fate, "missing")

    @property
    def weight(self) -> float:
        if self.retracted:
            return 0.0
        return SOURCE_KIND_WEIGHT.get(self.source_kind, 1.0) * RELIABILITY_FACTOR.get(self.reliability, 0.5)

    @property
    def is_official(self) -> bool:
        return self.source_kind in OFFICIAL_KINDS

    def label(self) -> str:
        """ "source: fate DATE (stated DATE)", in English; :func:`parse_claim_label` takes it apart again
        for the reader's language."""
        when = f" {self.fate_date}" if self.fate_date else ""
        stated = f" (stated {self.stated_on})" if self.stated_on else ""
        return f"{self.source_name}: {self.fate}{when}{stated}"


_CLAIM_LABEL = re.compile(
    r"^(?P<source>.*): (?P<fate>[a-z]+)(?P<when> [0-9-]+)?(?: \(stated (?P<stated>[0-9-]+)\))?$"
)


def parse_claim_label(label: str) -> dict[str, str] | None:
    """The parts of a :meth:`ClaimFact.label`: source, fate, when and stated (empty when absent)."""
    match = _CLAIM_LABEL.match(label)
    if match is None:
        return None
    return {
        "source": match["source"],
        "fate": match["fate"],
        "when": (match["when"] or "").strip(),
        "stated": match["stated"] or "",
    }


@dataclass(frozen=True, slots=True)
class Message:
    """A translatable explanation line: an English template and its parameters."""

    template: str
    params: dict[str, str] = field(default_factory=dict)

    def render(self) -> str:
        return self.template.format(**self.params)


@dataclass(frozen=True, slots=True)
class Conflict:
    first: ClaimFact
    second: ClaimFact
    reason: Message


@dataclass(frozen=True, slots=True)
class BurialLead:
    claim: ClaimFact
    place: str
    circumstances: str
    site_id: str | None


@dataclass(frozen=True, slots=True)
class FateAssessment:
    fate: str  # "unknown", "alive", "detained", "missing", "dead", "identified"
    confidence: str  # "none", "probable", "disputed", "confirmed"
    cited: tuple[ClaimFact, ...]
    conflicts: tuple[Conflict, ...]
    leads: tuple[BurialLead, ...]
    explanation: tuple[Message, ...]
    scores: dict[str, float]

    @property
    def is_disputed(self) -> bool:
        return bool(self.conflicts)


def _before(a: PartialDate | None, b: PartialDate | None) -> bool:
    """True when ``a`` certainly lies before ``b`` (unknown dates are never 'certainly before')."""
    return a is not None and b is not None and a.latest < b.earliest


def _conflict(a: ClaimFact, b: ClaimFact) -> Message | None:
    if a.source_id == b.source_id or a.retracted or b.retracted:
        return None
    groups = {a.group, b.group}
    if len(groups) == 1:
        return None
    if groups == {"dead", "missing"}:
        missing = a if a.group == "missing" else b
        if missing.source_kind == "family_report":
            return None
        return Message(
            N_("{dead_source} reports him dead, but {missing_source} reports him missing."),
            {
                "dead_source": (b if missing is a else a).source_name,
                "missing_source": missing.source_name,
            },
        )
    if "dead" in groups:
        dead = a if a.group == "dead" else b
        other = b if dead is a else a
        # Alive, wounded or detained before the date of death is a consistent story.
        if _before(other.fate_date, dead.fate_date):
            return None
        return Message(
            N_("{dead_source} reports him dead, but {other_source} reports him {other_fate}."),
            {"dead_source": dead.source_name, "other_source": other.source_name, "other_fate": other.fate},
        )
    if groups == {"alive", "detained"}:
        return None  # a wounded man may be captured; captivity does not contradict being alive
    if "missing" in groups:
        missing = a if a.group == "missing" else b
        if missing.source_kind == "family_report":
            return None
        other = b if missing is a else a
        if _before(missing.stated_on, other.stated_on):
            return None  # missing first, found later: the newer statement answers the older
        return Message(
            N_("{other_source} reports him {other_fate}, but {missing_source} reports him missing."),
            {
                "other_source": other.source_name,
                "other_fate": other.fate,
                "missing_source": missing.source_name,
            },
        )
    return None


def _is_burial(claim: ClaimFact) -> bool:
    text = claim.circumstances.lower()
    return claim.fate == "buried" or claim.site_id is not None or any(word in text for word in BURIAL_WORDS)


def reconcile(claims: list[ClaimFact]) -> FateAssessment:
    """Reconcile all claims about one person into a :class:`FateAssessment`."""
    live = [c for c in claims if not c.retracted]
    explanation: list[Message] = []
    for claim in claims:
        if claim.retracted:
            explanation.append(Message(N_("Retracted, not counted: {claim}."), {"claim": claim.label()}))
    leads = tuple(
        BurialLead(claim=c, place=c.place, circumstances=c.circumstances, site_id=c.site_id)
        for c in live
        if _is_burial(c)
    )
    if not live:
        explanation.insert(0, Message(N_("No source has said anything about his fate yet.")))
        return FateAssessment("unknown", "none", (), (), leads, tuple(explanation), {})

    scores: dict[str, float] = defaultdict(float)
    for claim in live:
        scores[claim.group] += claim.weight
    ordered = sorted(live, key=_chronological)
    for claim in ordered:
        explanation.append(Message(N_("{claim}."), {"claim": claim.label()}))

    identifications = [c for c in live if c.source_kind in DNA_KINDS and c.fate == "identified"]
    conflicts: list[Conflict] = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            reason = _conflict(first, second)
            if reason is not None:
                conflicts.append(Conflict(first, second, reason))

    if identifications:
        dna = identifications[0]
        explanation.append(
            Message(
                N_(
                    "Identified by DNA ({source}): this outranks every other statement, which stay on record."
                ),
                {"source": dna.source_name},
            )
        )
        superseded = [c for c in live if c.group != "dead"]
        for claim in superseded:
            explanation.append(
                Message(N_("Superseded by the DNA identification: {claim}."), {"claim": claim.label()})
            )
        return FateAssessment(
            "identified", "confirmed", tuple(ordered), (), leads, tuple(explanation), dict(scores)
        )

    # "missing" from a family is the premise of the search, not evidence of a fate.
    evidential = {group: score for group, score in scores.items() if group != "missing"}
    fate = max(evidential, key=lambda g: (evidential[g], g)) if evidential else "missing"
    supporting = [c for c in live if c.group == fate]
    if conflicts:
        confidence = "disputed"
        explanation.append(
            Message(
                N_(
                    "Sources conflict ({count}); a caseworker must weigh them. The leading reading is {fate}."
                ),
                {"count": str(len(conflicts)), "fate": fate},
            )
        )
        for conflict in conflicts:
            explanation.append(conflict.reason)
    elif fate == "dead":
        independent = {c.source_id for c in supporting}
        strong = any(
            c.is_official or c.source_kind in ("burial_record", "death_certificate") for c in supporting
        )
        confidence = "confirmed" if len(independent) >= 2 and strong else "probable"
        if confidence == "probable":
            explanation.append(
                Message(
                    N_("Only one source, or no official one, reports his death: a second source is needed.")
                )
            )
    else:
        confidence = "probable"
    for lead in leads:
        explanation.append(
            Message(
                N_("Burial-site lead from {source}: {circumstances} (place: {place})")
                if lead.place
                else N_("Burial-site lead from {source}: {circumstances}"),
                {"source": lead.claim.source_name, "circumstances": lead.circumstances, "place": lead.place},
            )
        )
    return FateAssessment(
        fate, confidence, tuple(ordered), tuple(conflicts), leads, tuple(explanation), dict(scores)
    )


_FAR_FUTURE = PartialDate(2100).earliest


def _chronological(claim: ClaimFact) -> tuple[object, str]:
    when = claim.stated_on or claim.fate_date
    return (when.earliest if when else _FAR_FUTURE, claim.claim_id)
