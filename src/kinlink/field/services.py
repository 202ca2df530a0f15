"""Reading the field records: a person's ante-mortem record and a remains' post-mortem record for the
comparison, the ranked non-DNA candidates of remains with their explanations in the reader's language,
the custody chain, and the context that narrows the DNA prior."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from kinlink.field.compare import CONSISTENT, EXCLUSION, Comparison, FieldResult, Mark, Physical, rank
from kinlink.field.models import BodyMark, ComparisonDecision, CustodyEvent, PhysicalProfile
from kinlink.partialdate import parse_optional
from kinlink.registry.models import Event, Fate, Person, Remains, Sex


def _marks(profile: PhysicalProfile | None) -> tuple[Mark, ...]:
    if profile is None:
        return ()
    return tuple(Mark(m.kind, m.region, m.description) for m in profile.marks.all())


def _age_at(person: Person, on: dt.date | None) -> tuple[float | None, float | None]:
    born = parse_optional(person.birth_date)
    if born is None or on is None:
        return None, None
    # a partial birth date spans an interval: the youngest and oldest he can have been on ``on``
    earliest, latest = born.earliest, born.latest
    oldest = (on - earliest).days / 365.2425
    youngest = (on - latest).days / 365.2425
    return round(max(youngest, 0.0), 1), round(max(oldest, 0.0), 1)


def last_seen(person: Person) -> dt.date | None:
    """The day his age is counted at: his last news, else today."""
    from kinlink.registry.services.fate import last_news_date

    return last_news_date(person) or dt.date.today()


def antemortem_record(person: Person) -> Physical:
    return antemortem_records([person])[0]


def antemortem_records(persons: list[Person]) -> list[Physical]:
    """The ante-mortem records of many persons (the candidates of remains) in a fixed number of queries:
    their profiles with their marks, their last news and their surnames read for all at once."""
    from kinlink.registry.models import NameVariant
    from kinlink.registry.services.fate import last_news_dates

    ids = [p.pk for p in persons]
    profiles: dict[int, PhysicalProfile] = {}
    surnames: dict[int, set[str]] = {pk: set() for pk in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for profile in PhysicalProfile.objects.filter(person_id__in=chunk).prefetch_related("marks"):
            if profile.person_id is not None:
                profiles[profile.person_id] = profile
        for person_id, surname in NameVariant.objects.filter(person_id__in=chunk).values_list(
            "person_id", "surname"
        ):
            if surname:
                surnames[person_id].add(surname)
    news = last_news_dates(ids)
    today = dt.date.today()
    return [
        _antemortem(person, profiles.get(person.pk), news.get(person.pk) or today, surnames[person.pk])
        for person in persons
    ]


def _antemortem(
    person: Person, profile: PhysicalProfile | None, seen: dt.date, surnames: set[str]
) -> Physical:
    age_min, age_max = _age_at(person, seen)
    height = person.height_cm
    return Physical(
        key=str(person.pk),
        sex=(profile.sex if profile and profile.sex != Sex.UNKNOWN else person.sex),
        age_min=age_min,
        age_max=age_max,
        height_min=(profile.height_min_cm if profile and profile.height_min_cm else height),
        height_max=(profile.height_max_cm if profile and profile.height_max_cm else height),
        build=profile.build if profile else "",
        hair=profile.hair if profile else "",
        eyes=profile.eyes if profile else "",
        dental=profile.dental if profile else "",
        medical=profile.medical if profile else "",
        clothing_effects=profile.clothing_effects if profile else "",
        tag_number=profile.tag_number if profile else "",
        call_sign=profile.call_sign if profile else "",
        names=tuple(sorted(surnames)),
        marks=_marks(profile),
    )


def postmortem_record(remains: Remains) -> Physical:
    profile = PhysicalProfile.objects.filter(remains=remains).prefetch_related("marks").first()
    return Physical(
        key=remains.code,
        sex=(profile.sex if profile and profile.sex != Sex.UNKNOWN else remains.sex_estimate),
        age_min=profile.age_min if profile else None,
        age_max=profile.age_max if profile else None,
        height_min=profile.height_min_cm if profile else None,
        height_max=profile.height_max_cm if profile else None,
        build=profile.build if profile else "",
        hair=profile.hair if profile else "",
        eyes=profile.eyes if profile else "",
        dental=profile.dental if profile else "",
        medical=profile.medical if profile else "",
        clothing_effects=profile.clothing_effects if profile else "",
        tag_number=profile.tag_number if profile else "",
        call_sign=profile.call_sign if profile else "",
        documents_found=profile.documents_found if profile else "",
        marks=_marks(profile),
    )


def context_event(remains: Remains) -> Event | None:
    """The event the remains are tied to: their own, their site's, or their batch's."""
    if remains.event_id:
        return remains.event
    if remains.site_id and remains.site and remains.site.event_id:
        return remains.site.event
    if remains.batch_id and remains.batch and remains.batch.event_id:
        return remains.batch.event
    return None


def open_missing_persons() -> QuerySet[Person]:
    """Every person remains may be: fate not known alive, no remains identified as him yet, merged records
    left out (the one rule, also used by the DNA prior)."""
    open_fates = [Fate.MISSING, Fate.DEAD, Fate.DETAINED, Fate.BURIED, "unknown"]
    return Person.objects.filter(merged_into__isnull=True, fate__in=open_fates).exclude(
        identified_remains__isnull=False
    )


def missing_persons(remains: Remains, *, context_only: bool = True) -> list[Person]:
    """The missing persons these remains may be: those of the remains' event when it has any (and
    ``context_only``), else every person whose fate is not known alive; merged records left out."""
    base = open_missing_persons()
    event = context_event(remains)
    if context_only and event is not None:
        scoped = base.filter(events=event)
        if scoped.exists():
            return list(scoped)
    return list(base)


@dataclass(frozen=True, slots=True)
class Candidate:
    person: Person
    comparison: Comparison
    decision: ComparisonDecision | None


def candidates(remains: Remains) -> tuple[list[Candidate], list[Candidate]]:
    """The missing persons for ``remains`` by the non-DNA comparison: (ranked, excluded). A person a
    caseworker excluded is listed with the excluded, with the decision. The person these remains were
    identified as stays among them (he is no longer missing, but the comparison still speaks of him)."""
    persons = {p.pk: p for p in missing_persons(remains)}
    identified = remains.identified_person if remains.identified_person_id else None
    if identified is not None and identified.merged_into_id is None:
        persons.setdefault(identified.pk, identified)
    prefetch_related_objects(list(persons.values()), "names")  # each row shows the person's name
    decisions: dict[int, ComparisonDecision] = {}
    for d in ComparisonDecision.objects.filter(remains=remains, person_id__in=persons).order_by(
        "created", "pk"
    ):
        decisions[d.person_id] = d  # the latest decision counts
    pm = postmortem_record(remains)
    ranked, excluded = rank(pm, antemortem_records(list(persons.values())))
    out_ranked: list[Candidate] = []
    out_excluded = [
        Candidate(persons[int(c.antemortem)], c, decisions.get(int(c.antemortem))) for c in excluded
    ]
    for c in ranked:
        decision = decisions.get(int(c.antemortem))
        candidate = Candidate(persons[int(c.antemortem)], c, decision)
        if decision is not None and decision.decision == ComparisonDecision.Decision.EXCLUDED:
            out_excluded.append(candidate)
        else:
            out_ranked.append(candidate)
    return out_ranked, out_excluded


def custody_chain(remains: Remains) -> list[CustodyEvent]:
    """The custody chain of remains and of every sample taken from them, in date order."""
    return list(
        CustodyEvent.objects.filter(Q(remains=remains) | Q(sample__remains=remains))
        .select_related("sample", "batch", "recorded_by")
        .order_by("on", "created", "pk")
    )


# --- words ----------------------------------------------------------------------------------------------


def _sex(code: str) -> str:
    return str(Sex(code).label) if code in Sex.values else code


def _mark(params: dict[str, str]) -> str:
    kind = (
        str(BodyMark.Kind(params["kind"]).label) if params["kind"] in BodyMark.Kind.values else params["kind"]
    )
    region = (
        str(BodyMark.Region(params["region"]).label)
        if params["region"] in BodyMark.Region.values
        else params["region"]
    )
    text = f"{kind}, {region}"
    return f"{text} ({params['description']})" if params.get("description") else text


def field_label(name: str) -> str:
    labels = {
        "sex": _("sex"),
        "age": _("age"),
        "stature": _("stature"),
        "tag_number": _("identity tag"),
        "call_sign": _("call sign"),
        "marks": _("marks"),
        "dental": _("teeth"),
        "medical": _("fractures and implants"),
        "documents": _("documents and effects"),
        "build": _("build"),
        "hair": _("hair"),
        "eyes": _("eyes"),
    }
    return labels.get(name, name)


def outcome_label(outcome: str) -> str:
    return {
        EXCLUSION: pgettext("comparison outcome", "excludes"),
        CONSISTENT: pgettext("comparison outcome", "consistent"),
    }.get(outcome, pgettext("comparison outcome", "unknown"))


def _decimals(params: dict[str, str]) -> dict[str, str]:
    """Ages and heights (``23.7``, ``23.2–24.1``) with the reader's decimal separator."""
    if (get_language() or "en").split("-")[0] == "en":
        return params
    return {k: (v.replace(".", ",") if k in ("am", "pm", "tolerance") else v) for k, v in params.items()}


