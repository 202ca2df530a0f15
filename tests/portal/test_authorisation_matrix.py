"""Every portal URL pattern × every role × own or foreign object.

Roles: anonymous visitor, a family signed in with its access code, caseworker, supervisor,
administrator and lab analyst of organisation A. "Own" objects belong to A, "foreign" ones to B.
Foreign objects must answer exactly like missing ones (404), and no page may show B's data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from kinlink.documents.actions import record_inquiry
from kinlink.portal.models import PasskeyDevice
from kinlink.registry.models import CaseTask
from tests.portal.portal_world import Side, World, current_token, family_client, verified_client
from tests.portal.test_dna_candidates import make_candidate

ROLES = ("anonymous", "family", "caseworker", "supervisor", "administrator", "lab_analyst")
CASE_ROLES = {"caseworker", "supervisor", "administrator"}


@dataclass(frozen=True)
class Spec:
    kind: str  # public, staff, supervisor, lab, family, auth
    method: str = "GET"
    kwargs: Callable[[Side], dict[str, Any]] | None = None
    data: Callable[[Side], dict[str, Any]] | None = None


def _case(side: Side) -> dict[str, Any]:
    return {"pk": side.case.pk}


def _inquiry(side: Side) -> dict[str, Any]:
    return {"pk": side.case.pk, "inquiry_pk": side.extra["inquiry"].pk}


def _task(side: Side) -> dict[str, Any]:
    task, _ = CaseTask.objects.get_or_create(case=side.case, title="Ask the unit again")
    return {"pk": side.case.pk, "task_pk": task.pk}


SPECS: dict[str, Spec] = {
    "home": Spec("public"),
    "figures": Spec("public"),
    "figures_csv": Spec("public"),
    "figures_method": Spec("public"),
    "request_new": Spec("public"),
    "request_submitted": Spec("public_redirect"),
    "follow": Spec("public"),
    "follow_link": Spec(
        "public_redirect", kwargs=lambda s: {"number": s.request.number, "code": "wrong-code"}
    ),
    "follow_link_open": Spec("public", kwargs=lambda s: {"token": "not-a-private-link-token"}),
    "follow_message": Spec("family", "POST", data=lambda s: {"body": "Any news?"}),
    "follow_documents": Spec("family", "POST", data=lambda s: {}),
    "follow_leave": Spec("public_redirect", "POST"),
    "follow_withdraw": Spec("family"),
    # without the box ticked: the confirmation page again, nothing withdrawn
    "follow_withdraw_dna": Spec("family", "POST", data=lambda s: {}),
    "follow_withdraw_request": Spec("family", "POST", data=lambda s: {}),
    "request_withdrawn": Spec("public_redirect"),
    "follow_inquiry": Spec(
        "family",
        "POST",
        data=lambda s: {
            "family-inquiry-addressee_kind": "ministry",
            "family-inquiry-addressee": "Hotline",
            "family-inquiry-channel": "hotline",
            "family-inquiry-asked_on": "2022-04-05",
            "family-inquiry-question": "Any news?",
        },
    ),
    "login": Spec("public"),
    "login_otp": Spec("public_redirect"),
    "logout": Spec("public_redirect", "POST"),
    # The passkey step of the sign-in answers 403 (JSON) until a password was given in this session.
    "login_passkey_options": Spec("pending_sign_in", "POST"),
    "login_passkey": Spec("pending_sign_in", "POST"),
    # Every staff member's own account page; what it shows is always his own.
    "account": Spec("account"),
    "account_recovery_codes": Spec("account", "POST"),
    "account_passkey_options": Spec("account", "POST"),
    "account_passkey_register": Spec("account", "POST"),
    "account_passkey_remove": Spec("account_object", "POST", kwargs=lambda s: {"pk": s.extra["passkey"].pk}),
    "lockouts": Spec("administrator"),
    "lockout_lift": Spec("administrator", "POST", data=lambda s: {"username": "caseworker-b"}),
    "staff_home": Spec("staff"),
    "staff_search": Spec("staff"),
    "queue_requests": Spec("staff"),
    "queue_messages": Spec("staff"),
    "queue_claims": Spec("staff"),
    "queue_cases": Spec("staff"),
    "staff_request": Spec("staff", kwargs=lambda s: {"pk": s.request.pk}),
    "open_case": Spec("staff", "POST", kwargs=lambda s: {"pk": s.request.pk}),
    "close_request": Spec("staff", "POST", kwargs=lambda s: {"pk": s.request.pk}),
    "person": Spec("staff", kwargs=lambda s: {"pk": s.person.pk}),
    "attachment": Spec("staff", kwargs=lambda s: {"pk": s.extra["attachment"].pk}),
    "case": Spec("staff", kwargs=_case),
    "case_add_claim": Spec(
        "staff",
        "POST",
        kwargs=_case,
        data=lambda s: {"source": s.claim.source_id, "fate": "alive", "reliability": "C", "date": "2022-04"},
    ),
    "case_retract_claim": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.case.pk, "claim_pk": s.claim.pk},
        data=lambda s: {"reason": "typo"},
    ),
    "case_add_document": Spec("staff", "POST", kwargs=_case, data=lambda s: {"source": s.claim.source_id}),
    "case_link_event": Spec("staff", "POST", kwargs=_case, data=lambda s: {"event": s.extra["event"].pk}),
    "case_release_update": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.case.pk, "request_pk": s.request.pk},
        data=lambda s: {"body": "News"},
    ),
    "case_send_message": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.case.pk, "request_pk": s.request.pk},
        data=lambda s: {"body": "Hi"},
    ),
    "case_add_task": Spec("staff", "POST", kwargs=_case, data=lambda s: {"title": "Call the unit"}),
    "case_task_done": Spec("staff", "POST", kwargs=_task),
    "case_add_note": Spec("staff", "POST", kwargs=_case, data=lambda s: {"body": "Spoke to the mother"}),
    "case_legal_status": Spec(
        "supervisor",
        "POST",
        kwargs=_case,
        data=lambda s: {"to_status": "certificate_requested", "effective_on": "2024-01-10"},
    ),
    "case_add_inquiry": Spec(
        "staff",
        "POST",
        kwargs=_case,
        data=lambda s: {
            "inquiry-addressee_kind": "commissariat",
            "inquiry-addressee": "Commissariat",
            "inquiry-channel": "post",
            "inquiry-asked_on": "2022-06-01",
            "inquiry-question": "Certificate",
        },
    ),
    "case_inquiry_dates": Spec(
        "staff",
        "POST",
        kwargs=_inquiry,
        data=lambda s: {f"inquiry{s.extra['inquiry'].pk}-dates-received_on": "2022-06-05"},
    ),
    "case_inquiry_answer": Spec(
        "staff",
        "POST",
        kwargs=_inquiry,
        data=lambda s: {
            f"inquiry{s.extra['inquiry'].pk}-answer-answered_on": "2022-06-20",
            f"inquiry{s.extra['inquiry'].pk}-answer-answer": "No information",
            f"inquiry{s.extra['inquiry'].pk}-answer-reliability": "C",
        },
    ),
    "case_inquiry_follow_up": Spec(
        "staff",
        "POST",
        kwargs=_inquiry,
        data=lambda s: {
            f"inquiry{s.extra['inquiry'].pk}-follow_up-kind": "reminder",
            f"inquiry{s.extra['inquiry'].pk}-follow_up-addressee_kind": "military_unit",
            f"inquiry{s.extra['inquiry'].pk}-follow_up-addressee": "Unit",
            f"inquiry{s.extra['inquiry'].pk}-follow_up-channel": "post",
            f"inquiry{s.extra['inquiry'].pk}-follow_up-asked_on": "2022-08-01",
            f"inquiry{s.extra['inquiry'].pk}-follow_up-question": "Reminder",
        },
    ),
    "case_inquiry_letter": Spec(
        "staff", "POST", kwargs=_inquiry, data=lambda s: {f"inquiry{s.extra['inquiry'].pk}-letter-lang": "ru"}
    ),
    "case_inquiry_next_step": Spec(
        "staff",
        "POST",
        kwargs=_inquiry,
        data=lambda s: {
            f"inquiry{s.extra['inquiry'].pk}-next-step": "reminder:military_unit",
            f"inquiry{s.extra['inquiry'].pk}-next-addressee": "Unit",
            f"inquiry{s.extra['inquiry'].pk}-next-asked_on": "2022-08-01",
            f"inquiry{s.extra['inquiry'].pk}-next-lang": "ru",
        },
    ),
    "case_court_application": Spec(
        "staff", "POST", kwargs=_case, data=lambda s: {"court-kind": "recognise-missing", "court-lang": "ru"}
    ),
    "case_inquiry_review": Spec("staff", "POST", kwargs=_inquiry, data=lambda s: {"decision": "accept"}),
    "case_inquiry_share": Spec("staff", "POST", kwargs=_inquiry, data=lambda s: {"shared": "1"}),
    "links": Spec("staff"),
    "link": Spec("staff", kwargs=lambda s: {"pk": s.extra["link"].pk}),
    "link_accept": Spec(
        "staff", "POST", kwargs=lambda s: {"pk": s.extra["link"].pk}, data=lambda s: {"reason": "same unit"}
    ),
    "link_reject": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.extra["link"].pk},
        data=lambda s: {"reason": "other father"},
    ),
    "merge_undo": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.extra["merge"].pk},
        data=lambda s: {"undo-reason": "accepted by mistake"},
    ),
    "dna_candidates": Spec("staff"),
    "dna_candidate": Spec("staff", kwargs=lambda s: {"pk": s.extra["dna"].pk}),
    "dna_confirm": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.extra["dna"].pk},
        data=lambda s: {"confirm-reason": "teeth"},
    ),
    "dna_reject": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.extra["dna"].pk},
        data=lambda s: {"reject-reason": "other family"},
    ),
    "case_antemortem": Spec("staff", kwargs=_case),
    "field_sites": Spec("staff"),
    "field_site_new": Spec("staff"),
    "field_site": Spec("staff", kwargs=lambda s: {"pk": s.extra["site"].pk}),
    "field_site_exhumation": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.extra["site"].pk},
        data=lambda s: {"status": "located", "on": "2023-05-01"},
    ),
    "field_site_remains": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.extra["site"].pk},
        data=lambda s: {"code": f"R-new-{s.org.slug}", "recovered_on": "2023-07-01", "sex_estimate": "U"},
    ),
    "field_remains": Spec("staff", kwargs=lambda s: {"pk": s.extra["remains"].pk}),
    "field_remains_profile": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.extra["remains"].pk},
        data=lambda s: {"tag_number": "AA-1", "marks-TOTAL_FORMS": "0", "marks-INITIAL_FORMS": "0"},
    ),
    "field_remains_custody": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.extra["remains"].pk},
        data=lambda s: {
            "subject": f"remains:{s.extra['remains'].pk}",
            "step": "transfer",
            "on": "2023-08-01",
        },
    ),
    "field_remains_sample": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.extra["remains"].pk},
        data=lambda s: {"barcode": f"RB-{s.org.slug}", "on": "2023-07-03"},
    ),
    "field_remains_decide": Spec(
        "staff",
        "POST",
        kwargs=lambda s: {"pk": s.extra["remains"].pk, "person_pk": s.person.pk},
        data=lambda s: {"decision": "possible", f"p{s.person.pk}-reason": "same unit"},
    ),
    "field_batches": Spec("staff"),
    "field_batch_import": Spec("staff"),
    "lab_home": Spec("lab"),
    "lab_register_sample": Spec("lab", "POST", data=lambda s: {"code": "NEW-BARCODE-1", "kind": "reference"}),
    "lab_upload_profiles": Spec("lab", "POST", data=lambda s: {}),
    "lab_upload_references": Spec("lab", "POST", data=lambda s: {}),
    "lab_upload_pedigrees": Spec("lab", "POST", data=lambda s: {}),
    "lab_sample": Spec("lab", kwargs=lambda s: {"pk": s.sample.pk}),
}


def _portal_names() -> set[str]:
    resolver = get_resolver()
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        for sub in getattr(pattern, "url_patterns", []):
            if getattr(sub, "namespace", None) == "portal":
                names |= {p.name for p in sub.url_patterns if isinstance(p, URLPattern) and p.name}
    return names


def _client(world: World, role: str) -> Client:
    a = world.a
    if role == "anonymous":
        return Client()
    if role == "family":
        return family_client(a)
    return verified_client(a.users[role], a.devices[role])


def _expected(kind: str, role: str, own: bool) -> set[int] | str:
    """Allowed status codes, or 'login' / 'follow' for a redirect to that page."""
    if kind == "public":
        return {200}
    if kind == "public_redirect":
        return {302}
    if kind == "family":
        return {302, 200} if role == "family" else "follow"
    if kind == "pending_sign_in":
        return {403}  # no password given in this session (verified staff included: a new sign-in only)
    if role in ("anonymous", "family"):
        return "login"
    if kind == "account":
        return {200, 302, 400}
    if kind == "account_object":  # a passkey: its owner's only (none of the matrix's roles owns B's)
        return {404} if not own else {302, 404}
    if kind == "administrator":
        if role != "administrator":
            return {403}
        return {302, 200, 404}  # a lock of another organisation's account answers 404
    if kind == "staff":
        if role not in CASE_ROLES:
            return {403}
        return {200, 302, 400} if own else {404}
    if kind == "supervisor":
        if role not in ("supervisor", "administrator"):
            return {403}
        return {302, 400} if own else {404}
    if kind == "lab":
        if role != "lab_analyst":
            return {403}
        return {200, 302, 400} if own else {404}
    raise AssertionError(kind)


def _candidate_link(side: Side) -> Any:
    """A second record of the side's person (same surname), proposed as the same person."""
    from kinlink.matching.models import CandidateLink
    from kinlink.registry import actions

    surname = side.person.names.get().surname
    other = actions.add_person(
        None,
        names=[{"surname": surname, "given_name": "S.", "is_primary": True}],
        reason="a second record",
        birth_date=side.person.birth_date,
    )
    actions.open_case(None, other, side.org)
    explanation = [{"field": "surname", "status": "agree", "level": "exact", "match_weight": 7.5}]
    # direct write: a candidate with these exact figures (linkage computes its own)
    return CandidateLink.objects.create(
        person_a=side.person,
        person_b=other,
        match_probability=0.93,
        match_weight=3.7,
        explanation=explanation,
        fingerprint="0" * 64,
    )


