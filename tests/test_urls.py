"""The authorisation matrix generated from the URL conf: every pattern it declares (portal, documents, API,
admin, health, language) × every role × GET and POST, with ids of real objects of organisation A.

A new page without a rule fails :func:`test_every_url_pattern_has_a_rule`. Roles: an anonymous visitor, A's
family signed in with its access code, A's caseworker, supervisor and administrator, A's lab analyst, and
the caseworker and lab analyst of ANOTHER organisation (B). Another organisation's staff get 404 for A's
objects, exactly as for an id that does not exist; the wrong roles get a redirect to the sign-in page, 403 or
405; nobody gets a 500, and nobody not entitled to them sees A's (or B's) private data. IDOR probes alter
ids (+1, -1), request numbers, codes and document numbers.

The portal's patterns take their addresses from the hand-written matrix
(``tests/portal/test_authorisation_matrix.SPECS``, which also POSTs valid forms); this matrix POSTs empty
forms (authorisation comes before validation, and nothing is typeset), in both methods, for every role.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kinlink.api.actions import issue_token
from kinlink.documents.actions import issue_document, release_document
from kinlink.registry import actions
from tests.portal.portal_world import Side, World, build_world, family_client, verified_client
from tests.portal.test_authorisation_matrix import SPECS, _prepare

ROLES = (
    "anonymous",
    "family",
    "caseworker",
    "supervisor",
    "administrator",
    "lab",
    "caseworker_other",  # the caseworker of organisation B, on A's objects
    "lab_other",  # the lab analyst of B's lab, on A's samples
)
A_STAFF = {"caseworker", "supervisor", "administrator"}
#: Roles never entitled to A's private data (contact, enquirer, case notes).
OUTSIDERS = {"anonymous", "lab", "lab_other", "caseworker_other"}
B_ROLES = {"caseworker_other", "lab_other"}
A_PRIVATE_NOTE = "Private case note of organisation A"
MISSING_INT = 10**9


@dataclass(frozen=True)
class Rule:
    """Who may use a pattern. ``kind``: public | family | staff | supervisor | lab | document | admin | api.
    ``kwargs`` builds the address from A's side (None: the pattern has no arguments); ``scope`` is the API
    token scope an endpoint needs, ``method`` its method."""

    kind: str
    kwargs: Callable[[Side], dict[str, Any]] | None = None
    scope: str = ""
    method: str = ""


def _document(side: Side) -> dict[str, Any]:
    return {"number": side.extra["document"].number}


#: Every pattern outside the portal's namespace (the portal's come from ``SPECS``), by name.
RULES: dict[str, Rule] = {
    "healthz": Rule("public"),
    "set_language": Rule("public"),
    "documents:verify_upload": Rule("public"),
    # the verification page says whether a number was issued here (its purpose; numbers are not guessable)
    "documents:verify": Rule("public", _document),
    "documents:issue": Rule("staff", lambda s: {"case_id": s.case.pk}),
    "documents:release": Rule("staff", _document),
    "documents:download": Rule("document", _document),
    "api:openapi-json": Rule("public"),
    "api:openapi-view": Rule("public"),
    "api:api-root": Rule("public"),
    "api:list_persons": Rule("api", scope="read:cases", method="GET"),
    "api:get_person": Rule("api", lambda s: {"uid": str(s.person.uid)}, "read:cases", "GET"),
    "api:person_claims": Rule("api", lambda s: {"uid": str(s.person.uid)}, "read:cases", "GET"),
    "api:person_candidates": Rule("api", lambda s: {"uid": str(s.person.uid)}, "read:cases", "GET"),
    "api:list_requests": Rule("api", scope="read:cases", method="GET"),
    "api:get_request": Rule("api", lambda s: {"number": s.request.number}, "read:cases", "GET"),
    "api:get_case": Rule("api", lambda s: {"number": s.case.number}, "read:cases", "GET"),
    "api:get_source": Rule("api", lambda s: {"source_id": s.extra["source"].pk}, "read:cases", "GET"),
    "api:create_source": Rule("api", scope="write:claims", method="POST"),
    "api:create_claim": Rule("api", scope="write:claims", method="POST"),
    "api:list_remains": Rule("api", scope="read:cases", method="GET"),
    "api:get_remains": Rule("api", lambda s: {"code": s.extra["remains"].code}, "read:cases", "GET"),
    "api:list_samples": Rule("api", scope="lab:upload", method="GET"),
    "api:get_sample": Rule("api", lambda s: {"code": s.sample.code}, "lab:upload", "GET"),
    "api:upload_profile": Rule("api", lambda s: {"code": s.sample.code}, "lab:upload", "PUT"),
}

#: The admin site's own views; every one (and every model's) is for Django staff only, which no role is.
ADMIN_SITE_VIEWS = {
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "app_list",
}
#: Every model the admin site shows, reviewed: a new one fails the test until it is listed here.
ADMIN_MODELS = {
    "auth.group",
    "auth.user",
    "django_tasks_database.dbtaskresult",
    "otp_totp.totpdevice",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "registry.person",
    "registry.source",
    "registry.claim",
    "registry.claimretraction",
    "registry.tracingrequest",
    "registry.auditentry",
    "registry.sample",
    "registry.case",
    "registry.listrecord",
    "registry.event",
    "registry.site",
    "registry.remains",
    "registry.attachment",
    "registry.legalstatuschange",
    "registry.listimport",
    "registry.casetask",
    "registry.casenote",
    "registry.familyupdate",
    "registry.familymessage",
    "registry.organisation",
    "registry.membership",
    "documents.issueddocument",
    "documents.inquiry",
    "api.apitoken",
}


def url_patterns() -> Iterator[tuple[str, str, URLPattern]]:
    """(key, route, pattern) of every pattern the URL conf declares; the key is ``namespace:name``, or
    ``namespace:route`` for an unnamed one."""

    def walk(
        patterns: list[Any], prefix: str, namespace: tuple[str, ...]
    ) -> Iterator[tuple[str, str, URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + ((pattern.namespace,) if pattern.namespace else ())
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                route = prefix + str(pattern.pattern)
                yield ":".join((*namespace, pattern.name or route)), route, pattern

    yield from walk(get_resolver().url_patterns, "", ())


def _rule_of(key: str, route: str) -> Rule | None:
    namespace, _, name = key.partition(":")
    if namespace == "portal":
        return Rule("portal") if name in SPECS else None
    if namespace == "admin":
        if name in ("login", "logout"):
            return Rule("public")  # the sign-in page (kinlink's, with the second factor) and signing out
        known = name in ADMIN_SITE_VIEWS or (name == route and route.endswith("(?P<url>.*)$"))
        of_model = any(
            "/{}/{}/".format(*m.split(".")) in route or name.startswith(m.replace(".", "_") + "_")
            for m in ADMIN_MODELS
        )
        return Rule("admin") if known or of_model else None
    return RULES.get(key)


def test_every_url_pattern_has_a_rule() -> None:
    patterns = list(url_patterns())
    assert len(patterns) > 250, "the walk missed the admin or the API"
    without = sorted(key for key, route, _ in patterns if _rule_of(key, route) is None)
    assert not without, f"patterns without a rule in tests/test_urls.py (or SPECS): {without}"
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered == ADMIN_MODELS, "review the admin's models: " + str(registered ^ ADMIN_MODELS)
    stale = set(RULES) - {key for key, _, _ in patterns}
    assert not stale, f"rules for patterns that no longer exist: {sorted(stale)}"


# --- the world ---------------------------------------------------------------------------------------


@pytest.fixture
def world(db: None) -> World:
    """Two organisations' worlds (``tests/portal/portal_world``)."""
    return build_world()


