"""The lab's actions: closed relationship list in three languages, every error of a file reported with row
and column, the uploading lab's samples only, and a confirmed identification's profile kept."""

from __future__ import annotations

import json

import pytest

from kinlink.exchange.errors import ImportRefused
from kinlink.identification.actions import (
    SampleError,
    register_reference_samples,
    register_sample,
    store_lab_profiles,
)
from kinlink.identification.relationships import canonical_relationship
from kinlink.registry.models import Organisation, Sample
from tests.portal.portal_world import World, build_world, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab() -> Organisation:
    return Organisation.objects.create(name="Lab", slug="lab", is_lab=True)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("мать", "mother"),
        ("Мати", "mother"),
        ("mother", "mother"),
        ("отец", "father"),
        ("батько", "father"),
        ("сын", "son"),
        ("син", "son"),
        ("дочь", "daughter"),
        ("донька", "daughter"),
        ("Брат", "brother"),
        ("сестра", "sister"),
        ("жена", "wife"),
        ("дружина", "wife"),
        ("муж", "husband"),
        ("чоловік", "husband"),
        (" SISTER ", "sister"),
    ],
)
def test_relationships_in_three_languages(written: str, code: str) -> None:
    assert canonical_relationship(written) == code


def test_unknown_relationships_are_refused_all_with_row_and_column(lab: Organisation) -> None:
    data = "sample,relationship\nREF-1,мать\nREF-2,тётя\nREF-3,cousin\nREF-4,\nREF-1,отец\n".encode()
    with pytest.raises(ImportRefused) as refused:
        register_reference_samples(None, lab, "refs.csv", data)
    where = {(e.row, e.column) for e in refused.value.errors}
    assert where == {(3, "relationship"), (4, "relationship"), (5, "relationship"), (6, "sample")}
    assert not Sample.objects.exists()  # nothing written
    created = register_reference_samples(None, lab, "refs.csv", "sample,relationship\nREF-1,мать\n".encode())
    assert [s.relationship for s in created] == ["mother"]


def test_reference_sample_request_must_exist(lab: Organisation) -> None:
    with pytest.raises(ImportRefused, match="row 2, column 'request': no tracing request 'TR-NOPE'"):
        register_reference_samples(None, lab, "r.csv", b"sample,relationship,request\nREF-9,mother,TR-NOPE\n")


def test_register_sample_refuses_a_relationship_outside_the_list(lab: Organisation) -> None:
    with pytest.raises(SampleError, match="not in the list"):
        register_sample(None, lab, "REF-10", "reference", "aunt")
    assert register_sample(None, lab, "REF-10", "reference", "отец").relationship == "father"
    with pytest.raises(SampleError, match="only a reference sample"):
        register_sample(None, lab, "RS-10", "remains", "mother")


def test_every_problem_of_a_genotype_file_is_reported(lab: Organisation) -> None:
    register_sample(None, lab, "S-1", "remains")
    other = Organisation.objects.create(name="Other lab", slug="other", is_lab=True)
    register_sample(None, other, "S-X", "remains")
    data = b"sample,marker,allele1,allele2\nS-1,TH01,6,<b>\nS-X,TH01,6,7\nS-1,FGA,21,22\nS-1,FGA,21,22\n"
    with pytest.raises(ImportRefused) as refused:
        store_lab_profiles(None, lab, "g.csv", data)
    where = [(e.row, e.column) for e in refused.value.errors]
    # a bad allele, another lab's sample (reported as unknown), a repeated marker: all of them
    assert where == [(2, "allele2"), (3, "sample"), (5, "marker")]
    assert "not a sample held by your lab" in str(refused.value)
    assert not Sample.objects.exclude(profile="").exists()


def test_a_matched_sample_keeps_its_status_and_profile(lab: Organisation) -> None:
    profile = {"TH01": ["6", "7"]}
    # direct write: a matched sample without the whole identification that matches it
    Sample.objects.create(
        code="S-1", kind="remains", lab=lab, status=Sample.Status.MATCHED, profile=json.dumps(profile)
    )
    same = store_lab_profiles(None, lab, "g.csv", b"sample,marker,allele1,allele2\nS-1,TH01,6,7\n")
    assert same.unchanged == ["S-1"] and same.run is None
    with pytest.raises(ImportRefused, match="part of a DNA identification"):
        store_lab_profiles(None, lab, "g.csv", b"sample,marker,allele1,allele2\nS-1,TH01,6,8\n")
    with pytest.raises(ImportRefused, match="not even by a re-analysis"):
        store_lab_profiles(
            None, lab, "g.csv", b"sample,marker,allele1,allele2\nS-1,TH01,6,8\n", reanalysis=True
        )
    sample = Sample.objects.get(code="S-1")
    assert sample.status == Sample.Status.MATCHED and json.loads(sample.profile) == profile


def test_lab_console_lists_the_accepted_relationships_in_the_users_language() -> None:
    world: World = build_world()
    client = verified_client(world.a.users["lab_analyst"], world.a.devices["lab_analyst"])
    russian = client.get("/ru/lab/").content.decode()
    assert "мать" in russian and "дочь" in russian and "<code>daughter</code>" in russian
    ukrainian = client.get("/uk/lab/").content.decode()
    assert "дружина" in ukrainian
