"""Partner API: hashed tokens, scopes per endpoint, each organisation sees its own and shared cases only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from kinlink.api.models import ApiToken, find_token
from kinlink.identification import actions as lab_actions
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Case, Claim, Organisation, Person, Sample
from kinlink.registry.services.family_intake import FamilyRequest
from kinlink.registry.services.fate import assess_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    org = Organisation.objects.create(name="Поиск", slug="poisk")
    other = Organisation.objects.create(name="Other", slug="other")
    lab = Organisation.objects.create(name="Lab", slug="lab", is_lab=True)
    request, _code = actions.submit_tracing_request(
        FamilyRequest(
            surname="Кузнецов",
            given_name="Алексей",
            sex="M",
            unit="в/ч 12345",
            relationship="мать",
            contact="+7 900 000-00-00",
            enquirer_name="Мария",
            consent_organisations=[org],
        )
    )
    person = request.person
    hidden = actions.add_person(None, names=[], reason="api test", sex="M")
    case = actions.open_case(None, person, org)
    hidden_case = actions.open_case(None, hidden, other)
    source = actions.add_source(
        None, kind="unit_notice", name="Извещение", organisation=org, date="2024-04-05"
    )
    actions.add_claim(None, person, source, fate="missing", date="2024-02-14")
    remains = actions.register_remains(None, code="R-1", identified_person=person)
    sample = lab_actions.register_sample(None, lab, "S-1", "remains")
    actions.attach_sample(None, sample, remains=remains)
    _, read = ApiToken.issue(org, "reader", ["read:cases"])
    _, write = ApiToken.issue(org, "writer", ["read:cases", "write:claims"])
    _, lab_token = ApiToken.issue(lab, "lab", ["lab:upload"])
    _, other_token = ApiToken.issue(other, "other", ["read:cases", "write:claims"])
    return {
        "person": person,
        "hidden": hidden,
        "request": request.number,
        "case": case.number,
        "hidden_case": hidden_case.number,
        "source": source,
        "read": read,
        "write": write,
        "lab": lab_token,
        "other": other_token,
    }


def call(method: str, path: str, token: str | None, body: Any = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    client = Client()
    if body is None:
        return getattr(client, method)(path, **headers)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json", **headers)


def test_tokens_are_hashed_at_rest_and_checked(world: dict[str, Any]) -> None:
    row = find_token(world["read"])
    assert row is not None and world["read"] not in row.token_hash
    assert find_token(world["read"] + "x") is None
    assert call("get", "/api/v1/persons", None).status_code == 401
    assert call("get", "/api/v1/persons", "kl_nothing_here").status_code == 401


def test_reads_are_scoped_to_the_organisation_and_never_carry_contacts(world: dict[str, Any]) -> None:
    persons = call("get", "/api/v1/persons", world["read"]).json()
    assert [p["uid"] for p in persons] == [str(world["person"].uid)]
    assert persons[0]["names"][0]["surname"] == "Кузнецов"
    assert call("get", f"/api/v1/persons/{world['hidden'].uid}", world["read"]).status_code == 404
    request = call("get", f"/api/v1/requests/{world['request']}", world["read"])
    assert request.status_code == 200
    assert "+7 900" not in request.content.decode() and "Мария" not in request.content.decode()
    case = call("get", f"/api/v1/cases/{world['case']}", world["read"])
    assert case.json()["jurisdiction"] == "RU-participant"
    assert call("get", f"/api/v1/cases/{world['hidden_case']}", world["read"]).status_code == 404
    assert AuditEntry.objects.filter(
        action="api_read_case", object_id=str(Case.objects.get(number=world["case"]).pk)
    ).exists()
    claims = call("get", f"/api/v1/persons/{world['person'].uid}/claims", world["read"]).json()
    # the family's report (made with the request) and the unit notice
    assert [c["fate"] for c in claims] == ["missing", "missing"]
    candidates = call("get", f"/api/v1/persons/{world['person'].uid}/candidates", world["read"]).json()
    assert candidates == [{"remains": "R-1", "basis": "identified"}]
    assert call("get", "/api/v1/remains/R-1", world["read"]).json()["code"] == "R-1"


def test_scopes_are_enforced_per_endpoint(world: dict[str, Any]) -> None:
    body = {"kind": "testimony", "name": "Показания", "date": "2024-05-20"}
    assert call("post", "/api/v1/sources", world["read"], body).status_code == 403
    assert call("get", "/api/v1/samples/S-1", world["read"]).status_code == 403
    assert call("get", "/api/v1/persons", world["lab"]).status_code == 403


def test_write_a_source_and_a_claim(world: dict[str, Any]) -> None:
    source = call(
        "post",
        "/api/v1/sources",
        world["write"],
        {"kind": "testimony", "name": "Показания", "date": "2024-05-20", "reliability": "C"},
    )
    assert source.status_code == 201 and source.json()["date"] == "2024-05-20"
    claim = call(
        "post",
        "/api/v1/claims",
        world["write"],
        {
            "person": str(world["person"].uid),
            "source": source.json()["id"],
            "fate": "wounded",
            "date": "2024-02-14",
            "circumstances": "видел раненым",
        },
    )
    assert claim.status_code == 201, claim.content
    assert Claim.objects.filter(person=world["person"], fate="wounded").exists()
    # written through the registry's actions: its audit vocabulary, the token as the actor, the stored fate
    token = find_token(world["write"])
    assert token is not None
    entry = AuditEntry.objects.get(action="add_claim", object_id=str(claim.json()["id"]))
    assert entry.actor_label == f"api token {token.pk}" and entry.actor is None
    assert AuditEntry.objects.filter(action="add_source", actor_label=f"api token {token.pk}").exists()
    person = Person.objects.get(pk=world["person"].pk)
    assert person.fate == assess_person(person).fate
    read_back = call("get", f"/api/v1/persons/{person.uid}", world["read"])
    assert read_back.json()["fate"] == person.fate
    bad = call(
        "post",
        "/api/v1/claims",
        world["write"],
        {"person": str(world["person"].uid), "source": source.json()["id"], "fate": "teleported"},
    )
    assert bad.status_code == 422 and "fate" in json.dumps(bad.json()["detail"])
    # another organisation cannot write about a person it cannot see
    theirs = call("post", "/api/v1/sources", world["other"], {"kind": "testimony", "name": "X"})
    refused = call(
        "post",
        "/api/v1/claims",
        world["other"],
        {"person": str(world["person"].uid), "source": theirs.json()["id"], "fate": "dead"},
    )
    assert refused.status_code == 404
    assert not Claim.objects.filter(fate="dead").exists()


def test_lab_uploads_a_profile_and_script_alleles_are_refused(world: dict[str, Any]) -> None:
    good = call(
        "put",
        "/api/v1/samples/S-1/profile",
        world["lab"],
        {"markers": {"D3S1358": ["15", "16"], "TH01": ["9.3", "9.3"], "AMEL": ["X", "Y"]}},
    )
    assert good.status_code == 200 and good.json()["has_profile"] is True
    assert json.loads(Sample.objects.get(code="S-1").profile)["TH01"] == ["9.3", "9.3"]
    hostile = call(
        "put", "/api/v1/samples/S-1/profile", world["lab"], {"markers": {"D3S1358": ["<script>", "16"]}}
    )
    assert hostile.status_code == 422
    assert "<script>" not in Sample.objects.get(code="S-1").profile
    assert AuditEntry.objects.filter(action="load_profile").count() == 1


def test_openapi_schema_is_published(world: dict[str, Any]) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    for expected in (
        "/api/v1/persons",
        "/api/v1/requests",
        "/api/v1/claims",
        "/api/v1/sources",
        "/api/v1/remains",
        "/api/v1/samples/{code}/profile",
        "/api/v1/persons/{uid}/candidates",
    ):
        assert expected in paths


def test_cli_creates_lists_and_revokes_tokens(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from kinlink.cli import main

    assert main(["api-token", "create", "--org", "poisk", "--name", "partner", "--scope", "read:cases"]) == 0
    token = capsys.readouterr().out.strip()
    assert call("get", "/api/v1/persons", token).status_code == 200
    prefix = token.split("_")[1]
    assert main(["api-token", "list"]) == 0
    assert prefix in capsys.readouterr().out and token not in ApiToken.objects.get(prefix=prefix).token_hash
    assert main(["api-token", "revoke", prefix]) == 0
    assert call("get", "/api/v1/persons", token).status_code == 401
    made = AuditEntry.objects.filter(object_type="apitoken", actor_label="kinlink cli")
    assert sorted(made.values_list("action", flat=True)) == ["create_api_token", "revoke_api_token"]
    assert main(["api-token", "create", "--org", "nowhere", "--name", "x", "--scope", "read:cases"]) == 1
