from __future__ import annotations

from django.test import Client

from tests.portal.portal_world import World, family_client, verified_client


def test_pages_render(world: World) -> None:
    a = world.a
    cw = verified_client(a.users["caseworker"], a.devices["caseworker"])
    for url in [
        "/en/staff/",
        f"/en/staff/cases/{a.case.pk}/",
        f"/ru/staff/cases/{a.case.pk}/",
        "/en/staff/search?name=Ivanov",
        f"/en/staff/requests/{a.request.pk}/",
        f"/en/staff/persons/{a.person.pk}/",
    ]:
        r = cw.get(url)
        assert r.status_code == 200, (url, r.content[:3000])
    lab = verified_client(a.users["lab_analyst"], a.devices["lab_analyst"])
    assert lab.get("/en/lab/").status_code == 200
    fam = family_client(a)
    r = fam.get("/ru/request/follow")
    assert r.status_code == 200
    assert Client().get("/ru/request/new").status_code == 200