def _accepted_merge(side: Side) -> Any:
    """A third record of the side's person, merged through an accepted link (to be undone)."""
    from kinlink.matching.actions import accept_link
    from kinlink.matching.models import CandidateLink
    from kinlink.registry import actions

    third = actions.add_person(
        None,
        names=[{"surname": "Merged", "given_name": "M.", "is_primary": True}],
        reason="a third record",
        birth_date=side.person.birth_date,
    )
    actions.open_case(None, third, side.org)
    # direct write: a candidate with these exact figures (linkage computes its own)
    link = CandidateLink.objects.create(
        person_a=side.person,
        person_b=third,
        match_probability=0.97,
        match_weight=5.0,
        explanation=[],
        fingerprint="1" * 64,
    )
    return accept_link(None, link, "same man")


def _field(side: Side) -> tuple[Any, Any]:
    """A grave reported by the side's own testimony, and remains recovered from it."""
    import datetime as dt

    from kinlink.field import actions as field_actions
    from kinlink.identification.actions import register_sample
    from kinlink.registry import actions

    source = actions.add_source(
        None, kind="testimony", name=f"Comrade {side.org.slug}", organisation=side.org
    )
    site = field_actions.record_site(
        None, name=f"Grave {side.org.slug}", kind="field_grave", reported_by=source
    )
    remains = field_actions.recover_remains(
        None, code=f"R-{side.org.slug}", site=site, recovered_on=dt.date(2023, 7, 1)
    )
    register_sample(None, side.lab, f"RB-{side.org.slug}", "remains")
    return site, remains