def _prepare_all(world: World) -> None:
    _prepare(world)
    for side in (world.a, world.b):
        side.extra["source"] = side.claim.source
        document = issue_document("certificate", side.case, "en", user=None)
        release_document(document, None)
        side.extra["document"] = document
    actions.add_case_note(None, world.a.case, A_PRIVATE_NOTE)


def _client(world: World, role: str) -> Client:
    if role == "anonymous":
        return Client()
    if role == "family":
        return family_client(world.a)
    if role == "caseworker_other":
        return verified_client(world.b.users["caseworker"], world.b.devices["caseworker"])
    if role == "lab_other":
        return verified_client(world.b.users["lab_analyst"], world.b.devices["lab_analyst"])
    user = "lab_analyst" if role == "lab" else role
    return verified_client(world.a.users[user], world.a.devices[user])


def _secrets(world: World) -> tuple[list[str], list[str]]:
    """A's private data (for the roles not entitled to it) and B's (for every role of A)."""
    a, b = world.a, world.b
    return (
        [a.request.contact, a.request.enquirer_name, A_PRIVATE_NOTE],
        [b.request.contact, b.request.enquirer_name, "Private news for family B only", b.case.number],
    )


def _text(response: HttpResponseBase) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    return body.decode("utf-8", "replace")


