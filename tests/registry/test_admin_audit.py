"""Every view of a sensitive model in the Django admin is on the audit trail: lists and records."""

from __future__ import annotations

from kinlink.registry.models import AuditEntry
from tests.portal import conftest
from tests.portal.portal_world import World, signed_in_client

world = conftest.world  # the portal tests' two organisations


def test_admin_lists_and_records_of_sensitive_models_are_audited(world: World) -> None:
    user = world.a.users["administrator"]
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client = signed_in_client(user, world.a.devices["administrator"])
    pages = [
        ("/en/admin/registry/person/", "person", "*"),
        (f"/en/admin/registry/person/{world.a.person.pk}/change/", "person", str(world.a.person.pk)),
        ("/en/admin/registry/sample/", "sample", "*"),
        (f"/en/admin/registry/case/{world.a.case.pk}/change/", "case", str(world.a.case.pk)),
        ("/en/admin/registry/familymessage/", "familymessage", "*"),
        ("/en/admin/documents/inquiry/", "inquiry", "*"),
    ]
    for url, model, object_id in pages:
        assert client.get(url).status_code == 200, url
        assert AuditEntry.objects.filter(
            action="admin_view", actor=user, object_type=model, object_id=object_id
        ).exists(), url
