"""Genotype CSV import: strict allele labels, UTF-8 only, size limit; a refused file writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kinlink.cli import main
from kinlink.exchange.errors import ImportRefused
from kinlink.identification.actions import ProfileUpload, register_sample, store_lab_profiles
from kinlink.identification.models import ScreeningRun
from kinlink.registry.models import AuditEntry, Organisation, Sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab() -> Organisation:
    lab = Organisation.objects.create(name="Лаборатория", slug="lab", is_lab=True)
    register_sample(None, lab, "S-1", "reference")
    register_sample(None, lab, "S-2", "remains")
    return lab


GOOD = "sample,marker,allele1,allele2\nS-1,D3S1358,15,16\nS-1,TH01,9.3,9.3\nS-2,AMEL,X,Y\n"


def import_genotype_bytes(data: bytes, filename: str, lab: Organisation) -> ProfileUpload:
    return store_lab_profiles(None, lab, filename, data, label="test")


def test_good_file_stores_profiles(lab: Organisation) -> None:
    result = import_genotype_bytes(GOOD.encode(), "g.csv", lab)
    assert (result.samples, result.markers) == (2, 3) and result.run is not None
    assert json.loads(Sample.objects.get(code="S-1").profile) == {
        "D3S1358": ["15", "16"],
        "TH01": ["9.3", "9.3"],
    }
    assert Sample.objects.get(code="S-2").status == "profiled"
    assert AuditEntry.objects.filter(action="load_profile").count() == 2


def test_script_allele_is_refused_with_row_and_column(lab: Organisation) -> None:
    hostile = GOOD + "S-2,D8S1179,<script>,13\n"
    with pytest.raises(ImportRefused) as refused:
        import_genotype_bytes(hostile.encode(), "g.csv", lab)
    [problem] = refused.value.errors
    assert (problem.file, problem.row, problem.column) == ("g.csv", 5, "allele1")
    assert "'<script>' is not an allele label" in problem.reason
    assert not Sample.objects.exclude(profile="").exists()  # nothing written, not even the good rows


def test_wrong_encoding_is_refused_with_row(lab: Organisation) -> None:
    cp1251 = "sample,marker,allele1,allele2\nS-1,D3S1358,15,16\nОбразец-1,TH01,9,9\n".encode("cp1251")
    with pytest.raises(ImportRefused) as refused:
        import_genotype_bytes(cp1251, "g.csv", lab)
    [problem] = refused.value.errors
    assert problem.row == 3 and "not UTF-8" in problem.reason and "cp1251" in problem.reason
    assert not Sample.objects.exclude(profile="").exists()


def test_unknown_sample_and_missing_column_are_refused(lab: Organisation) -> None:
    with pytest.raises(ImportRefused, match="row 2, column 'sample': 'S-9' is not a sample held by your lab"):
        import_genotype_bytes(b"sample,marker,allele1,allele2\nS-9,TH01,6,7\n", "g.csv", lab)
    with pytest.raises(ImportRefused, match="row 1, column 'allele2': missing column"):
        import_genotype_bytes(b"sample,marker,allele1\nS-1,TH01,6\n", "g.csv", lab)


def test_cli_refuses_a_two_gigabyte_file(
    lab: Organisation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse file: the size check runs before any read
    assert main(["exchange", "genotypes-import", str(huge), "--lab", "lab"]) == 1
    assert "the file is 2147483648 bytes" in capsys.readouterr().err
    good = tmp_path / "g.csv"
    good.write_text(GOOD, encoding="utf-8")
    assert main(["exchange", "genotypes-import", str(good), "--lab", "lab"]) == 0
    out = capsys.readouterr().out
    assert "2 samples stored, 0 unchanged, 3 markers" in out
    run = ScreeningRun.objects.get()  # the CLI upload queued a screening run for the worker
    assert f"screening run {run.pk} queued" in out
