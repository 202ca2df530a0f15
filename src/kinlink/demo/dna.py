"""The seed case's DNA, through the lab's and the caseworkers' own paths.

Remains exhumed from the field grave the comrade described were recovered in 2023
(:mod:`kinlink.demo.field`); the central lab registers the mothers' reference samples (the seed case's and
20 other families') and the remains samples by barcode, the samples are attached to the families' requests
and to the remains (the seed case's sample tied to its remains by the caseworker, with its custody), and the
lab uploads the genotype CSV. The screening reads the remains' context: the seed case's remains come from
the grave of the withdrawal from Popasna, whose missing persons share the prior. The upload queues a
screening run, which the worker runs; the caseworker and the supervisor confirm the match (two staff
members), which writes the identification claim and the task to tell the family in person. The family is
not told: the mother's sample stays "profiled" until a caseworker breaks the news.

Profiles are synthetic, drawn from the synthetic frequency table that ships with kinlink
(``identification/data/synthetic_frequencies.csv``), never from real population data.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.test.utils import override_settings
from django.utils import translation

from kinlink.demo.accounts import staff
from kinlink.demo.field import EXAMINER, SEED_REMAINS, lab_receipt
from kinlink.demo.seed_case import SEED_SITE
from kinlink.field.actions import tie_sample
from kinlink.identification.actions import (
    decide_identification,
    register_reference_samples,
    register_sample,
    store_lab_profiles,
)
from kinlink.identification.models import CandidateIdentification
from kinlink.lib import csvsafe
from kinlink.registry.actions import attach_sample
from kinlink.registry.models import Organisation, Remains, Sample, TracingRequest

#: The synthetic frequency table of the demo's DNA (23 made-up STR loci, SYN01..SYN23).
DEMO_FREQUENCIES = (
    Path(__file__).resolve().parents[1] / "identification" / "data" / "synthetic_frequencies.csv"
)
DEMO_MUTATION = "stepwise:rate=0.002,rate2=1e-6,range=0.1"
#: Other families that gave a mother's reference sample, screened alongside the seed case's.
DEMO_DNA_FAMILIES = 20
DEMO_SEED = 2022


@contextmanager
def demo_lab_settings() -> Iterator[None]:
    """The demo lab screens with the synthetic table its profiles were drawn from."""
    with override_settings(KINLINK_DNA_FREQUENCIES=str(DEMO_FREQUENCIES), KINLINK_DNA_MUTATION=DEMO_MUTATION):
        yield


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def register_and_upload(orgs: dict[str, Organisation], seed_request: TracingRequest) -> None:
    """Samples registered and attached, and the lab's genotype upload (which queues screening)."""
    from kinlink.genetics.markers import read_frequency_csv
    from kinlink.scenario.dna import generate_dna

    lab, analyst, caseworker = orgs["central-lab"], staff("lab"), staff("caseworker")
    others = list(
        TracingRequest.objects.filter(consent_dna=True)
        .exclude(pk=seed_request.pk)
        .order_by("pk")[:DEMO_DNA_FAMILIES]
    )
    scenario = generate_dna(
        len(others) + 1,
        3,
        seed=DEMO_SEED,
        database=read_frequency_csv(DEMO_FREQUENCIES),
        share_related=1 / 3,
        shares={"mother": 1.0},
        conditions={"complete": 1.0},
    )
    related = next(code for code, family in scenario.truth.items() if family is not None)
    seed_family = scenario.truth[related]

    requests = iter(others)
    references: dict[str, tuple[TracingRequest, dict[str, list[str]]]] = {}
    for n, family in enumerate(scenario.families, start=1):
        request = seed_request if family.id == seed_family else next(requests)
        references[f"KL-REF-{n:05d}"] = (request, family.references["MO"])
    register_reference_samples(
        analyst,
        lab,
        "reference-samples.csv",
        _csv(["sample", "relationship"], [[code, "mother"] for code in references]),
    )
    for code, (request, _profile) in references.items():
        attach_sample(caseworker, Sample.objects.get(code=code), tracing_request=request)

    # the seed case's remains were recovered from the field grave (kinlink.demo.field); the world's remains
    # from its sites stand for the other families' (the repatriation batch's bodies are not sampled yet)
    seed_remains = Remains.objects.get(code=SEED_REMAINS)
    world_remains = iter(
        Remains.objects.exclude(site__name=SEED_SITE)
        .filter(batch__isnull=True, site__isnull=False)
        .order_by("pk")
    )
    remains_profiles: dict[str, dict[str, list[str]]] = {}
    for n, (code, profile) in enumerate(scenario.remains.items(), start=1):
        sample = register_sample(analyst, lab, f"KL-REM-{n:05d}", Sample.Kind.REMAINS)
        if code == related:  # the caseworker ties the lab's barcode to the remains the sample was taken from
            tie_sample(caseworker, sample, seed_remains, on=dt.date(2023, 9, 5), by=EXAMINER)
            lab_receipt(sample, lab.name)
        else:
            attach_sample(analyst, sample, remains=next(world_remains))
        remains_profiles[sample.code] = profile

    rows = [
        [code, marker, *alleles]
        for code, profile in [*((c, p) for c, (_r, p) in references.items()), *remains_profiles.items()]
        for marker, alleles in sorted(profile.items())
    ]
    store_lab_profiles(
        analyst,
        lab,
        "demo-profiles.csv",
        _csv(["sample", "marker", "allele1", "allele2"], rows),
        label=(
            f"демо: профили {len(references)} образцов родственников "
            f"и {len(remains_profiles)} образцов останков"
        ),
    )


def confirm_seed_identification(seed_request: TracingRequest) -> CandidateIdentification:
    """The caseworker and then the supervisor confirm the seed case's candidate from the worker's run."""
    candidate = CandidateIdentification.objects.get(
        tracing_request=seed_request, remains_sample__remains__code=SEED_REMAINS
    )
    # the staff of the Russian tracing group work in Russian: the task the identification adds is worded so
    with translation.override("ru"):
        for username, note in (
            (
                "caseworker",
                "Образец матери; останки из полевого захоронения, о котором рассказал сослуживец.",
            ),
            (
                "supervisor",
                "Второе подтверждение: отношение правдоподобия и апостериорная вероятность сверены "
                "с заключением лаборатории.",
            ),
        ):
            candidate = decide_identification(staff(username), candidate, "confirm", note)
    return candidate
