"""A small hand-built registry with four lists for the figures tests."""

from __future__ import annotations

from collections.abc import Sequence

from kinlink.registry import actions
from kinlink.registry.models import Person, Source

LIST_KINDS = {
    "Family requests": "family_report",
    "Prisoner list": "prisoner_list",
    "Obituaries": "obituary",
    "Media list": "media",
}
LIST_FATES = {
    "Family requests": "missing",
    "Prisoner list": "detained",
    "Obituaries": "dead",
    "Media list": "dead",
}
#: Capture histories cycled through for a well-overlapping region (F, P, O, M).
OVERLAPPING = (
    ("Family requests",),
    ("Family requests", "Prisoner list"),
    ("Prisoner list",),
    ("Family requests", "Obituaries"),
    ("Obituaries", "Media list"),
    ("Family requests", "Prisoner list", "Obituaries"),
    ("Family requests",),
    ("Media list",),
)
SECRET_SURNAME = "Zzyzxova"


def list_sources() -> dict[str, Source]:
    """The four lists, each added once (a second call returns the same sources)."""
    return {
        name: Source.objects.filter(kind=kind, name=name, reference="list").first()
        or actions.add_source(None, kind=kind, name=name, reference="list")
        for name, kind in LIST_KINDS.items()
    }


def add_person(
    sources: dict[str, Source],
    lists: Sequence[str],
    region: str,
    date: str = "2022-05",
    branch: str = "artillery",
    number: int = 0,
) -> Person:
    """A person on ``lists``: one list record and one claim per list, and a (never published) name."""
    person = actions.add_person(
        None,
        names=[{"surname": SECRET_SURNAME, "given_name": f"Person{number}"}],
        reason="figures test world",
        region=region,
        military_branch=branch,
    )
    for name in lists:
        actions.add_list_record(None, sources[name], f"{region}-{number}", person, {}, "")
        actions.add_claim(None, person, sources[name], fate=LIST_FATES[name], date=date)
    return person


def build_region(
    sources: dict[str, Source], region: str, n: int, start: int = 0, date: str = "2022-05"
) -> None:
    for i in range(n):
        add_person(sources, OVERLAPPING[i % len(OVERLAPPING)], region, date=date, number=start + i)
