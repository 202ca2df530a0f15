"""What ``scripts/smoke`` runs against the production stack it started.

    smoke_exercise.py accounts              staff accounts for the exercise (Django; prints JSON)
    smoke_exercise.py exercise ...          a family, a caseworker and a lab, all through TLS (no Django)
    smoke_exercise.py fingerprint           every table's row count, every stored file's SHA-256 and a
                                            digest of each request's decrypted contact fields (Django)
    smoke_exercise.py quiet                 wait until the background queue is empty (Django)
    smoke_exercise.py compare A B           the restored fingerprint B against the original A

The accounts are made as an administrator makes them (``docs/operator.md``, "Deploy": a user, a membership
in the organisation, a confirmed TOTP authenticator); everything after that goes through the pages.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import socket
import ssl
import struct
import sys
import time
import uuid
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

# ---- Django side: accounts, fingerprints ----


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kinlink.settings")
    import django

    django.setup()


def make_accounts() -> dict[str, Any]:
    _django()
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kinlink.registry.models import Membership, Organisation, Role

    org = Organisation.objects.create(name="Smoke search group", slug="smoke-search")
    lab = Organisation.objects.create(name="Smoke lab", slug="smoke-lab", is_lab=True)
    accounts: dict[str, Any] = {"organisation": org.pk, "lab": lab.pk}
    for role, username, where in (("caseworker", "smoke-caseworker", org), ("lab_analyst", "smoke-lab", lab)):
        password = secrets.token_urlsafe(18)
        user = get_user_model().objects.create_user(username=username, password=password)
        Membership.objects.create(user=user, organisation=where, role=Role(role))
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        accounts[role] = {"username": username, "password": password, "totp_key": device.key}
    return accounts


def fingerprint() -> dict[str, Any]:
    _django()
    from django.conf import settings
    from django.db import connection

    from kinlink.registry.models import TracingRequest

    with connection.cursor() as cursor:
        tables = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            tables[table] = cursor.fetchone()[0]
    root = Path(settings.ATTACHMENT_ROOT)
    files = {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    contacts = {
        r.number: hashlib.sha256(f"{r.enquirer_name}\n{r.contact}".encode()).hexdigest()
        for r in TracingRequest.objects.order_by("pk")
    }
    return {"tables": tables, "files": files, "contacts": contacts}


def wait_quiet(timeout: float = 120) -> None:
    _django()
    from django_tasks_db.models import DBTaskResult

    from kinlink.identification.models import ScreeningRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = DBTaskResult.objects.filter(status__in=("READY", "RUNNING")).count()
        busy += ScreeningRun.objects.filter(status__in=("queued", "running")).count()
        if not busy:
            return
        time.sleep(1)
    raise SystemExit("the worker did not empty its queue in time")


def compare(original: dict[str, Any], restored: dict[str, Any]) -> list[str]:
    """What differs. The restored trail holds one entry more (the restore's); the original's backup entry
    was written after its fingerprint, so every other table matches exactly."""
    problems = []
    a, b = dict(original["tables"]), dict(restored["tables"])
    if b.pop("registry_auditentry", None) != a.pop("registry_auditentry", -2) + 1:
        problems.append(
            "registry_auditentry: the restored trail is not the original plus the restore's entry"
        )
    problems += [
        f"table {t}: {a.get(t)} rows, restored {b.get(t)}"
        for t in sorted(set(a) | set(b))
        if a.get(t) != b.get(t)
    ]
    if original["files"] != restored["files"]:
        problems.append("stored files differ")
    if original["contacts"] != restored["contacts"]:
        problems.append("decrypted contact fields differ")
    if not original["files"] or not original["contacts"]:
        problems.append("nothing to compare: no stored file or no tracing request")
    return problems


# ---- HTTP side: a browser's worth of client over TLS ----


def totp(key_hex: str, at: float | None = None) -> str:
    counter = int((at if at is not None else time.time()) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def tiny_png() -> bytes:
    """A real 2 x 2 PNG (the photo the family attaches)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * 2 for _row in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return str(self.headers.get("Location", ""))


class Browser:
    """Cookies, CSRF and redirects over HTTPS to ``site:port``, the TCP connection going to ``address``:
    the certificate is checked against Caddy's own CA for the site's name."""

    def __init__(self, site: str, port: int, ca: Path, address: str = "127.0.0.1") -> None:
        self.site, self.port, self.address = site, port, address
        self.context = ssl.create_default_context(cafile=str(ca))
        self.cookies: dict[str, str] = {}
        self.origin = f"https://{site}:{port}"

    def _connection(self) -> http.client.HTTPSConnection:
        browser = self

        class Pinned(http.client.HTTPSConnection):
            def connect(self) -> None:
                sock = socket.create_connection((browser.address, browser.port), timeout=self.timeout)
                self.sock = browser.context.wrap_socket(sock, server_hostname=browser.site)

        return Pinned(self.site, self.port, timeout=120, context=self.context)

    def request(
        self,
        method: str,
        path: str,
        *,
        fields: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        referer: str = "",
    ) -> Response:
        headers = {"Host": f"{self.site}:{self.port}", "User-Agent": "kinlink-smoke"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body: bytes | None = None
        if method == "POST":
            headers["Origin"] = self.origin
            headers["Referer"] = referer or self.origin + path
            if files:
                boundary = uuid.uuid4().hex
                body = _multipart(boundary, fields or {}, files)
                headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
            else:
                body = urlencode(fields or {}, doseq=True).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            response = Response(raw.status, raw.headers, raw.read())
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or "expires=Thu, 01 Jan 1970" in header:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def follow(self, response: Response, current: str) -> tuple[Response, str]:
        while response.status in (301, 302, 303):
            current = urlsplit(urljoin(self.origin + current, response.location)).path
            response = self.get(current)
        return response, current

    def post_form(
        self,
        page: str,
        action: str,
        fields: dict[str, Any],
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Response:
        """Fetch ``page`` for its CSRF token, then post the form to ``action`` as the page would."""
        shown = self.get(page)
        expect(shown.status == 200, f"GET {page}: {shown.status}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', shown.text)
        expect(token is not None, f"{page} has no CSRF token")
        assert token is not None
        # every other hidden field of the page too (the public form's one-time form token)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', shown.text))
        hidden.pop("csrfmiddlewaretoken", None)
        return self.request(
            "POST",
            action,
            fields={"csrfmiddlewaretoken": token.group(1), **hidden, **fields},
            files=files,
            referer=self.origin + page,
        )


def _multipart(boundary: str, fields: dict[str, Any], files: dict[str, tuple[str, bytes, str]]) -> bytes:
    parts = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{item}\r\n'.encode()
            )
    for name, (filename, content, content_type) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


class ExerciseFailed(Exception):
    pass


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise ExerciseFailed(what)


def step(what: str) -> None:
    print(f"  - {what}", flush=True)


def sign_in(browser: Browser, account: dict[str, str]) -> None:
    response = browser.post_form(
        "/en/staff/login",
        "/en/staff/login",
        {"username": account["username"], "password": account["password"]},
    )
    expect(
        response.status == 302 and "/staff/login/code" in response.location,
        f"password step: {response.status}",
    )
    response = browser.post_form(
        "/en/staff/login/code", "/en/staff/login/code", {"token": totp(account["totp_key"])}
    )
    expect(response.status == 302 and "/login" not in response.location, f"code step: {response.status}")


def exercise(site: str, port: int, ca: Path, accounts: dict[str, Any]) -> None:
    family = Browser(site, port, ca)
    deadline = time.monotonic() + 60
    while True:
        try:
            health = family.get("/healthz")
            if health.status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ExerciseFailed("https /healthz did not answer 200 within 60 s")
        time.sleep(0.5)
    expect(
        "max-age=" in str(health.headers.get("Strict-Transport-Security", "")), "no HSTS header through TLS"
    )
    step("TLS: /healthz answers 200 through Caddy, certificate checked against Caddy's internal CA")

    photo = tiny_png()
    response = family.post_form(
        "/ru/request/new",
        "/ru/request/new",
        {
            "surname": "Смоков",
            "given_name": "Иван",
            "patronymic": "Петрович",
            "sex": "M",
            "birth_date": "17.04.1998",
            "unit": "в/ч 12345",
            "last_known_place": "Гостомель",
            "circumstances": "Последний звонок 28 марта.",
            "enquirer_name": "Смокова Мария",
            "relationship": "mother",
            "contact": "+7 900 555 44 33",
            "consent_organisations": [str(accounts["organisation"])],
            "consent_dna": "on",
        },
        files={"photos": ("photo.png", photo, "image/png")},
    )
    # the number and the code are shown once, in the answer to the form itself (kept in no session)
    expect(
        response.status == 200 and 'id="access-code"' in response.text,
        f"family request form: {response.status} {response.text[:300]}",
    )
    page = response
    number_match = re.search(r'id="request-number">([^<]+)<', page.text)
    code_match = re.search(r'id="access-code">(.+?)</span></span>', page.text)
    expect(number_match is not None and code_match is not None, "no request number and code shown")
    assert number_match is not None and code_match is not None
    number, code = number_match.group(1).strip(), re.sub(r"<[^>]+>", "", code_match.group(1))
    step(f"family: request {number} filed with a photo through the public form (CSRF)")
    follow = family.post_form("/en/request/follow", "/en/request/follow", {"number": number, "code": code})
    follow_page, _ = family.follow(follow, "/en/request/follow")
    expect(follow_page.status == 200 and number in follow_page.text, "the family cannot follow its request")
    step("family: follows the request with its number and code")

    caseworker = Browser(site, port, ca)
    sign_in(caseworker, accounts["caseworker"])
    step("caseworker: signed in with password and TOTP code")
    home = caseworker.get("/en/staff/")
    expect(home.status == 200, f"staff home: {home.status}")
    request_pk = None
    for pk in dict.fromkeys(re.findall(r"/en/staff/requests/(\d+)/", home.text)):
        if number in caseworker.get(f"/en/staff/requests/{pk}/").text:
            request_pk = pk
            break
    expect(request_pk is not None, f"request {number} is not in the caseworker's queue")
    opened = caseworker.post_form(
        f"/en/staff/requests/{request_pk}/", f"/en/staff/requests/{request_pk}/open-case", {}
    )
    case_match = re.search(r"/staff/cases/(\d+)/", opened.location)
    expect(opened.status == 302 and case_match is not None, f"open case: {opened.status}")
    assert case_match is not None
    case_pk = case_match.group(1)
    step(f"caseworker: opened case {case_pk} from the request")

    lab = Browser(site, port, ca)
    sign_in(lab, accounts["lab_analyst"])
    registered = lab.post_form(
        "/en/lab/", "/en/lab/samples/register", {"code": "SMOKE-R-001", "kind": "remains"}
    )
    expect(registered.status == 302, f"register sample: {registered.status} {registered.text[:300]}")
    genotypes = "sample,marker,allele1,allele2\nSMOKE-R-001,D3S1358,15,16\nSMOKE-R-001,TH01,9.3,9.3\n"
    uploaded = lab.post_form(
        "/en/lab/",
        "/en/lab/profiles/upload",
        {},
        files={"profiles-csv_file": ("genotypes.csv", genotypes.encode(), "text/csv")},
    )
    expect(uploaded.status == 302, f"genotype upload: {uploaded.status} {uploaded.text[:500]}")
    lab_home, _ = lab.follow(uploaded, "/en/lab/profiles/upload")
    expect("Profiles stored for 1 sample" in lab_home.text, "the lab console did not confirm the profiles")
    step("lab: signed in, registered sample SMOKE-R-001 and uploaded its genotypes in the lab console")

    issued = caseworker.post_form(
        f"/en/staff/cases/{case_pk}/",
        f"/en/documents/case/{case_pk}/issue",
        {"kind": "dossier", "lang": "en"},
    )
    expect(
        issued.status == 302 and "/documents/download/" in issued.location,
        f"issue: {issued.status} {issued.location} {issued.text[:300]}",
    )
    pdf, where = caseworker.follow(issued, f"/en/documents/case/{case_pk}/issue")
    expect(pdf.status == 200 and pdf.body.startswith(b"%PDF"), f"download {where}: {pdf.status}")
    document_number = where.rsplit("/", 1)[-1]
    step(f"caseworker: issued a dossier and downloaded it ({document_number}, {len(pdf.body)} bytes PDF)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("accounts")
    sub.add_parser("fingerprint")
    sub.add_parser("quiet")
    run = sub.add_parser("exercise")
    run.add_argument("--site", required=True)
    run.add_argument("--port", type=int, required=True)
    run.add_argument("--ca", type=Path, required=True)
    run.add_argument("--accounts", type=Path, required=True)
    both = sub.add_parser("compare")
    both.add_argument("original", type=Path)
    both.add_argument("restored", type=Path)
    args = parser.parse_args(argv)
    if args.what == "accounts":
        print(json.dumps(make_accounts()))
    elif args.what == "fingerprint":
        print(json.dumps(fingerprint(), indent=1, sort_keys=True))
    elif args.what == "quiet":
        wait_quiet()
    elif args.what == "exercise":
        try:
            exercise(args.site, args.port, args.ca, json.loads(args.accounts.read_text()))
        except ExerciseFailed as exc:
            print(f"exercise failed: {exc}", file=sys.stderr)
            return 1
    else:
        original, restored = json.loads(args.original.read_text()), json.loads(args.restored.read_text())
        problems = compare(original, restored)
        for problem in problems:
            print(f"restore differs: {problem}", file=sys.stderr)
        if problems:
            return 1
        print(
            f"  - restored: {len(restored['tables'])} tables with the same row counts, "
            f"{len(restored['files'])} stored files with the same SHA-256, "
            f"{len(restored['contacts'])} requests whose decrypted contacts read the same"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
