"""Re-association of the registry's commingled remains: the profiled remains samples of a site or of a
repatriation batch grouped by individual (``kinlink.genetics.reassociation.reassociate``), with the
minimum number of individuals. Reads only: nothing is written (the grouping is a proposal to review).

Samples of the site or batch without a profile are listed as unassigned ("no_dna"), never guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings

from kinlink.genetics.reassociation import Reassociation, reassociate
from kinlink.registry.models import RepatriationBatch, Sample, Site


class ReassociationScopeError(ValueError):
    """A site or batch that does not exist, or no frequency table to compare with."""


@dataclass
class RegistryReassociation:
    scope: str  # "site «name»" or "batch CODE"
    result: Reassociation
    remains_of: dict[str, str]  # sample code -> remains code ("" when not tied to a remains record)


def registry_reassociation(
    *,
    site: int | None = None,
    batch: str | None = None,
    frequencies: str = "",
    dropout: float = 0.0,
    threshold: float = 1.0e6,
    relative_threshold: float = 1.0e2,
) -> RegistryReassociation:
    """Group the remains samples of one site (by id) or one repatriation batch (by code), or of every
    site and batch when neither is given (each sample counted under its site, else its batch)."""
    from kinlink.genetics.markers import read_frequency_table

    if site is not None and batch is not None:
        raise ReassociationScopeError("give a site or a batch, not both")
    samples = Sample.objects.filter(kind=Sample.Kind.REMAINS, remains__isnull=False).select_related(
        "remains__site", "remains__batch"
    )
    if site is not None:
        found = Site.objects.filter(pk=site).first()
        if found is None:
            raise ReassociationScopeError(f"no site with id {site}")
        samples = samples.filter(remains__site=found)
        scope = f"site {found.pk} «{found.name}»"
    elif batch is not None:
        lot = RepatriationBatch.objects.filter(code=batch.strip()).first()
        if lot is None:
            raise ReassociationScopeError(f"no repatriation batch {batch.strip()!r}")
        samples = samples.filter(remains__batch=lot)
        scope = f"batch {lot.code}"
    else:
        scope = "every site and batch"
    path = frequencies or str(getattr(settings, "KINLINK_DNA_FREQUENCIES", "") or "")
    if not path:
        raise ReassociationScopeError("no frequency table: give --frequencies or set KINLINK_DNA_FREQUENCIES")
    database = read_frequency_table(path)
    profiles: dict[str, dict[str, list[str]]] = {}
    places: dict[str, str] = {}
    remains_of: dict[str, str] = {}
    typed: set[str] = set()
    for sample in samples.order_by("code"):
        remains = sample.remains
        assert remains is not None
        profile = json.loads(sample.profile) if sample.profile else {}
        typed |= set(profile)
        profiles[sample.code] = {m: g for m, g in profile.items() if m in database}
        if remains.site is not None:
            places[sample.code] = f"site {remains.site.pk} «{remains.site.name}»"
        elif remains.batch is not None:
            places[sample.code] = f"batch {remains.batch.code}"
        else:
            places[sample.code] = ""
        remains_of[sample.code] = remains.code
    result = reassociate(
        profiles,
        database,
        sites=places,
        dropout=dropout,
        threshold=threshold,
        relative_threshold=relative_threshold,
    )
    left_out = sorted(typed - set(database.names()))
    if left_out:
        result.notes.append(f"markers {left_out} are typed but not compared (not in the frequency table)")
    return RegistryReassociation(scope, result, remains_of)
