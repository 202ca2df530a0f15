"""Stored pedigrees: import from a pedigree CSV and a Familias .fam, errors with rows, screening hook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kinlink.cli import main
from kinlink.exchange.genotypes import genotype_csv
from kinlink.identification.actions import register_sample, store_lab_profiles
from kinlink.identification.models import StoredPedigree, StoredPedigreeMember
from kinlink.identification.pedigrees import import_pedigree_file
from kinlink.identification.services import family_from_samples
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Organisation, Sample, TracingRequest
from kinlink.registry.services.bulk import ImportRefused
from kinlink.registry.services.family_intake import FamilyRequest
from tests.data import DATA

PATERNITY = DATA / "genetics" / "familias" / "paternity.fam"


@pytest.fixture
def family(db: Any) -> dict[str, Any]:
    org = Organisation.objects.create(name="Poisk", slug="poisk")
    lab = Organisation.objects.create(name="Lab", slug="lab", is_lab=True)
    org.labs.add(lab)  # the lab works for Poisk's requests
    requests = {}
    for number in ("TR-1", "TR-2"):
        person = actions.add_person(None, names=[], reason="pedigree test", sex="M")
        # direct write: the pedigree files name the requests TR-1 and TR-2 (the action draws a number)
        requests[number] = TracingRequest.objects.create(
            number=number, person=person, organisation=org, enquirer_name="Имя Тайное", consent_dna=True
        )
    samples = {}
    for code in ("KL-MO-1", "KL-MO-2"):
        samples[code] = register_sample(None, lab, code, Sample.Kind.REFERENCE, relationship="mother")
    # direct write: "half-brother" is outside the lab's list of relationships; only a pedigree says it
    samples["KL-HS-1"] = Sample.objects.create(
        code="KL-HS-1", kind=Sample.Kind.REFERENCE, relationship="half-brother", lab=lab
    )
    samples = {code: samples[code] for code in ("KL-MO-1", "KL-HS-1", "KL-MO-2")}
    samples["KL-REM-1"] = register_sample(None, lab, "KL-REM-1", Sample.Kind.REMAINS)
    return {"requests": requests, "samples": samples}


GOOD_CSV = """family,id,father,mother,sex,sample,missing
TR-1,FA,,,male,,0
TR-1,MO,,,female,KL-MO-1,0
TR-1,MP,FA,MO,male,,1
TR-1,F2,,,male,,0
TR-1,HB,F2,MO,male,KL-HS-1,0
TR-2,MO,,,F,KL-MO-2,0
TR-2,FA,,,M,,0
TR-2,MP,FA,MO,M,,yes
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_pedigree_csv_import_is_stored_and_idempotent(family: dict[str, Any], tmp_path: Path) -> None:
    path = write(tmp_path, "pedigrees.csv", GOOD_CSV)
    result = import_pedigree_file(path)
    assert sorted(result.created) == ["TR-1", "TR-2"] and not result.replaced
    stored = StoredPedigree.objects.get(tracing_request=family["requests"]["TR-1"])
    members = {m.member_id: m for m in stored.members.all()}
    assert members["HB"].father == "F2" and members["HB"].mother == "MO"
    assert members["HB"].sample is not None and members["HB"].sample.code == "KL-HS-1"
    assert members["MP"].is_missing and not members["MO"].is_missing
    positions = {m.member_id: m.position for m in stored.members.all()}
    assert positions["MO"] < positions["HB"] and positions["FA"] < positions["MP"]
    # the pedigree links the barcodes to the family's request
    assert Sample.objects.get(code="KL-MO-2").tracing_request == family["requests"]["TR-2"]
    count = StoredPedigreeMember.objects.count()
    again = import_pedigree_file(path)
    assert sorted(again.unchanged) == ["TR-1", "TR-2"] and not again.created and not again.replaced
    assert StoredPedigreeMember.objects.count() == count
    assert AuditEntry.objects.filter(action="import_pedigree").count() == 2
    changed = write(
        tmp_path, "p2.csv", GOOD_CSV.replace("TR-2,FA,,,M,,0", "TR-2,FA,,,M,,0\nTR-2,S1,FA,MO,F,,0")
    )
    third = import_pedigree_file(changed, request=None)
    assert third.replaced == ["TR-2"] and third.unchanged == ["TR-1"]
    assert StoredPedigreeMember.objects.count() == count + 1