def _prepare(world: World) -> None:
    from kinlink.registry.models import Event
    from kinlink.registry.services.uploads import store_upload

    for side in (world.a, world.b):
        side.extra["attachment"] = store_upload(
            side.claim.source, "notice.pdf", b"%PDF-1.4 notice " + side.org.slug.encode()
        )
        side.extra["event"] = Event.objects.create(name=f"Battle {side.org.slug}", date="2022-03-30")
        side.extra["link"] = _candidate_link(side)
        side.extra["merge"] = _accepted_merge(side)
        side.extra["dna"] = make_candidate(side)
        side.extra["passkey"] = PasskeyDevice.objects.create(
            user=side.users["caseworker"], name="key", confirmed=True, credential_id=side.org.slug.encode(),
            public_key=b"not a key",
        )  # fmt: skip
        side.extra["site"], side.extra["remains"] = _field(side)
        side.extra["inquiry"] = record_inquiry(
            None,
            side.case,
            addressee_kind="military_unit",
            addressee=f"Unit of {side.org.slug}",
            question="Where is he?",
            asked_on=dt.date(2022, 4, 2),
            logged_by="family",
            tracing_request=side.request,
        )


def test_every_portal_url_is_in_the_matrix() -> None:
    assert _portal_names() == set(SPECS)