def explain(result: FieldResult) -> str:
    """One field's outcome in the reader's language, with the rule that gave it."""
    code = result.code
    p = _decimals(result.params) if code.startswith(("age_", "stature_")) else result.params
    if code == "sex_differs":
        return _("Remains: %(pm)s; the missing person: %(am)s.") % {"pm": _sex(p["pm"]), "am": _sex(p["am"])}
    if code == "sex_same":
        return _("Same sex: %(value)s.") % {"value": _sex(p["value"])}
    if code == "age_outside":
        return (
            _(
                "Age at disappearance %(am)s years is more than %(tolerance)s years outside the estimate "
                "%(pm)s."
            )
            % p
        )
    if code == "age_within":
        return _("Age at disappearance %(am)s years fits the estimate %(pm)s (± %(tolerance)s).") % p
    if code == "stature_outside":
        return _("Height %(am)s cm is more than %(tolerance)s cm outside the estimate %(pm)s cm.") % p
    if code == "stature_within":
        return _("Height %(am)s cm fits the estimate %(pm)s cm (± %(tolerance)s).") % p
    if code == "tag_number_same":
        return _("The same identity tag number: %(value)s.") % p
    if code == "tag_number_differs":
        return (
            _("Different tag numbers (%(am)s and %(pm)s): tags can be exchanged, so this does not exclude.")
            % p
        )
    if code == "call_sign_same":
        return _("The call sign %(value)s was found with the remains.") % p
    if code == "call_sign_differs":
        return _("The call sign %(am)s is not among what was found with the remains.") % p
    if code == "mark_found":
        return _("A mark in the same place: %(mark)s.") % {"mark": _mark(p)}
    if code == "mark_not_found":
        return _("Not seen on the remains (skin may not be preserved): %(mark)s.") % {"mark": _mark(p)}
    if code == "dental_teeth":
        return _("Dental notes on the same teeth: %(teeth)s.") % p
    if code == "dental_no_common":
        return _("The dental notes cannot be compared tooth by tooth.")
    if code == "medical_shared":
        return _("The same kind of lasting trace: %(words)s.") % p
    if code == "medical_no_common":
        return _("No common fracture or implant in the notes.")
    if code == "documents_name":
        return _("His name is on what was found with the remains: %(name)s.") % p
    if code == "documents_other":
        return _("What was found with the remains does not name him.")
    if code.endswith("_same"):
        return _("The same: %(value)s.") % p
    if code.endswith("_differs"):
        return _("Different (%(am)s and %(pm)s); this changes after death and does not exclude.") % p
    return _("Not known on one side or both.")
