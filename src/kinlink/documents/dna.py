"""The DNA identification report's data: what the genetics engine hands over, and its layout facts.

Pure: no Django. The genetics engine (or whoever wires it in, see ``KINLINK_DNA_REPORT_PROVIDER``)
fills a :class:`DnaReportData`; this module checks it for internal consistency (posterior from prior
and total LR, product of per-marker LRs), lays out the pedigree drawing and produces the facts the
Typst template prints. Names appear only in the caseworker's copy; the lab's copy has codes only.
Its own words are gettext messages, taken in the reader's language (no database is read).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from kinlink.documents.labels import phrase, term
from kinlink.genetics.pedigree import ancestral_order
from kinlink.genetics.posterior import posterior_probability
from kinlink.identification.prior import (
    EQUAL_PRIOR,
    EXCLUDED,
    OUTSIDE,
    ContextPrior,
    parse_context,
    screened_count,
)
from kinlink.lib.formats import format_decimal, format_ratio, format_scientific, format_significant

#: Relative tolerance for the consistency checks (per-marker product vs total LR, Bayes' rule).
TOLERANCE = 1e-6


class DnaReportError(ValueError):
    """The comparison result is internally inconsistent or incomplete."""


@dataclass(frozen=True, slots=True)
class MarkerResult:
    """One locus: the remains' genotype (allele labels are strings, "9.3" is a microvariant), its LR, and
    the typed references' genotypes at the locus as (sample code, genotype) pairs."""

    marker: str
    remains_genotype: str
    likelihood_ratio: float
    reference_genotypes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PedigreeMember:
    """One person of the pedigree. ``sample_code`` is set for typed members (references and remains)."""

    member_id: str
    sex: str  # "M", "F" or "U"
    father: str | None = None
    mother: str | None = None
    sample_code: str | None = None
    role: str = ""  # "missing person", "mother", "brother", ...
    name: str = ""  # shown in the caseworker's copy only
    is_missing: bool = False

    @property
    def typed(self) -> bool:
        return self.sample_code is not None


@dataclass(frozen=True, slots=True)
class MethodFacts:
    """The method statement's particulars, so that the report words it in the reader's language.

    ``notes`` are the engine's own remarks on the data (allele frequencies raised to the minimum, and so
    on); they are technical and stay as the engine wrote them.
    """

    theta: float = 0.0
    notes: tuple[str, ...] = ()
    frequencies: str = ""  # file name of the allele-frequency table
    frequencies_sha256: str = ""  # its first 16 hex digits
    mutation: str = ""  # the mutation model spec; empty: no mutation model
    candidate: int | None = None  # the screening candidate and its run, when the registry supplied them
    run: int | None = None
    screening_lr: float | None = None


@dataclass(frozen=True, slots=True)
class DnaReportData:
    """One comparison: remains sample against a family pedigree, for H1 "remains are the missing person"."""

    case_number: str
    remains_code: str
    lab: str
    markers: list[MarkerResult]
    total_lr: float
    prior: float
    posterior: float
    verbal_conclusion: str
    method_statement: str
    pedigree: list[PedigreeMember]
    hypotheses: tuple[str, str] = (
        "H1: the remains are the missing person of this pedigree",
        "H2: the remains are of a person unrelated to the pedigree",
    )
    marker_kit: str = ""
    remains_name: str = field(default="")
    #: True: identified (two staff confirmations); False: a screening candidate NOT confirmed;
    #: None: a comparison outside the registry's decisions (e.g. a case JSON).
    identified: bool | None = None
    prior_basis: str = ""
    #: When set, the method statement is composed from these in the reader's language;
    #: otherwise ``method_statement`` is printed as given.
    method: MethodFacts | None = None

    def check(self) -> None:
        """Refuse a result whose numbers do not agree with each other."""
        if not self.markers:
            raise DnaReportError("a DNA report needs at least one marker")
        if not 0.0 < self.prior < 1.0:
            raise DnaReportError(f"the prior must lie strictly between 0 and 1, not {self.prior}")
        for marker in self.markers:
            if not marker.likelihood_ratio >= 0.0 or math.isinf(marker.likelihood_ratio):
                raise DnaReportError(f"marker {marker.marker}: LR must be a finite number >= 0")
        product = math.prod(m.likelihood_ratio for m in self.markers)
        if not math.isclose(product, self.total_lr, rel_tol=TOLERANCE, abs_tol=1e-300):
            raise DnaReportError(
                f"total LR {self.total_lr:g} is not the product of the markers' LRs {product:g}"
            )
        expected = posterior_probability(self.total_lr, self.prior)
        if not math.isclose(expected, self.posterior, rel_tol=TOLERANCE, abs_tol=1e-12):
            raise DnaReportError(
                f"posterior {self.posterior:g} does not follow from prior and LR ({expected:g})"
            )
        ids = {m.member_id for m in self.pedigree}
        for member in self.pedigree:
            for parent in (member.father, member.mother):
                if parent is not None and parent not in ids:
                    raise DnaReportError(f"pedigree member {member.member_id}: unknown parent {parent}")


