"""Issue 17, the DNA paths: a lab stores pedigrees and registers references only for the requests of the
organisations it works for (``Organisation.labs``), answers an unknown and another organisation's request
number with the same words, and no DNA path uses the family of a request without its DNA consent.

Driven through the lab console (password + TOTP sign-in), the CLI and the partner API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kinlink.api.models import ApiToken
from kinlink.cli import main
from kinlink.exchange.genotypes import genotype_csv
from kinlink.identification.models import StoredPedigree
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Sample, TracingRequest
from kinlink.registry.services.family_intake import FamilyRequest
from tests.portal.portal_world import Side, World, build_world, signed_in_client

pytestmark = pytest.mark.django_db

#: A family line 1,500 generations deep (3,001 members): the person sought at the bottom, the lab's
#: reference sample given by the founder's wife.
GENERATIONS = 1500


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def _csv(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _deep_pedigree(number: str, sample: str) -> str:
    rows = [
        "family,id,father,mother,sex,sample,missing",
        f"{number},G0,,,male,,0",
        f"{number},W0,,,female,{sample},0",
    ]
    for g in range(1, GENERATIONS):
        rows.append(f"{number},W{g},,,female,,0")
        rows.append(f"{number},G{g},G{g - 1},W{g - 1},male,,0")
    rows.append(f"{number},MP,G{GENERATIONS - 1},W{GENERATIONS - 1},male,,1")
    return "\n".join(rows) + "\n"


def _two_rows(number: str, sample: str) -> str:
    return (
        "family,id,father,mother,sex,sample,missing\n"
        f"{number},MO,,,female,{sample},0\n{number},MP,,MO,male,,1\n"
    )


def _lab(side: Side) -> Client:
    return signed_in_client(side.users["lab_analyst"], side.devices["lab_analyst"])


def _problems(response: object) -> list[str]:
    """The lines of the error report on the lab console, with the request number taken out."""
    body = response.content.decode()  # type: ignore[attr-defined]
    return re.findall(r"ped\.csv: row \d+, column &#x27;\w+&#x27;: [^<]*|r\.csv: row \d+, column [^<]*", body)


def test_a_deep_pedigree_is_stored_and_another_lab_cannot_replace_it(world: World) -> None:
    own = _lab(world.a)
    number = world.a.request.number
    stored = own.post(
        "/en/lab/pedigrees/upload",
        {"pedigrees-pedigree_file": _csv("ped.csv", _deep_pedigree(number, "BC-a-001"))},
    )
    assert stored.status_code == 302, _problems(stored)
    pedigree = StoredPedigree.objects.get(tracing_request=world.a.request)
    assert pedigree.members.count() == 2 * GENERATIONS + 1

    # lab B works for organisation B only: its two-row upload for A's request is refused, nothing replaced
    other = _lab(world.b)
    takeover = other.post(
        "/en/lab/pedigrees/upload",
        {"pedigrees-pedigree_file": _csv("ped.csv", _two_rows(number, "BC-b-001"))},
    )
    assert takeover.status_code == 400
    pedigree.refresh_from_db()
    assert pedigree.members.count() == 2 * GENERATIONS + 1 and pedigree.source_file == "ped.csv"
    assert Sample.objects.get(code="BC-b-001").tracing_request is None
    assert AuditEntry.objects.filter(action="import_pedigree").count() == 1

    # the same words for a request number that does not exist: B learns nothing about A's request
    made_up = "TR-2099-999999"
    assert not TracingRequest.objects.filter(number=made_up).exists()
    unknown = other.post(
        "/en/lab/pedigrees/upload",
        {"pedigrees-pedigree_file": _csv("ped.csv", _two_rows(made_up, "BC-b-001"))},
    )
    assert unknown.status_code == 400
    said = [p.replace(number, "N") for p in _problems(takeover)]
    assert said == [p.replace(made_up, "N") for p in _problems(unknown)]
    assert said and "no tracing request" in said[0]


def test_reference_registration_names_only_the_labs_requests_in_the_same_words(world: World) -> None:
    other = _lab(world.b)
    foreign = other.post(
        "/en/lab/references/upload",
        {
            "references-csv_file": _csv(
                "r.csv", f"sample,relationship,request\nREF-B1,mother,{world.a.request.number}\n"
            )
        },
    )
    unknown = other.post(
        "/en/lab/references/upload",
        {"references-csv_file": _csv("r.csv", "sample,relationship,request\nREF-B1,mother,TR-2099-999999\n")},
    )
    assert foreign.status_code == unknown.status_code == 400
    assert [p.replace(world.a.request.number, "N") for p in _problems(foreign)] == [
        p.replace("TR-2099-999999", "N") for p in _problems(unknown)
    ]
    assert not Sample.objects.filter(code="REF-B1").exists()
    # its own organisation's request is accepted
    own = other.post(
        "/en/lab/references/upload",
        {
            "references-csv_file": _csv(
                "r.csv", f"sample,relationship,request\nREF-B1,mother,{world.b.request.number}\n"
            )
        },
    )
    assert own.status_code == 302
    assert Sample.objects.get(code="REF-B1").tracing_request == world.b.request


def _without_consent(side: Side) -> TracingRequest:
    request, _code = actions.submit_tracing_request(
        FamilyRequest(
            surname="Nodna",
            given_name="",
            relationship="mother",
            consent_organisations=[side.org],
            consent_dna=False,
        )
    )
    return request


def test_no_pedigree_or_reference_for_a_family_without_dna_consent(world: World) -> None:
    request = _without_consent(world.a)
    lab = _lab(world.a)
    pedigree = lab.post(
        "/en/lab/pedigrees/upload",
        {"pedigrees-pedigree_file": _csv("ped.csv", _two_rows(request.number, "BC-a-001"))},
    )
    assert pedigree.status_code == 400 and "has not agreed to give DNA" in pedigree.content.decode()
    assert not StoredPedigree.objects.exists()
    assert Sample.objects.get(code="BC-a-001").tracing_request is None
    references = lab.post(
        "/en/lab/references/upload",
        {
            "references-csv_file": _csv(
                "r.csv", f"sample,relationship,request\nREF-A9,mother,{request.number}\n"
            )
        },
    )
    assert references.status_code == 400 and "has not agreed to give DNA" in references.content.decode()
    assert not Sample.objects.filter(code="REF-A9").exists()
    with pytest.raises(ValueError, match="has not agreed to give DNA"):
        actions.attach_sample(None, world.a.sample, tracing_request=request)


def test_no_profile_is_stored_for_a_family_that_withdrew_dna_consent(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    actions.attach_sample(None, world.a.sample, tracing_request=world.a.request)
    # direct write: the family withdraws its DNA consent (withdrawal is another helper's action)
    TracingRequest.objects.filter(pk=world.a.request.pk).update(consent_dna=False)
    profile = {"D3S1358": ["15", "16"], "TH01": ["9.3", "9.3"]}
    path = tmp_path / "g.csv"
    path.write_bytes(genotype_csv({"BC-a-001": profile}))
    assert main(["exchange", "genotypes-import", str(path), "--lab", world.a.lab.slug]) == 1
    err = capsys.readouterr().err
    assert "g.csv: row 2, column 'sample'" in err and "has not agreed to give DNA" in err
    assert world.a.request.number not in err  # the lab works by barcode only
    _, token = ApiToken.issue(world.a.lab, "lab robot", ["lab:upload"])
    api = Client().put(
        "/api/v1/samples/BC-a-001/profile",
        data=json.dumps({"markers": profile}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert api.status_code == 400 and "has not agreed to give DNA" in api.json()["detail"]
    console = _lab(world.a).post(
        "/en/lab/profiles/upload",
        {"profiles-csv_file": _csv("p.csv", genotype_csv({"BC-a-001": profile}).decode())},
    )
    assert console.status_code == 400 and "has not agreed to give DNA" in console.content.decode()
    assert Sample.objects.get(code="BC-a-001").profile == ""
    assert not AuditEntry.objects.filter(action="load_profile").exists()