@pytest.mark.parametrize(
    ("text", "row", "column", "reason"),
    [
        (GOOD_CSV.replace("TR-1,F2,,,male,,0", "TR-1,F2,,,alien,,0"), 5, "sex", "alien"),
        (GOOD_CSV.replace("TR-1,HB,F2,MO", "TR-1,HB,F9,MO"), 6, "father", "not a member"),
        (GOOD_CSV.replace("TR-1,FA,,,male,,0", "TR-1,FA,MP,MO,male,,0"), 0, "father", "cycle"),
        (GOOD_CSV.replace("KL-HS-1", "KL-NOPE"), 6, "sample", "not a registered sample"),
        (GOOD_CSV.replace("KL-HS-1", "KL-REM-1"), 6, "sample", "not a reference sample"),
        (GOOD_CSV.replace("TR-2,MP,FA,MO,M,,yes", "TR-2,MP,FA,MO,M,,no"), 7, "missing", "exactly one"),
        (GOOD_CSV.replace("TR-2,", "TR-404,"), 7, "family", "no tracing request"),
        (GOOD_CSV.replace("TR-1,MO,,,female", "TR-1,MO,,,male"), 4, "mother", "not female"),
    ],
)
def test_bad_pedigree_csv_is_refused_with_row_and_column(
    family: dict[str, Any], tmp_path: Path, text: str, row: int, column: str, reason: str
) -> None:
    with pytest.raises(ImportRefused) as refused:
        import_pedigree_file(write(tmp_path, "bad.csv", text))
    error = next(e for e in refused.value.errors if e.column == column)
    assert reason in error.reason and error.file == "bad.csv"
    if row:
        assert error.row == row
    else:
        assert error.row in (2, 4)  # the row that closes the cycle
    assert not StoredPedigree.objects.exists()
    assert Sample.objects.filter(tracing_request__isnull=False).count() == 0


def test_a_lab_may_only_name_its_own_samples(family: dict[str, Any], tmp_path: Path) -> None:
    other = Organisation.objects.create(name="Other lab", slug="other", is_lab=True)
    Organisation.objects.get(slug="poisk").labs.add(other)  # works for Poisk too, but holds no sample
    with pytest.raises(ImportRefused) as refused:
        import_pedigree_file(write(tmp_path, "p.csv", GOOD_CSV), labs=[other])
    assert {(e.row, e.column) for e in refused.value.errors} == {(3, "sample"), (6, "sample"), (7, "sample")}
    assert not StoredPedigree.objects.exists()
    own = Organisation.objects.get(slug="lab")
    assert sorted(import_pedigree_file(write(tmp_path, "p.csv", GOOD_CSV), labs=[own]).created) == [
        "TR-1",
        "TR-2",
    ]


def test_csv_for_one_request_refuses_rows_of_another(family: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ImportRefused) as refused:
        import_pedigree_file(write(tmp_path, "p.csv", GOOD_CSV), request="TR-1")
    assert refused.value.errors[0].row == 7 and "TR-2" in refused.value.errors[0].reason
    assert not StoredPedigree.objects.exists()


# ------------------------------------------------------------------------------------------- Familias .fam


@pytest.fixture
def paternity_samples(family: dict[str, Any]) -> None:
    lab = Organisation.objects.get(slug="lab")
    # direct write: the .fam file names the sample "AF", shorter than any barcode the lab may register
    Sample.objects.create(code="AF", kind=Sample.Kind.REFERENCE, relationship="father", lab=lab)


def test_fam_import_stores_the_related_hypothesis(paternity_samples: None, tmp_path: Path) -> None:
    result = import_pedigree_file(PATERNITY, request="TR-1", missing="CH")
    assert result.created == ["TR-1"]
    stored = StoredPedigree.objects.get(tracing_request__number="TR-1")
    assert stored.source_format == "fam" and stored.source_file == "paternity.fam"
    members = {m.member_id: m for m in stored.members.all()}
    assert set(members) == {"AF", "MO", "CH"}
    assert members["CH"].father == "AF" and members["CH"].mother == "MO" and members["CH"].is_missing
    assert members["AF"].sample is not None and members["AF"].sample.code == "AF"
    assert members["CH"].sample is None  # the typed person of interest is the one sought, not a reference
    again = import_pedigree_file(PATERNITY, request="TR-1", missing="CH")
    assert again.unchanged == ["TR-1"] and again.profiles_loaded == []


def test_fam_genotypes_become_the_reference_profiles(paternity_samples: None) -> None:
    from kinlink.genetics.formats import read_familias_fam

    result = import_pedigree_file(PATERNITY, request="TR-1", missing="CH")
    assert result.profiles_loaded == ["AF"] and "genotypes loaded for 1 sample(s)" in result.summary()
    father = Sample.objects.get(code="AF")
    expected = read_familias_fam(PATERNITY).genotypes["AF"]
    assert json.loads(father.profile) == {m: list(g) for m, g in expected.items()} and len(expected) == 10
    assert father.status == Sample.Status.PROFILED