def no_registered_result(case: Any) -> DnaReportData | None:
    """A provider for an instance that reports no DNA comparisons (the default is
    ``kinlink.documents.registry_dna.registry_result``)."""
    return None


def format_lr(value: float, lang: str = "en") -> str:
    """LRs span many orders of magnitude: plain below 10,000, scientific above (``1,73·10¹⁰`` in ru and
    uk, ``1.73 × 10¹⁰`` in en), with log10 alongside."""
    if value == 0:
        return "0"
    if 1e-3 <= value < 1e4:
        return format_ratio(value, lang)
    return f"{format_ratio(value, lang)} (log10 {format_decimal(math.log10(value), lang, 2, grouping=False)})"


def format_posterior(value: float, lang: str = "en") -> str:
    """A posterior to six decimals, never rounded up to certainty: above 0.999999 the distance from 1
    is printed instead (a court must not read 1.000000 where the evidence leaves a chance of error)."""
    if value > 0.999999 and value < 1.0:
        return f"> {format_decimal(0.999999, lang, 6)} (1 − {format_scientific(1.0 - value, lang, 2)})"
    return format_decimal(value, lang, 6)


def pedigree_layout(members: list[PedigreeMember]) -> dict[str, Any]:
    """Generations from the founders down; members of one generation side by side (units: cm)."""
    by_id = {m.member_id: m for m in members}
    parents_of = {
        m.member_id: [p for p in (m.father, m.mother) if p is not None and p in by_id] for m in members
    }
    # ancestors first, without recursion: a pedigree thousands of generations deep is laid out too
    order, cycle = ancestral_order(parents_of)
    if cycle is not None:
        raise DnaReportError(f"pedigree has a cycle through {cycle[0]}")
    generation: dict[str, int] = {}
    for member_id in order:
        generation[member_id] = 1 + max((generation[p] for p in parents_of[member_id]), default=-1)
    # A founder who married into the family stands beside the partner, one generation above the children.
    for member in members:
        if member.father is None and member.mother is None:
            children = [generation[m.member_id] for m in members if member.member_id in (m.father, m.mother)]
            if children:
                generation[member.member_id] = min(children) - 1
    rows: dict[int, list[str]] = {}
    for member in members:
        rows.setdefault(generation[member.member_id], []).append(member.member_id)
    step_x, step_y, size = 2.6, 2.2, 0.9
    width = max(len(r) for r in rows.values()) * step_x
    position: dict[str, tuple[float, float]] = {}
    for level, ids in rows.items():
        offset = (width - len(ids) * step_x) / 2
        for index, member_id in enumerate(ids):
            position[member_id] = (round(offset + index * step_x + 0.8, 3), round(level * step_y + 0.2, 3))
    nodes = []
    for member in members:
        x, y = position[member.member_id]
        nodes.append(
            {
                "x": x,
                "y": y,
                "sex": member.sex,
                "typed": member.typed,
                "missing": member.is_missing,
                "label": member.sample_code or "",
                "role": member.role,
            }
        )
    lines = []
    for member in members:
        parents = [p for p in (member.father, member.mother) if p is not None]
        if not parents:
            continue
        cx, cy = position[member.member_id]
        if len(parents) == 2:
            (fx, fy), (mx, my) = position[parents[0]], position[parents[1]]
            px, py = (fx + mx) / 2 + size / 2, (fy + my) / 2 + size / 2
            lines.append([fx + size, fy + size / 2, mx, my + size / 2])
        else:
            px, py = position[parents[0]][0] + size / 2, position[parents[0]][1] + size
        lines.append([round(px, 3), round(py, 3), round(cx + size / 2, 3), round(cy, 3)])
    height = (max(rows) + 1) * step_y
    return {
        "width": round(width + 0.6, 3),
        "height": round(height, 3),
        "size": size,
        "nodes": nodes,
        "lines": lines,
    }