def _expect(kind: str, role: str, has_object: bool) -> str:
    """ok | login | follow | denied | notfound | admin | any."""
    if kind in ("public",):
        return "any"
    if kind == "admin":
        return "admin"
    if kind == "family":
        return "ok" if role == "family" else "follow"
    if kind == "document":
        return "ok" if role in A_STAFF | {"family"} else "notfound"
    if role in ("anonymous", "family"):
        return "login"
    other = role in ("caseworker_other", "lab_other")
    if kind == "staff":
        if role in ("lab", "lab_other"):
            return "denied"
        return ("notfound" if has_object else "ok") if other else "ok"
    if kind == "supervisor":
        return "ok" if role in ("supervisor", "administrator") else "denied"
    if kind == "lab":
        if role not in ("lab", "lab_other"):
            return "denied"
        return ("notfound" if has_object else "ok") if other else "ok"
    raise AssertionError(kind)


def _check(expected: str, response: HttpResponseBase) -> bool:
    status, location = response.status_code, response.get("Location", "")
    if status == 405:  # the method is refused before anything is looked up: nothing to learn
        return True
    if expected == "any":
        return status < 500
    if expected == "ok":
        return status in (200, 201, 204, 302, 400) and "/login" not in location
    if expected == "login":
        return status == 302 and location.startswith("/en/staff/login")
    if expected == "follow":
        return status == 302 and location.endswith("/request/follow")
    if expected == "denied":
        return status in (403, 404)
    if expected == "notfound":
        return status == 404
    if expected == "admin":
        return status == 302 and "/admin/login/" in location
    raise AssertionError(expected)