def test_fam_refuses_to_replace_a_different_profile(paternity_samples: None) -> None:
    lab = Organisation.objects.get(slug="lab")
    store_lab_profiles(None, lab, "af.csv", genotype_csv({"AF": {"D3S1358": ["15", "16"]}}))
    with pytest.raises(ImportRefused) as refused:
        import_pedigree_file(PATERNITY, request="TR-1", missing="CH")
    error = refused.value.errors[0]
    assert error.column == "genotypes" and "already has a different profile" in error.reason
    assert error.row == 6  # the line of the person "AF" in the file
    assert not StoredPedigree.objects.exists()  # nothing written
    assert json.loads(Sample.objects.get(code="AF").profile) == {"D3S1358": ["15", "16"]}


def _fam_lines() -> list[str]:
    return PATERNITY.read_text(encoding="utf-8").splitlines()


def _broken(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "broken.fam"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_truncated_fam_is_refused_with_its_line(paternity_samples: None, tmp_path: Path) -> None:
    path = _broken(tmp_path, _fam_lines()[:70])
    with pytest.raises(ImportRefused) as refused:
        import_pedigree_file(path, request="TR-1", missing="CH")
    error = refused.value.errors[0]
    assert error.file == "broken.fam" and error.row == 71 and "truncated" in error.reason
    assert not StoredPedigree.objects.exists()


def test_fam_with_a_bad_sex_flag_is_refused_with_its_line(paternity_samples: None, tmp_path: Path) -> None:
    lines = _fam_lines()
    assert lines[9] == "#TRUE#"  # AF's sex flag, line 10
    lines[9] = "#MAYBE#"
    with pytest.raises(ImportRefused) as refused:
        import_pedigree_file(_broken(tmp_path, lines), request="TR-1", missing="CH")
    error = refused.value.errors[0]
    assert (error.row, error.column) == (10, "sex") and "#MAYBE#" in error.reason
    assert not StoredPedigree.objects.exists()


def test_fam_with_a_cycle_is_refused_with_the_relation_line(paternity_samples: None, tmp_path: Path) -> None:
    lines = _fam_lines()
    assert lines[89] == '"H1"' and lines[92] == "2"  # H1 has two parent-child relations
    lines[92] = "3"
    lines[97:97] = ["2", "0"]  # CH is made the parent of AF, who is CH's father: lines 98-99
    with pytest.raises(ImportRefused) as refused:
        import_pedigree_file(_broken(tmp_path, lines), request="TR-1", missing="CH")
    error = refused.value.errors[0]
    assert error.row in (94, 96, 98) and "cycle" in error.reason
    assert not StoredPedigree.objects.exists()


def test_fam_naming_an_unknown_sample_is_refused(family: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ImportRefused) as refused:
        import_pedigree_file(PATERNITY, request="TR-1", missing="CH")
    error = refused.value.errors[0]
    assert (error.row, error.column) == (6, "sample") and "'AF' is not a registered sample" in error.reason
    assert not StoredPedigree.objects.exists()


def test_fam_needs_the_person_sought(paternity_samples: None) -> None:
    with pytest.raises(ImportRefused) as refused:
        import_pedigree_file(PATERNITY, request="TR-1", missing="NOBODY")
    assert refused.value.errors[0].column == "missing"


# ------------------------------------------------------------------------------------------------ CLI


def test_cli_import_pedigree(
    family: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "pedigrees.csv", GOOD_CSV)
    assert main(["dna", "import-pedigree", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 pedigree(s) created" in out and "Имя" not in out
    assert main(["dna", "import-pedigree", str(path)]) == 0
    assert "2 unchanged" in capsys.readouterr().out
    bad = write(tmp_path, "bad.csv", GOOD_CSV.replace("KL-HS-1", "KL-NOPE"))
    assert main(["dna", "import-pedigree", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.csv: row 6, column 'sample'" in err and "nothing was written" in err


# ------------------------------------------------------------------------------------------------ screening


def test_screening_uses_the_stored_pedigree(family: dict[str, Any], tmp_path: Path) -> None:
    import_pedigree_file(write(tmp_path, "pedigrees.csv", GOOD_CSV))
    request = family["requests"]["TR-1"]
    profile = {"SYN01": ["10", "11"]}
    lab = Organisation.objects.get(slug="lab")
    store_lab_profiles(None, lab, "refs.csv", genotype_csv({"KL-MO-1": profile, "KL-HS-1": profile}))
    samples = list(Sample.objects.filter(tracing_request=request))
    screened, notes = family_from_samples(request, samples)
    # a half-brother cannot be guessed from a stated relationship; the stored pedigree knows him
    assert screened.missing == ["MP"]
    assert set(screened.references) == {"MO", "HB"}
    assert screened.samples == {"MO": "KL-MO-1", "HB": "KL-HS-1"}
    assert screened.pedigree["HB"].father == "F2" and screened.pedigree["MP"].father == "FA"
    assert notes == []


def test_screening_finds_a_family_only_its_stored_pedigree_describes(db: Any, tmp_path: Path) -> None:
    """Two half-brothers (the mother's sons by a second husband): from their stated relationship screening
    can build no family; the stored pedigree gives it, and the run proposes the true remains. (With the
    mother typed as well, the half-brothers would add nothing: given her genotype they are independent of
    the missing person.)"""
    import kinlink.identification
    from kinlink.genetics.markers import read_frequency_csv
    from kinlink.genetics.pedigree import Pedigree
    from kinlink.genetics.pedigree import Person as PedigreePerson
    from kinlink.identification.actions import run_screening
    from kinlink.identification.models import CandidateIdentification, ScreeningRun
    from kinlink.scenario.dna import CONFIGURATIONS, generate_dna

    frequencies = Path(kinlink.identification.__file__).parent / "data" / "synthetic_frequencies.csv"

    members = (
        ("F1", "male", None, None),
        ("MO", "female", None, None),
        ("F2", "male", None, None),
        ("MP", "male", "F1", "MO"),
        ("H1", "male", "F2", "MO"),
        ("H2", "male", "F2", "MO"),
    )
    CONFIGURATIONS["half_brothers_test"] = (members, ("H1", "H2"))
    try:
        sc = generate_dna(
            1,
            1,
            seed=5,
            database=read_frequency_csv(frequencies),
            share_related=1.0,
            shares={"half_brothers_test": 1.0},
            conditions={"complete": 1.0},
        )
    finally:
        del CONFIGURATIONS["half_brothers_test"]
    family = sc.families[0]
    assert isinstance(family.pedigree, Pedigree) and isinstance(family.pedigree["H1"], PedigreePerson)
    org = Organisation.objects.create(name="Poisk", slug="poisk")
    lab = Organisation.objects.create(name="Lab", slug="lab", is_lab=True)
    request, _code = actions.submit_tracing_request(
        FamilyRequest(
            surname="Half",
            given_name="",
            relationship="mother",
            consent_organisations=[org],
            consent_dna=True,
        )
    )
    for code in family.samples.values():
        # direct write: "half-brother" is outside the lab's list of relationships; only a pedigree says it
        Sample.objects.create(
            code=code,
            kind=Sample.Kind.REFERENCE,
            relationship="half-brother",
            tracing_request=request,
            lab=lab,
        )
    ((code, profile),) = sc.remains.items()
    remains = actions.register_remains(None, code="R-H")
    actions.attach_sample(None, register_sample(None, lab, code, Sample.Kind.REMAINS), remains=remains)
    references = {code: family.references[pid] for pid, code in family.samples.items()}
    store_lab_profiles(None, lab, "half.csv", genotype_csv({**references, code: profile}))

    def screen() -> ScreeningRun:
        run = ScreeningRun.objects.create(
            frequencies=str(frequencies),
            mutation="stepwise:rate=0.002,rate2=1e-6,range=0.1",
            threshold=1e-6,
        )
        return run_screening(run)

    guessed = screen()
    assert guessed.status == ScreeningRun.Status.DONE and guessed.candidates_created == 0
    assert "relationship 'half-brother' is not used" in guessed.notes
    rows = "family,id,father,mother,sex,sample,missing\n" + "".join(
        f"{request.number},{pid},{f or ''},{m or ''},{sex},{family.samples.get(pid, '')},{int(pid == 'MP')}\n"
        for pid, sex, f, m in members
    )
    import_pedigree_file(write(tmp_path, "half.csv", rows))
    stored = screen()
    assert stored.status == ScreeningRun.Status.DONE, stored.notes
    assert "half-brother" not in stored.notes
    candidate = CandidateIdentification.objects.get(run=stored)
    assert candidate.tracing_request == request and candidate.remains_sample.code == code
    # the LR is that of the half-sibling pedigree (weak, as half-siblings are: the run's threshold is low)
    from kinlink.genetics.kinship import KinshipCase, missing_person_lr

    exact = missing_person_lr(KinshipCase("x", family.pedigree, "MP", sc.loci, family.references, profile)).lr
    assert candidate.lr == pytest.approx(exact, rel=1e-3)