def dna_report_facts(data: DnaReportData, lang: str, *, with_names: bool) -> dict[str, Any]:
    data.check()
    samples = []
    for member in data.pedigree:
        if member.typed:
            samples.append(
                [
                    member.sample_code or "",
                    term("reference", lang),
                    term(member.role, lang),
                    member.name if with_names else "—",
                ]
            )
    samples.insert(
        0, [data.remains_code, term("remains", lang), "", data.remains_name if with_names else "—"]
    )
    members = [
        PedigreeMember(
            m.member_id,
            m.sex,
            m.father,
            m.mother,
            m.sample_code,
            term(m.role, lang),
            m.name if with_names else "",
            m.is_missing,
        )
        for m in data.pedigree
    ]
    status = ""
    if data.identified is not None:
        status = term("dna_identified" if data.identified else "dna_unconfirmed", lang)
    return {
        "case_number": data.case_number if with_names else "—",
        "lab": data.lab,
        "marker_kit": data.marker_kit or phrase("dna_marker_count", lang, n=len(data.markers)),
        "marker_names": ", ".join(m.marker for m in data.markers),
        "samples": samples,
        "pedigree": pedigree_layout(members),
        **genotype_table(data, lang),
        "total_lr": format_lr(data.total_lr, lang),
        "prior": format_significant(data.prior, lang, 6)
        + (f" ({prior_basis_words(data.prior_basis, lang)})" if data.prior_basis else ""),
        "posterior": format_posterior(data.posterior, lang),
        "verbal": term(data.verbal_conclusion, lang),
        "method": method_words(data, lang),
        "hypotheses": [term(h, lang) for h in data.hypotheses],
        "status": status,
    }


def genotype_table(data: DnaReportData, lang: str) -> dict[str, Any]:
    """Marker | remains | each typed reference (by relationship and barcode) | LR: the genotypes the
    comparison used, side by side per marker (a reference not typed at a marker shows "—")."""
    references = [m for m in data.pedigree if m.typed and not m.is_missing]
    with translation.override(lang):
        headers = [gettext("Marker"), f"{gettext('Remains')} {data.remains_code}"]
        headers += [
            f"{capfirst(term(m.role, lang)) or gettext('Reference')} {m.sample_code}" for m in references
        ]
        headers.append(gettext("Likelihood ratio"))
    rows = []
    for marker in data.markers:
        typed = dict(marker.reference_genotypes)
        rows.append(
            [
                marker.marker,
                marker.remains_genotype or "—",
                *(typed.get(m.sample_code or "", "") or "—" for m in references),
                format_lr(marker.likelihood_ratio, lang),
            ]
        )
    return {"marker_headers": headers, "markers": rows}


def prior_basis_words(basis: str, lang: str) -> str:
    """The basis of the prior in the reader's language (a free-text basis is printed as given)."""
    count = screened_count(basis)
    if count is not None:
        return phrase("dna_prior_screened", lang, n=count)
    if basis == EQUAL_PRIOR:
        return phrase("dna_prior_equal", lang)
    stated = parse_context(basis)
    if stated is not None:
        return context_prior_words(stated, lang)
    return basis


def _percent(share: float, lang: str) -> str:
    return format_significant(share * 100.0, lang, 3) + ("%" if lang == "en" else " %")


def context_prior_words(stated: ContextPrior, lang: str) -> str:
    """An event prior (:class:`kinlink.identification.prior.ContextPrior`) in the reader's language: which
    event, how the remains are tied to it, how many share the prior, who was excluded, what is left over."""
    via = phrase(f"dna_prior_via_{stated.via}", lang, name=stated.via_name)
    params = {
        "event": stated.event_name,
        "via": via,
        "members": stated.members,
        "pool": stated.pool,
        "others": stated.others,
        "inside": _percent(1.0 - stated.share, lang),
        "outside": _percent(stated.share, lang),
    }
    if stated.place == OUTSIDE:
        return phrase("dna_prior_event_outside", lang, **params)
    others_excluded = stated.excluded - (1 if stated.place == EXCLUDED else 0)
    less = phrase("dna_prior_less", lang, excluded=others_excluded) if others_excluded else ""
    key = "dna_prior_event_excluded" if stated.place == EXCLUDED else "dna_prior_event_in"
    return phrase(key, lang, less=less, **params)


