"""`kinlink dna reassociate-registry`: the registry's remains samples of a site or batch grouped by
individual; brothers in one grave stay apart, a bone without DNA stays unassigned, and the minimum number
of individuals is printed. Codes only, nothing written."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import pytest

from kinlink.cli import main
from kinlink.exchange.genotypes import genotype_csv
from kinlink.field.actions import import_batch
from kinlink.identification.actions import register_sample, store_lab_profiles
from kinlink.identification.reassociation import ReassociationScopeError, registry_reassociation
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Organisation, Remains, RepatriationBatch, Sample, Site

pytestmark = pytest.mark.django_db

MARKERS = [f"M{i:02d}" for i in range(1, 21)]
ALLELES = [str(a) for a in range(1, 9)]


@pytest.fixture
def frequencies(tmp_path: Path) -> Path:
    path = tmp_path / "f.csv"
    path.write_text(
        "locus,allele,freq\n" + "".join(f"{m},{a},0.125\n" for m in MARKERS for a in ALLELES),
        encoding="utf-8",
    )
    return path


def _men(seed: int = 5) -> dict[str, dict[str, list[str]]]:
    """A father's and a mother's genotypes, two brothers of theirs, and an unrelated man."""
    rng = random.Random(seed)

    def person() -> dict[str, list[str]]:
        return {m: sorted(rng.sample(ALLELES, 2)) for m in MARKERS}

    father, mother, stranger = person(), person(), person()

    def child() -> dict[str, list[str]]:
        return {m: sorted([rng.choice(father[m]), rng.choice(mother[m])]) for m in MARKERS}

    return {"brother1": child(), "brother2": child(), "stranger": stranger}


def _bone(lab: Organisation, code: str, profile: dict[str, list[str]] | None, **where: object) -> None:
    remains = Remains.objects.filter(code=f"R-{code}").first() or actions.register_remains(
        None, code=f"R-{code}", **where
    )
    sample = register_sample(None, lab, code, Sample.Kind.REMAINS)
    actions.attach_sample(None, sample, remains=remains)
    if profile is not None:  # the stored (encrypted) profile, as a lab upload leaves it
        store_lab_profiles(None, lab, "g.csv", genotype_csv({code: profile}))


@pytest.fixture
def grave() -> tuple[Site, RepatriationBatch]:
    lab = Organisation.objects.create(name="Lab", slug="lab", is_lab=True)
    site = actions.add_site(None, name="Field grave by the road", kind=Site.Kind.FIELD_GRAVE)
    batch = import_batch(
        None, code="B-7", received_on=dt.date(2024, 3, 1), csv_text="code\nR-BONE-6\nR-BONE-7\n"
    ).batch
    men = _men()
    partial = {m: g for m, g in list(men["brother1"].items())[:12]}  # a degraded bone: 12 of 20 markers
    _bone(lab, "BONE-1", men["brother1"], site=site)
    _bone(lab, "BONE-2", partial, site=site)
    _bone(lab, "BONE-3", men["brother1"], site=site)
    _bone(lab, "BONE-4", men["brother2"], site=site)
    _bone(lab, "BONE-5", None, site=site)  # no DNA
    _bone(lab, "BONE-6", men["stranger"])  # bodies of the batch
    _bone(lab, "BONE-7", men["stranger"])
    return site, batch


def test_a_site_is_grouped_brothers_apart_and_a_bone_without_dna_unassigned(
    grave: tuple[Site, RepatriationBatch], frequencies: Path
) -> None:
    site, _batch = grave
    found = registry_reassociation(site=site.pk, frequencies=str(frequencies))
    group = {a.sample: a.group for a in found.result.assignments}
    assert set(group) == {"BONE-1", "BONE-2", "BONE-3", "BONE-4", "BONE-5"}  # the site's samples only
    assert group["BONE-1"] == group["BONE-2"] == group["BONE-3"] != group["BONE-4"]
    assert group["BONE-5"] == "" and found.remains_of["BONE-5"] == "R-BONE-5"
    [count] = found.result.sites
    assert (count.samples, count.with_dna, count.groups, count.minimum_individuals) == (5, 4, 2, 2)


def test_the_command_prints_groups_and_counts_and_writes_nothing(
    grave: tuple[Site, RepatriationBatch],
    frequencies: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site, batch = grave
    audit_before = AuditEntry.objects.count()
    out = tmp_path / "groups.csv"
    argv = ["dna", "reassociate-registry", "--batch", batch.code, "--frequencies", str(frequencies)]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "re-association of batch B-7: 2 remains samples" in printed
    assert "individual I0001: BONE-6 (R-BONE-6), BONE-7 (R-BONE-7)" in printed
    assert "batch B-7\t2\t2\t1\t1" in printed
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["sample"], r["remains"], r["individual"]) for r in rows] == [
        ("BONE-6", "R-BONE-6", "I0001"),
        ("BONE-7", "R-BONE-7", "I0001"),
    ]
    argv = ["dna", "reassociate-registry", "--site", str(site.pk), "--frequencies", str(frequencies)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "unassigned (no DNA): BONE-5 (R-BONE-5)" in printed
    assert f"site {site.pk} «Field grave by the road»\t5\t4\t2\t2" in printed
    assert AuditEntry.objects.count() == audit_before  # a read: nothing written
    assert main(["dna", "reassociate-registry", "--site", "999999", "--frequencies", str(frequencies)]) == 1
    assert "no site with id 999999" in capsys.readouterr().err
    with pytest.raises(ReassociationScopeError, match="no repatriation batch"):
        registry_reassociation(batch="NOPE", frequencies=str(frequencies))
