"""End to end through HTTP, with the real password and TOTP sign-in: a caseworker adds a source and a claim
on the case page, sees the stored fate change, retracts the claim, and sees the fate change back."""

from __future__ import annotations

import pytest

from kinlink.registry.models import AuditEntry, Claim, ClaimRetraction, Person, Source
from tests.portal.portal_world import World, signed_in_client

pytestmark = pytest.mark.django_db


def stored_fate(world: World) -> tuple[str, str]:
    person = Person.objects.get(pk=world.b.person.pk)
    return person.fate, person.fate_confidence


def test_add_a_source_and_claim_then_retract_it_changes_the_stored_fate(world: World) -> None:
    caseworker = world.b.users["caseworker"]
    client = signed_in_client(caseworker, world.b.devices["caseworker"])
    case_url = f"/en/staff/cases/{world.b.case.pk}"
    assert stored_fate(world) == ("dead", "probable")  # the unit's notice of death alone

    response = client.post(
        f"{case_url}/claims/add",
        {
            "source_kind": "exchange_list",
            "source_name": "Exchange list 14 September",
            "source_origin": "Coordination headquarters",
            "source_date": "2022-09-14",
            "reliability": "A",
            "fate": "alive",
            "date": "2022-09-01",
            "place": "exchange point",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = Source.objects.get(name="Exchange list 14 September")
    assert source.organisation == world.b.org and source.created_by == caseworker
    claim = Claim.objects.get(source=source)
    assert claim.person_id == world.b.person.pk and claim.created_by == caseworker
    assert stored_fate(world) == ("alive", "disputed")
    page = client.get(f"{case_url}/").content.decode()
    assert "Exchange list 14 September" in page and "Fate: alive" in page

    response = client.post(f"{case_url}/claims/{claim.pk}/retract", {"reason": "another man of that name"})
    assert response.status_code == 302
    retraction = ClaimRetraction.objects.get(claim=claim)
    assert retraction.retracted_by == caseworker and retraction.reason == "another man of that name"
    assert stored_fate(world) == ("dead", "probable")
    page = client.get(f"{case_url}/").content.decode()
    assert "another man of that name" in page and "Fate: dead" in page
    actions = list(
        AuditEntry.objects.filter(actor=caseworker)
        .exclude(action="view_case")
        .exclude(action__startswith="sign_in_")  # each step of the sign-in is audited too
        .values_list("action", flat=True)
    )
    assert sorted(actions) == ["add_claim", "add_source", "login", "retract_claim"]


def test_a_claim_of_another_organisations_case_cannot_be_retracted(world: World) -> None:
    client = signed_in_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    response = client.post(
        f"/en/staff/cases/{world.b.case.pk}/claims/{world.b.claim.pk}/retract", {"reason": "not ours"}
    )
    assert response.status_code == 404
    assert not ClaimRetraction.objects.exists()
    assert stored_fate(world) == ("dead", "probable")