def test_authorisation_matrix(world: World, settings: Any, tmp_path: Any) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    _prepare(world)
    failures: list[str] = []
    clients: dict[str, Client] = {}
    b_secrets = [world.b.request.contact, "Petrenko", "Private news for family B only", world.b.case.number]
    for name, spec in SPECS.items():
        for role in ROLES:
            for own in (True, False):
                if spec.kwargs is None and not own:
                    continue  # no object in the address: nothing foreign to try
                side = world.a if own else world.b
                if name in ("logout", "follow_leave"):
                    client = _client(world, role)  # these end the session: never reuse it
                else:
                    if role not in clients:
                        clients[role] = _client(world, role)
                    client = clients[role]
                url = reverse(f"portal:{name}", kwargs=spec.kwargs(side) if spec.kwargs else None)
                data = spec.data(side) if spec.data else {}
                response = client.post(url, data) if spec.method == "POST" else client.get(url)
                expected = _expected(spec.kind, role, own)
                where = (
                    f"{name} {spec.method} as {role} on {'own' if own else 'foreign'}: {response.status_code}"
                )
                if expected == "login":
                    if response.status_code != 302 or not response["Location"].startswith("/en/staff/login"):
                        failures.append(f"{where} (expected redirect to login)")
                elif expected == "follow":
                    if response.status_code != 302 or not response["Location"].endswith("/request/follow"):
                        failures.append(f"{where} (expected redirect to follow-up sign-in)")
                elif response.status_code not in expected:
                    failures.append(f"{where} (expected {sorted(expected)})")
                body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
                text = body.decode("utf-8", "replace")
                leaked = [s for s in b_secrets if s in text]
                if leaked:
                    failures.append(f"{where} leaks {leaked}")
    assert not failures, "\n".join(failures)


def test_anonymous_consoles_go_to_login(client: Client) -> None:
    for url in ("/ru/staff/", "/uk/staff/", "/en/lab/", "/ru/lab/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/staff/login?next=" in response["Location"]


def test_half_signed_in_staff_without_totp_cannot_enter(world: World) -> None:
    client = Client()
    client.force_login(world.a.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/en/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/staff/login")
    assert current_token(world.a.devices["caseworker"]).isdigit()