def _missing(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The same address with ids, numbers and codes that exist nowhere."""
    return {k: MISSING_INT + n if isinstance(v, int) else f"{v}9" for n, (k, v) in enumerate(kwargs.items())}


def _request(client: Client, method: str, url: str) -> HttpResponseBase:
    return client.post(url, {}) if method == "POST" else client.get(url)


@pytest.mark.slow  # about 2,000 requests
def test_every_url_every_role_get_and_post(world: World, settings: Any, tmp_path: Any) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    _prepare_all(world)
    a_secrets, b_secrets = _secrets(world)
    failures: list[str] = []
    clients: dict[str, Client] = {}
    for index, (key, route, pattern) in enumerate(url_patterns()):
        rule = _rule_of(key, route)
        assert rule is not None, key
        if rule.kind == "api" or key.startswith("api:"):
            continue  # tokens, not sessions: test_every_api_endpoint_every_token
        spec = SPECS.get(key.partition(":")[2]) if rule.kind == "portal" else None
        kind = spec.kind.replace("public_redirect", "public") if spec else rule.kind
        build = spec.kwargs if spec else rule.kwargs
        kwargs = _admin_kwargs(pattern, world) if rule.kind == "admin" else (build(world.a) if build else {})
        url = _address(key, route, pattern, kwargs)
        for role, method in _probes(index, key, rule, spec):
            fresh = key in ("portal:logout", "portal:follow_leave", "admin:logout")
            if fresh:
                client = _client(world, role)
            else:
                if role not in clients:
                    clients[role] = _client(world, role)
                client = clients[role]
            where = f"{key} {method} as {role}"
            try:
                response = _request(client, method, url)
            except Exception as exc:  # the test client re-raises a view's exception: a 500
                failures.append(f"{where}: server error {exc!r}")
                continue
            expected = _expect(kind, role, bool(kwargs))
            if not _check(expected, response):
                failures.append(
                    f"{where}: {response.status_code} {response.get('Location', '')} (expected {expected})"
                )
            text = _text(response)
            leaked = [s for s in b_secrets if s in text] if role not in B_ROLES else []
            if role in OUTSIDERS:
                leaked += [s for s in a_secrets if s in text]
            if leaked:
                failures.append(f"{where} leaks {leaked}")
            if role == "caseworker" and any(isinstance(v, int) for v in kwargs.values()):
                failures += _neighbours(client, method, key, route, pattern, kwargs, b_secrets)
            if expected == "notfound" and kwargs:
                probe = _request(client, method, _address(key, route, pattern, _missing(kwargs)))
                if probe.status_code != response.status_code:
                    failures.append(
                        f"{where}: {response.status_code} for A's object, {probe.status_code} for a "
                        "missing one (reveals existence)"
                    )
    assert not failures, "\n".join(failures)


def _neighbours(
    client: Client,
    method: str,
    key: str,
    route: str,
    pattern: URLPattern,
    kwargs: dict[str, Any],
    secrets: list[str],
) -> list[str]:
    """IDOR: the same address with each id one more and one less (often B's object): no 500, no B data."""
    found = []
    for delta in (1, -1):
        altered = {k: v + delta if isinstance(v, int) else v for k, v in kwargs.items()}
        url = _address(key, route, pattern, altered)
        try:
            response = _request(client, method, url)
        except Exception as exc:
            found.append(f"{key} {method} {url}: server error {exc!r}")
            continue
        leaked = [s for s in secrets if s in _text(response)]
        if leaked:
            found.append(f"{key} {method} {url} (ids {delta:+d}) leaks {leaked}")
    return found


def _probes(index: int, key: str, rule: Rule, spec: Any) -> list[tuple[str, str]]:
    """The (role, method) pairs to try on a pattern: every pair, less what the hand-written matrix sends
    already (its method, for A's roles), and, on the admin site (one decorator guards every page), one
    role a pattern in turn (all of them on its index)."""
    pairs = [(role, method) for role in ROLES for method in ("GET", "POST")]
    if spec is not None:
        return [(r, m) for r, m in pairs if m != spec.method or r in B_ROLES]
    if rule.kind == "admin" and key != "admin:index":
        chosen = {ROLES[index % len(ROLES)]}
        return [(r, m) for r, m in pairs if r in chosen]
    return pairs


def _admin_kwargs(pattern: URLPattern, world: World) -> dict[str, Any]:
    """Arguments of an admin pattern: a real object of A where it takes one."""
    from django.contrib.contenttypes.models import ContentType

    values = {
        "object_id": str(world.a.person.pk),
        "id": str(world.a.users["caseworker"].pk),
        "app_label": "registry",
        "content_type_id": str(ContentType.objects.get_for_model(world.a.person).pk),
        "url": "registry/nothing-here/",
    }
    return {name: values.get(name, str(world.a.person.pk)) for name in pattern.pattern.regex.groupindex}


def _address(key: str, route: str, pattern: URLPattern, kwargs: dict[str, Any]) -> str:
    """The pattern's address with ``kwargs``: reversed by name, or filled in for an unnamed pattern."""
    if pattern.name:
        return reverse(key, kwargs=kwargs)
    address = route
    for name, value in kwargs.items():
        address = re.sub(rf"<(\w+:)?{name}>|\(\?P<{name}>[^)]*\)", str(value), address)
    return "/" + address.rstrip("$")


# --- the API: tokens, not sessions ----------------------------------------------------------------------


def _api_call(client: Client, method: str, url: str, token: str, body: dict[str, Any]) -> HttpResponseBase:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get(url, **headers)
    call = client.put if method == "PUT" else client.post
    return call(url, data=json.dumps(body), content_type="application/json", **headers)


def _api_body(key: str, side: Side) -> dict[str, Any]:
    return {
        "api:create_source": {"kind": "unit_notice", "name": "Notice from the API"},
        "api:create_claim": {
            "person": str(side.person.uid),
            "source": side.extra["source"].pk,
            "fate": "alive",
        },
        "api:upload_profile": {"markers": {"D3S1358": ["15", "16"], "TH01": ["9.3", "9.3"]}},
    }.get(key, {})


def test_every_api_endpoint_every_token(world: World) -> None:
    """Every API pattern × no token, A's tokens of each scope, B's token, A's and B's lab tokens × its
    method and GET: no token 401, a missing scope 403, B's tokens 404 on A's objects exactly as on missing
    ones (and B's writes about A's person refused), contacts never in any answer, never a 500."""
    a, b = world.a, world.b
    for side in (a, b):
        side.extra["source"] = actions.add_source(
            None, kind="unit_notice", name=f"API notice {side.org.slug}", organisation=side.org
        )
        side.extra["remains"] = actions.register_remains(
            None, code=f"R-api-{side.org.slug}", identified_person=side.person
        )
    tokens = {
        "none": ("", "", None),
        "read": (issue_token(None, a.org, "r", ["read:cases"])[1], "read:cases", "own"),
        "write": (issue_token(None, a.org, "w", ["read:cases", "write:claims"])[1], "*cases", "own"),
        "other": (issue_token(None, b.org, "o", ["read:cases", "write:claims"])[1], "*cases", "other"),
        "lab": (issue_token(None, a.lab, "l", ["lab:upload"])[1], "lab:upload", "own"),
        "lab_other": (issue_token(None, b.lab, "lo", ["lab:upload"])[1], "lab:upload", "other"),
    }
    never = [a.request.contact, b.request.contact, a.request.enquirer_name, b.request.enquirer_name]
    failures: list[str] = []
    client = Client()
    for key, route, pattern in url_patterns():
        if not key.startswith("api:"):
            continue
        rule = RULES[key]
        kwargs = rule.kwargs(a) if rule.kwargs else {}
        url = _address(key, route, pattern, kwargs)
        for name, (token, scopes, whose) in tokens.items():
            for method in sorted({rule.method or "GET", "GET", "POST"}):
                where = f"{key} {method} with token {name}"
                try:
                    response = _api_call(client, method, url, token, _api_body(key, a))
                except Exception as exc:
                    failures.append(f"{where}: server error {exc!r}")
                    continue
                status, text = response.status_code, _text(response)
                if [s for s in never if s in text]:
                    failures.append(f"{where}: a contact or an enquirer's name left through the API")
                if status >= 500:
                    failures.append(f"{where}: {status}")
                if rule.kind == "public" or status == 405 or method != rule.method:
                    continue
                has_scope = rule.scope in scopes or (scopes == "*cases" and rule.scope != "lab:upload")
                if whose is None:
                    ok = status == 401
                elif not has_scope:
                    ok = status in (401, 403)
                elif whose == "own":
                    ok = status in (200, 201, 400, 422)
                elif key == "api:create_source":
                    ok = status == 201  # a source of B's own
                elif kwargs or method != "GET":  # A's object in the address or in the body
                    ok = status in (400, 403, 404, 422)
                    if kwargs:
                        elsewhere = _address(key, route, pattern, _missing(kwargs))
                        missing = _api_call(client, method, elsewhere, token, _api_body(key, a))
                        ok = ok and status == missing.status_code
                else:
                    ok = status == 200 and str(a.person.uid) not in text and a.sample.code not in text
                if not ok:
                    failures.append(f"{where}: {status} {text[:200]}")
    assert not failures, "\n".join(failures)