def method_words(data: DnaReportData, lang: str) -> str:
    """The method statement in the reader's language."""
    from kinlink.genetics.report import VERBAL_SCALE_SOURCE

    facts = data.method
    if facts is None:
        return data.method_statement
    parts = [phrase("dna_method_engine", lang, scale=VERBAL_SCALE_SOURCE)]
    if facts.theta:
        parts.append(phrase("dna_method_theta", lang, theta=format_significant(facts.theta, lang, 6)))
    if facts.frequencies:
        parts.append(
            phrase("dna_method_frequencies", lang, file=facts.frequencies, sha=facts.frequencies_sha256)
        )
    if facts.frequencies or facts.mutation:
        parts.append(
            phrase("dna_method_mutation", lang, model=facts.mutation)
            if facts.mutation
            else phrase("dna_method_no_mutation", lang)
        )
    if data.prior_basis:
        parts.append(phrase("dna_method_prior", lang, basis=prior_basis_words(data.prior_basis, lang)))
    if facts.candidate is not None:
        lr = format_ratio(facts.screening_lr, lang) if facts.screening_lr is not None else "—"
        parts.append(phrase("dna_method_screening", lang, candidate=facts.candidate, run=facts.run, lr=lr))
    if facts.notes:
        parts.append(phrase("dna_method_notes", lang, notes=" ".join(facts.notes)))
    return " ".join(parts)


_SEX_CODE = {"male": "M", "female": "F"}


def from_kinship(
    kinship_case: Any,
    result: Any,
    *,
    case_number: str,
    remains_code: str,
    lab: str,
    prior: float,
    sample_codes: dict[str, str] | None = None,
    roles: dict[str, str] | None = None,
    names: dict[str, str] | None = None,
    marker_kit: str = "",
    remains_name: str = "",
) -> DnaReportData:
    """A report from the genetics engine's ``KinshipCase`` and ``KinshipResult`` (kinlink.genetics.kinship).

    The verbal conclusion uses the engine's scale (``genetics.report.verbal_equivalent``, ENFSI 2015) and
    the posterior its Bayes' rule (``posterior_probability``). ``sample_codes`` maps pedigree ids to the
    barcodes of typed references (default: the pedigree id itself for every typed reference); ``roles``
    and ``names`` label the members (names go only into the caseworker's copy).
    """
    from kinlink.genetics.report import VERBAL_SCALE_SOURCE, posterior_probability, verbal_equivalent

    sample_codes = sample_codes or {pid: pid for pid in kinship_case.references}
    roles = roles or {}
    names = names or {}
    markers = [
        MarkerResult(
            m.marker,
            "/".join(kinship_case.poi.get(m.marker, [])),
            m.lr,
            tuple(
                (sample_codes.get(pid, pid), "/".join(profile.get(m.marker) or []))
                for pid, profile in kinship_case.references.items()
            ),
        )
        for m in result.markers
        if m.poi_typed
    ]
    total = math.prod(m.likelihood_ratio for m in markers)
    members = [
        PedigreeMember(
            member_id=person.id,
            sex=_SEX_CODE.get(person.sex, "U"),
            father=person.father,
            mother=person.mother,
            sample_code=sample_codes.get(person.id) if person.id in kinship_case.references else None,
            role=roles.get(person.id, "missing person" if person.id == kinship_case.missing else ""),
            name=names.get(person.id, ""),
            is_missing=person.id == kinship_case.missing,
        )
        for person in kinship_case.pedigree.persons
    ]
    theta = f", theta = {result.theta:g}" if result.theta else ""
    notes = " ".join(result.notes)
    return DnaReportData(
        case_number=case_number,
        remains_code=remains_code,
        lab=lab,
        markers=markers,
        total_lr=total,
        prior=prior,
        posterior=posterior_probability(total, prior),
        verbal_conclusion=verbal_equivalent(total),
        method_statement=(
            "Exact pedigree likelihood per marker (kinlink.genetics), H1: the remains are the missing "
            f"person, H2: unrelated{theta}; the total LR is the product over markers; verbal scale: "
            f"{VERBAL_SCALE_SOURCE}. " + notes
        ).strip(),
        pedigree=members,
        marker_kit=marker_kit,
        remains_name=remains_name,
        method=MethodFacts(theta=float(result.theta or 0.0), notes=tuple(result.notes)),
    )
