"""Every console page and API list asks the database a bounded number of queries: the same number with N
rows as with 3N (no query per row), and never more than the page's bound (docs/operator.md, "Performance").

Each page is measured with a cold cache (the cached fragments are computed in the measured request), on
the portal world grown by N rows of everything the pages list, then by 2N more.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kinlink.api.models import ApiToken
from kinlink.matching.models import CandidateLink
from kinlink.registry import actions
from kinlink.registry.models import Remains, Sample, Site
from kinlink.registry.services.family_intake import FamilyRequest
from tests.portal.portal_world import World, verified_client
from tests.portal.test_dna_candidates import make_candidate

N = 4

#: The most queries each page may ask (sessions, sign-in and second factor, audit included).
BOUNDS = {
    "staff_home": 40,
    "case_list": 15,
    "requests_queue": 15,
    "claims_queue": 15,
    "messages_queue": 15,
    "search": 20,
    "request": 20,
    "person": 20,
    "case": 40,
    "links": 20,
    "link": 25,
    "dna_queue": 20,
    "dna_candidate": 30,
    "field_sites": 15,
    "field_remains": 40,
    "lab_home": 20,
    "lab_sample": 20,
    "api_persons": 10,
    "api_requests": 10,
    "api_remains": 10,
    "api_samples": 10,
    "api_person_claims": 12,
}


def _grow(world: World, start: int, count: int) -> None:
    """``count`` more of every row the pages list: families' requests with cases and claims, messages,
    candidate links, DNA candidates, lab samples, remains and sites."""
    a = world.a
    source = actions.add_source(None, kind="unit_notice", name=f"Unit list {start}", date="2022-05-01")
    site = Site.objects.filter(name="Field grave near Hostomel").first()
    assert site is not None
    for i in range(start, start + count):
        request, _code = actions.submit_tracing_request(
            FamilyRequest(
                surname=f"Петров{i}",
                given_name="Иван",
                sex="M",
                birth_date="1990",
                relationship="mother",
                contact=f"+7 900 {i:07d}",
                enquirer_name=f"Mother {i}",
                circumstances=f"Last seen near Bakhmut ({i})",
                consent_organisations=[a.org],
            )
        )
        person = request.person
        case = actions.open_case(None, person, a.org)
        actions.add_claim(None, person, source, fate="missing", date="2022-03-30", place=f"Place {i}")
        actions.add_claim(None, a.person, source, fate="missing", date="2022-03-31", site=site)
        actions.send_message(None, request, f"Any news? ({i})", from_family=True)
        actions.release_update(None, a.request, f"Update {i}")
        actions.add_case_task(None, case, f"Task {i}", None)
        # direct write: a candidate link with set figures (linkage computes its own)
        CandidateLink.objects.create(
            person_a=a.person, person_b=person, match_probability=0.9, match_weight=3.0, fingerprint=str(i)
        )
        make_candidate(a, tag=f"q{i}", posterior=0.5)
        # direct write: a family's reference sample the screening matched (the home page's candidate queue)
        Sample.objects.create(
            code=f"M-{i}", kind="reference", tracing_request=request, lab=a.lab, status="matched"
        )
        actions.register_remains(None, code=f"GR-bulk-{i}", condition="skeletal", site=site)


def _count(client: Client, method: str, url: str, data: dict[str, str] | None = None) -> int:
    cache.clear()  # the fragments are computed in the measured request
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, data or {}) if method == "post" else client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


def _pages(world: World) -> dict[str, tuple[str, str, str, dict[str, str] | None]]:
    a = world.a
    link = CandidateLink.objects.filter(person_a=a.person).order_by("pk").first()
    candidate = make_candidate(a, tag="page")
    remains = Remains.objects.get(code="GR-bulk-0")  # its candidates: every missing person
    assert link is not None
    return {
        "staff_home": ("caseworker", "get", "/en/staff/", None),
        "case_list": ("caseworker", "get", "/en/staff/queues/cases/", None),
        "requests_queue": ("caseworker", "get", "/en/staff/queues/requests/", None),
        "claims_queue": ("caseworker", "get", "/en/staff/queues/claims/", None),
        "messages_queue": ("caseworker", "get", "/en/staff/queues/messages/", None),
        "search": ("caseworker", "post", "/en/staff/search", {"name": "Петров"}),
        "request": ("caseworker", "get", f"/en/staff/requests/{a.request.pk}/", None),
        "person": ("caseworker", "get", f"/en/staff/persons/{a.person.pk}/", None),
        "case": ("caseworker", "get", f"/en/staff/cases/{a.case.pk}/", None),
        "links": ("caseworker", "get", "/en/staff/links/", None),
        "link": ("caseworker", "get", f"/en/staff/links/{link.pk}/", None),
        "dna_queue": ("caseworker", "get", "/en/staff/dna/", None),
        "dna_candidate": ("caseworker", "get", f"/en/staff/dna/{candidate.pk}/", None),
        "field_sites": ("caseworker", "get", "/en/staff/field/sites/", None),
        "field_remains": ("caseworker", "get", f"/en/staff/field/remains/{remains.pk}/", None),
        "lab_home": ("lab_analyst", "get", "/en/lab/", None),
        "lab_sample": ("lab_analyst", "get", f"/en/lab/samples/{a.sample.pk}/", None),
        "api_persons": ("api", "get", "/api/v1/persons?limit=500", None),
        "api_requests": ("api", "get", "/api/v1/requests?limit=500", None),
        "api_remains": ("api", "get", "/api/v1/remains?limit=500", None),
        "api_samples": ("api_lab", "get", "/api/v1/samples?limit=500", None),
        "api_person_claims": ("api", "get", f"/api/v1/persons/{a.person.uid}/claims", None),
    }


@pytest.fixture
def clients(world: World) -> dict[str, Client]:
    a = world.a
    _, token = ApiToken.issue(a.org, "bounds", ["read:cases"])
    _, lab_token = ApiToken.issue(a.lab, "bounds lab", ["lab:upload"])
    return {
        "caseworker": verified_client(a.users["caseworker"], a.devices["caseworker"]),
        "lab_analyst": verified_client(a.users["lab_analyst"], a.devices["lab_analyst"]),
        "api": Client(HTTP_AUTHORIZATION=f"Bearer {token}"),
        "api_lab": Client(HTTP_AUTHORIZATION=f"Bearer {lab_token}"),
    }


def test_every_page_asks_as_many_queries_for_3n_rows_as_for_n(
    world: World, clients: dict[str, Client], django_assert_max_num_queries: Any
) -> None:
    from kinlink.identification import actions as lab_actions

    _grow(world, 0, N)
    for i in range(N):
        lab_actions.register_sample(None, world.a.lab, f"BC-bounds-{i}", "reference", relationship="mother")
    pages = _pages(world)
    small = {
        name: _count(clients[who], method, url, data) for name, (who, method, url, data) in pages.items()
    }
    _grow(world, N, 2 * N)
    for i in range(N, 3 * N):
        lab_actions.register_sample(None, world.a.lab, f"BC-bounds-{i}", "reference", relationship="mother")
    large = {
        name: _count(clients[who], method, url, data) for name, (who, method, url, data) in pages.items()
    }
    grew = {name: (small[name], large[name]) for name in pages if large[name] > small[name]}
    assert not grew, f"queries grew with the rows (N -> 3N): {grew}"
    for name, (who, method, url, data) in pages.items():
        cache.clear()
        with django_assert_max_num_queries(BOUNDS[name]):
            client = clients[who]
            response = client.post(url, data or {}) if method == "post" else client.get(url)
        assert response.status_code == 200


def test_the_home_page_lists_rows_it_counts(world: World, clients: dict[str, Client]) -> None:
    """The bounded lists still show what is there: the newest requests and the counts of the queues."""
    _grow(world, 0, N)
    page = clients["caseworker"].get("/en/staff/").content.decode()
    assert f"Open cases ({1 + N})" in page
    assert "Петров0" in page and f"Петров{N - 1}" in page
    assert f"Messages from families ({N})" in page


def test_the_home_page_from_its_fragment_asks_only_the_sign_in_queries(
    world: World, clients: dict[str, Client], django_assert_max_num_queries: Any
) -> None:
    """Once its queues are cached, the home page asks the session's, the sign-in's and the reader's
    organisations' queries, whatever the registry holds."""
    _grow(world, 0, N)
    client = clients["caseworker"]
    cache.clear()
    assert client.get("/en/staff/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/en/staff/").status_code == 200
