"""Load benchmark of the web pages against the production server (`kinlink serve --production`).

Run by hand (it takes about 20 minutes for the full grid; `--quick` checks the bench itself in about two):

    PYTHONPATH=src .venv/bin/python bench/web.py            # builds the database, then the full grid
    PYTHONPATH=src .venv/bin/python bench/web.py --reuse    # an already built database
    PYTHONPATH=src .venv/bin/python bench/web.py --reuse --quick

What it does:

1. **Database**: PostgreSQL ``--database-url`` (default ``postgres://127.0.0.1:5432/kinlink_webbench``),
   created with ``createdb`` and filled by ``kinlink demo --size medium --no-serve`` (20,000 persons), unless
   ``--reuse``. Its keys (secret key, field key) and key store live in ``--state-dir`` (``env.json``,
   ``var/``): a reused database needs the same state folder. At build time the bench also submits
   ``FAMILIES`` tracing requests through the action (``registry.actions.submit_tracing_requests``) and keeps
   their numbers and one-time codes in ``fixtures.json``: the family follow class signs in with them.
2. **Server**: ``kinlink serve --production`` on ``127.0.0.1:--port`` (gunicorn in the configuration
   docs/operator.md recommends, and the task worker beside it), with production settings that pass
   ``kinlink check --deploy``: a strong secret key, a field key, allowed host ``kinlink-bench.example``,
   base URL ``https://kinlink-bench.example``, secure cookies. The bench plays the TLS proxy: the server
   trusts ``127.0.0.1`` (``KINLINK_TRUSTED_PROXIES``), and every request carries ``X-Forwarded-Proto:
   https`` and an ``X-Forwarded-For`` client address. Each family check comes from its own address (as
   families do; one address would meet the per-address limit after 30 checks, which is the point of it);
   staff and API requests come from one office address each.
3. **Sign-in**: staff sign in over HTTP like a person: the password form, then the six-digit TOTP code,
   computed from the demo account's authenticator key read from the database (``django_otp.oath.totp``).
   The session cookie then serves every request of that class. The API uses a bearer token issued by the
   action (``api.actions.issue_token``) for the organisation ``poisk``.
4. **Load**: open loop at a constant arrival rate (a request is sent every 1/rate s whatever happened to
   the earlier ones; latency counts from the moment it was due, so a slow server is not hidden by a slower
   client), raw HTTP/1.1 over keep-alive connections with asyncio, each request bounded by ``--timeout``,
   at most ``MAX_IN_FLIGHT`` in flight (more count as errors: ``client_overload``). Loopback only.
   Per class and rate: sent, completed, errors (an unexpected status or a time-out), p50/p95/p99 ms, the
   achieved rate, the statuses seen, and the CPU the server (every process below ``kinlink serve``:
   gunicorn, its workers, those recycled after ``--max-requests`` included, and the task worker;
   ``tree_cpu_seconds``) and the load generator used (they share this machine's cores; the generator is
   one Python process, so its CPU seconds over the step's wall seconds is the share of a core it took).
5. **Mixed** (``--mixed``): the family's code check at a high rate together with the public home page at
   a modest one, to show whether the hash starves the other pages.

Results: ``bench/results/web.json`` (``--out``), with the machine and its 1-minute load average before and
after each step. On a shared machine the figures are upper bounds; rerun on an idle one.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
SRC = Path(__file__).resolve().parent.parent / "src"
sys.path.insert(0, str(SRC))

from bench._machine import write_results  # noqa: E402

HOST_NAME = "kinlink-bench.example"
BASE_URL = f"https://{HOST_NAME}"
FAMILIES = 64
MAX_IN_FLIGHT = 2000
RATES = (20, 50, 100, 200)
QUICK_RATES = (20, 50)
CLASSES = (
    "public",
    "follow_right",
    "follow_wrong",
    "staff_list",
    "staff_case",
    "lab_console",
    "figures",
    "api",
)


# --- the state: keys, database, fixtures ---------------------------------------------------------------


def _state_env(state_dir: Path) -> dict[str, str]:
    """The instance's keys, created once per state folder (a reused database needs the same keys)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "env.json"
    if not path.exists():
        from cryptography.fernet import Fernet

        keys = {
            "KINLINK_SECRET_KEY": secrets.token_urlsafe(50),
            "KINLINK_FIELD_KEY": Fernet.generate_key().decode(),
        }
        path.write_text(json.dumps(keys, indent=1))
        path.chmod(0o600)
    return dict(json.loads(path.read_text()))


def server_env(state_dir: Path, database_url: str, extra: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KINLINK_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(_state_env(state_dir))
    env.update(
        {
            "DATABASE_URL": database_url,
            "KINLINK_VAR_DIR": str(state_dir / "var"),
            "KINLINK_ALLOWED_HOSTS": HOST_NAME,
            "KINLINK_BASE_URL": BASE_URL,
            "KINLINK_TRUSTED_PROXIES": "127.0.0.1",
            "PYTHONPATH": str(SRC),
        }
    )
    env.update(extra)
    return env


def _database_name(database_url: str) -> str:
    return urllib.parse.urlparse(database_url).path.lstrip("/")


def build_database(state_dir: Path, database_url: str, size: str) -> None:
    parsed = urllib.parse.urlparse(database_url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the bench builds its database on this machine only (loopback)")
    created = subprocess.run(
        [
            "createdb",
            "-h",
            parsed.hostname or "127.0.0.1",
            "-p",
            str(parsed.port or 5432),
            _database_name(database_url),
        ],
        capture_output=True,
        text=True,
    )
    if created.returncode != 0:
        raise SystemExit(
            f"createdb failed ({created.stderr.strip()}); to use a database built before, pass --reuse"
        )
    env = server_env(state_dir, database_url, {})
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "kinlink", "demo", "--size", size, "--no-serve"], env=env, check=True
    )
    print(f"demo built in {time.monotonic() - started:.0f} s", file=sys.stderr)
    subprocess.run([sys.executable, "-c", _FIXTURES, "create", str(state_dir)], env=env, check=True)


#: Run in a child with the server's environment: Django set up on the bench's database.
_FIXTURES = r"""
import json, sys, datetime as dt
from pathlib import Path
from kinlink.commands.base import setup_django
setup_django()
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from kinlink.registry.models import Case, Organisation, TracingRequest
from kinlink.registry.services.access import cases_visible_to

command, state_dir = sys.argv[1], Path(sys.argv[2])
path = state_dir / "fixtures.json"
if command == "create":
    from kinlink.registry.actions import FamilyRequest, submit_tracing_requests
    poisk = Organisation.objects.get(slug="poisk")
    made = submit_tracing_requests([FamilyRequest(
        surname="Нагрузкин", given_name="Тест", patronymic="Иванович", sex="M", birth_date="1990",
        birth_place="Курск", last_contact="2024-03", enquirer_name="Нагрузкина Анна",
        relationship="mother", contact="bench@example.org", consent_organisations=[poisk],
    ) for i in range(int(sys.argv[3]) if len(sys.argv) > 3 else 64)])
    families = [{"number": request.number, "code": code} for request, code in made]
    path.write_text(json.dumps({"families": families}, indent=1))
    path.chmod(0o600)
    sys.exit(0)
# "read": what the load needs now (the staff's TOTP keys, cases, an API token)
fixtures = json.loads(path.read_text())
users = get_user_model().objects
staff = {}
for username in ("caseworker", "lab"):
    device = TOTPDevice.objects.get(user__username=username, name="demo authenticator")
    staff[username] = {"password": f"demo-{username}-2026", "key": device.key, "step": device.step,
                       "t0": device.t0, "digits": device.digits}
caseworker = users.get(username="caseworker")
cases = list(cases_visible_to(caseworker).filter(status=Case.Status.OPEN).order_by("-pk")
             .values_list("pk", flat=True)[:200])
from kinlink.api.actions import issue_token
_row, token = issue_token(None, Organisation.objects.get(slug="poisk"), "load bench", ["read:cases"],
                          label="bench/web.py", days=1)
print(json.dumps({**fixtures, "staff": staff, "cases": cases, "api_token": token}))
"""


def read_fixtures(state_dir: Path, database_url: str) -> dict[str, Any]:
    env = server_env(state_dir, database_url, {})
    done = subprocess.run(
        [sys.executable, "-c", _FIXTURES, "read", str(state_dir)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"reading the fixtures failed:\n{done.stderr}")
    return dict(json.loads(done.stdout))


def totp_now(key_hex: str, step: int, t0: int, digits: int, offset: int = 0) -> str:
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex), step, t0, digits, offset):0{digits}d}"


# --- the server --------------------------------------------------------------------------------------


def _stat_fields(proc: Path, pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3, the state, is index 0)."""
    try:
        return (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def descendants(root: int, proc: Path = Path("/proc")) -> list[int]:
    """``root`` and every process below it, from the parent ids in ``/proc/*/stat``."""
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(proc, int(entry.name))
            if fields is not None and len(fields) > 1 and fields[1].lstrip("-").isdigit():
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found = [root]
    index = 0
    while index < len(found):
        found.extend(children.get(found[index], []))
        index += 1
    return found


def tree_cpu_seconds(root: int, proc: Path = Path("/proc")) -> float:
    """CPU seconds (user and system) used by ``root`` and all its descendants, the dead ones included.

    Each live process counts its own time (``utime``, ``stime``: all its threads) plus the time of the
    children it has reaped (``cutime``, ``cstime``), so a gunicorn worker recycled after its
    ``--max-requests`` keeps counting: once gone, its time is in the master's reaped-children time. (The
    sum of the live processes' own times alone went down when a worker was recycled.) Monotonic as long
    as every process of the tree is reaped by its parent, which gunicorn and ``kinlink serve`` do."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = descendants(root, proc)
    for _attempt in range(5):
        total = 0
        for pid in pids:
            fields = _stat_fields(proc, pid)
            if fields is not None and len(fields) >= 15:
                # utime, stime, cutime, cstime: fields 14 to 17 of proc(5), indexes 11 to 14 here
                total += sum(int(value) for value in fields[11:15])
        # a process that ended while the tree was read may be counted in neither itself nor its parent:
        # read again until the tree stayed the same during a reading
        again = descendants(root, proc)
        if again == pids:
            break
        pids = again
    return total / ticks


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def pids(self) -> list[int]:
        """The serve process and all its descendants (gunicorn's master and workers, the task worker)."""
        return descendants(self.process.pid)

    def cpu_seconds(self) -> float:
        """CPU seconds the server has used since it started, recycled workers included."""
        return tree_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_server(env: dict[str, str], port: int, log: Path) -> Server:
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kinlink",
            "serve",
            "--production",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, port)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped at start:\n{log.read_text()[-3000:]}")
        try:
            status = asyncio.run(_probe(port))
        except OSError:
            status = 0
        if status == 200:
            return server
        time.sleep(0.5)
    server.stop()
    raise SystemExit(f"the server did not answer /healthz within 90 s:\n{log.read_text()[-3000:]}")


async def _probe(port: int) -> int:
    conn = await Connection.open(port)
    try:
        response = await conn.request(Request("GET", "/healthz"), timeout=5)
        return response.status
    finally:
        conn.close()


# --- a small HTTP/1.1 client -------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def encode(self) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {HOST_NAME}", "Connection: keep-alive"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def cookies(self) -> dict[str, str]:
        found = {}
        for value in self.header("Set-Cookie"):
            name, _, rest = value.partition("=")
            found[name.strip()] = rest.split(";", 1)[0]
        return found


class ConnectionLost(Exception):
    """The server closed a kept-alive connection before answering (it may be retried once)."""


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.reusable = True

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**22)
        return cls(reader, writer)

    def close(self) -> None:
        self.reusable = False
        self.writer.close()

    async def request(self, request: Request, timeout: float) -> Response:
        # asyncio.timeout, not wait_for: wait_for wraps the exchange in a task of its own on Python 3.11,
        # a second task per request in the load generator's one core
        async with asyncio.timeout(timeout):
            return await self._exchange(request)

    async def _exchange(self, request: Request) -> Response:
        self.writer.write(request.encode())
        await self.writer.drain()
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise ConnectionLost from exc
            raise
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:] if line)]
        names = {k.lower(): v for k, v in headers}
        if names.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            body = b"".join(chunks)
        elif "content-length" in names:
            body = await self.reader.readexactly(int(names["content-length"]))
        elif request.method == "HEAD" or status in (204, 304):
            body = b""
        else:
            body = await self.reader.read()
            self.reusable = False
        if names.get("connection", "").lower() == "close":
            self.reusable = False
        return Response(status, headers, body)


class Pool:
    """Keep-alive connections to the server, most recently used first (a hot one is less likely to have
    been closed by the server's keep-alive timeout)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[Connection] = []
        self.opened = 0

    async def send(self, request: Request, timeout: float) -> Response:
        started = time.monotonic()
        for attempt in range(2):
            reused = bool(self.idle) and attempt == 0  # the retry takes a new connection
            conn = self.idle.pop() if reused else await Connection.open(self.port)
            if not reused:
                self.opened += 1
            try:
                response = await conn.request(request, max(0.001, timeout - (time.monotonic() - started)))
            except (ConnectionLost, ConnectionResetError, BrokenPipeError):
                # a kept-alive connection the server closed meanwhile (keep-alive timeout, a recycled
                # worker): sent again once on a new connection, as browsers do
                conn.close()
                if reused and attempt == 0:
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            if conn.reusable:
                self.idle.append(conn)
            else:
                conn.close()
            return response
        raise ConnectionLost

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


# --- the page classes --------------------------------------------------------------------------------


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _proxy_headers(client: str) -> dict[str, str]:
    return {"X-Forwarded-For": client, "X-Forwarded-Proto": "https"}


_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Browser:
    """One visitor's cookies, from one client address."""

    pool: Pool
    client: str
    cookies: dict[str, str] = field(default_factory=dict)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {**_proxy_headers(self.client), "Accept-Language": "ru"}
        if self.cookies:
            headers["Cookie"] = _cookie_header(self.cookies)
        return {**headers, **(extra or {})}

    async def get(self, path: str) -> Response:
        response = await self.pool.send(Request("GET", path, self.headers()), 30)
        self.cookies.update(response.cookies())
        return response

    async def post(self, path: str, data: dict[str, str]) -> Response:
        body = urllib.parse.urlencode(data).encode()
        headers = self.headers(
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": BASE_URL,
                "Referer": BASE_URL + path,
            }
        )
        response = await self.pool.send(Request("POST", path, headers, body), 30)
        self.cookies.update(response.cookies())
        return response


def csrf_token(response: Response) -> str:
    match = _CSRF_FIELD.search(response.body)
    if match is None:
        raise SystemExit(f"no CSRF token in the page (status {response.status})")
    return match[1].decode()


async def staff_session(pool: Pool, staff: dict[str, Any], username: str, client: str) -> dict[str, str]:
    """Sign in like a person: the password form, then the TOTP code. The session's cookies."""
    browser = Browser(pool, client)
    page = await browser.get("/ru/staff/login")
    answer = await browser.post(
        "/ru/staff/login",
        {"csrfmiddlewaretoken": csrf_token(page), "username": username, "password": staff["password"]},
    )
    if answer.status != 302:
        raise SystemExit(f"{username}: the password step answered {answer.status}")
    for offset in (0, 1):  # a code already used in this 30 s step is refused: the next step's then
        if offset:
            await asyncio.sleep(staff["step"] - (time.time() - staff["t0"]) % staff["step"] + 0.5)
        page = await browser.get("/ru/staff/login/code")
        token = totp_now(staff["key"], staff["step"], staff["t0"], staff["digits"])
        answer = await browser.post(
            "/ru/staff/login/code", {"csrfmiddlewaretoken": csrf_token(page), "token": token}
        )
        if answer.status == 302:
            return browser.cookies
    raise SystemExit(f"{username}: the TOTP step answered {answer.status}")


@dataclass
class PageClass:
    name: str
    #: what each request is (a new one per call), given its sequence number
    make: Callable[[int], Request]
    expected: tuple[int, ...]
    pages: str


_addresses = itertools.count(1)


def _fresh_client() -> str:
    """A new family's address (10.x.y.z): each family checks its code from its own connection."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255 or 1}"


async def page_classes(pool: Pool, fixtures: dict[str, Any]) -> dict[str, PageClass]:
    staff = fixtures["staff"]
    caseworker = await staff_session(pool, staff["caseworker"], "caseworker", "192.0.2.10")
    lab = await staff_session(pool, staff["lab"], "lab", "192.0.2.20")
    family = Browser(pool, "198.51.100.1")
    form = await family.get("/ru/request/follow")
    follow_token = csrf_token(form)
    follow_cookies = _cookie_header(family.cookies)
    families = fixtures["families"]
    cases = fixtures["cases"] or [0]

    def staff_get(cookies: dict[str, str], client: str, path: str) -> Request:
        return Request("GET", path, {**_proxy_headers(client), "Cookie": _cookie_header(cookies)})

    def follow(number: str, code: str) -> Request:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": follow_token, "number": number, "code": code})
        headers = {
            **_proxy_headers(_fresh_client()),
            "Cookie": follow_cookies,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": BASE_URL,
            "Referer": BASE_URL + "/ru/request/follow",
        }
        return Request("POST", "/ru/request/follow", headers, body.encode())

    def wrong(i: int) -> Request:
        # a number nobody has, with a made-up code: what someone guessing sends (the same hashing)
        return follow(f"R-{secrets.token_hex(4).upper()}", "ABCD-EFGH-JKMN-PQRS-TVWX")

    def right(i: int) -> Request:
        chosen = families[i % len(families)]
        return follow(chosen["number"], chosen["code"])

    public_paths = ("/ru/", "/ru/request/new")
    return {
        "public": PageClass(
            "public",
            lambda i: Request("GET", public_paths[i % 2], _proxy_headers(_fresh_client())),
            (200,),
            "GET /ru/ and GET /ru/request/new, alternately",
        ),
        "follow_right": PageClass(
            "follow_right", right, (302,), "POST /ru/request/follow with a right number and code (signs in)"
        ),
        "follow_wrong": PageClass(
            "follow_wrong", wrong, (200,), "POST /ru/request/follow with a number nobody has and a code"
        ),
        "staff_list": PageClass(
            "staff_list",
            lambda i: staff_get(caseworker, "192.0.2.10", "/ru/staff/"),
            (200,),
            "GET /ru/staff/ (the caseworker's queues and lists), signed in",
        ),
        "staff_case": PageClass(
            "staff_case",
            lambda i: staff_get(caseworker, "192.0.2.10", f"/ru/staff/cases/{cases[i % len(cases)]}/"),
            (200,),
            f"GET /ru/staff/cases/<pk>/ over {len(cases)} open cases of the caseworker's organisation",
        ),
        "lab_console": PageClass(
            "lab_console",
            lambda i: staff_get(lab, "192.0.2.20", "/ru/lab/"),
            (200,),
            "GET /ru/lab/, signed in as the lab analyst",
        ),
        "figures": PageClass(
            "figures",
            lambda i: Request("GET", "/ru/figures/", _proxy_headers(_fresh_client())),
            (200,),
            "GET /ru/figures/ (public figures)",
        ),
        "api": PageClass(
            "api",
            lambda i: Request(
                "GET",
                f"/api/v1/persons?limit=50&offset={(i * 50) % 5000}",
                {**_proxy_headers("192.0.2.30"), "Authorization": f"Bearer {fixtures['api_token']}"},
            ),
            (200,),
            "GET /api/v1/persons?limit=50&offset=... with a bearer token",
        ),
    }


# --- the load ----------------------------------------------------------------------------------------


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return round(sorted_values[index], 1)


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU ticks of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return float(sum(fields) - idle), float(sum(fields))


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: int = 0


async def drive(
    pool: Pool, pages: list[PageClass], rates: list[float], duration: float, timeout: float
) -> list[Outcome]:
    """Open loop: request i of each class is due at start + i/rate; each is sent at its time whatever
    became of the earlier ones (bounded by MAX_IN_FLIGHT) and its latency counts from when it was due."""
    outcomes = [Outcome() for _ in pages]
    in_flight: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(outcome: Outcome, page: PageClass, i: int, due: float) -> None:
        try:
            response = await pool.send(page.make(i), timeout)
        except TimeoutError:
            outcome.statuses["timeout"] += 1
            outcome.errors += 1
            return
        except (OSError, ConnectionLost, asyncio.IncompleteReadError, ValueError) as exc:
            outcome.statuses[f"connection_error:{type(exc).__name__}"] += 1
            outcome.errors += 1
            return
        outcome.statuses[str(response.status)] += 1
        if response.status in page.expected:
            outcome.latencies_ms.append((loop.time() - due) * 1000)
        else:
            outcome.errors += 1

    async def schedule(index: int) -> None:
        page, rate, outcome = pages[index], rates[index], outcomes[index]
        total = int(rate * duration)
        for i in range(total):  # bounded: rate × duration requests
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(in_flight) >= MAX_IN_FLIGHT:
                outcome.statuses["client_overload"] += 1
                outcome.errors += 1
                continue
            task = asyncio.create_task(one(outcome, page, i, due))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)

    await asyncio.gather(*(schedule(i) for i in range(len(pages))))
    if in_flight:
        await asyncio.wait(set(in_flight), timeout=timeout + 5)
    return outcomes


def summarise(
    page: PageClass, rate: float, duration: float, outcome: Outcome, elapsed: float
) -> dict[str, Any]:
    values = sorted(outcome.latencies_ms)
    sent = int(rate * duration)
    return {
        "class": page.name,
        "rate_per_s": rate,
        "duration_s": duration,
        "sent": sent,
        "completed": len(values),
        "errors": outcome.errors,
        "error_rate": round(outcome.errors / sent, 4) if sent else None,
        "p50_ms": _percentile(values, 0.50),
        "p95_ms": _percentile(values, 0.95),
        "p99_ms": _percentile(values, 0.99),
        "mean_ms": round(statistics.fmean(values), 1) if values else None,
        "achieved_per_s": round(len(values) / elapsed, 1) if elapsed else None,
        "statuses": dict(outcome.statuses),
    }


#: the longest wait for the server's queue to drain before a step (``--settle-limit``)
SETTLE = {"limit_s": 90.0}


async def settle(port: int, limit: float | None = None) -> float:
    """Wait until the server has worked off what earlier steps left queued (requests whose client gave up
    are still served): until /healthz, which waits in the same queue, answers within 0.5 s. Seconds."""
    started = time.monotonic()
    while time.monotonic() - started < (SETTLE["limit_s"] if limit is None else limit):
        probe = time.monotonic()
        try:
            if await _probe(port) == 200 and time.monotonic() - probe < 0.5:
                break
        except (OSError, TimeoutError, ConnectionLost, asyncio.IncompleteReadError):
            pass
        await asyncio.sleep(0.5)
    return round(time.monotonic() - started, 1)


async def run_step(
    server: Server, pool: Pool, pages: list[PageClass], rates: list[float], duration: float, timeout: float
) -> list[dict[str, Any]]:
    settled = await settle(server.port)
    pool.close()  # every step starts on new connections (none left idle past the server's keep-alive)
    load_before = os.getloadavg()[0]
    server_cpu, own_cpu, machine = server.cpu_seconds(), time.process_time(), _machine_busy()
    started = time.monotonic()
    outcomes = await drive(pool, pages, rates, duration, timeout)
    elapsed = time.monotonic() - started
    busy, total = (a - b for a, b in zip(_machine_busy(), machine, strict=True))
    cpu = {
        "server_cpu_s": round(server.cpu_seconds() - server_cpu, 1),
        "load_generator_cpu_s": round(time.process_time() - own_cpu, 1),
        # the load generator's share of one core (it is one process, one thread of Python)
        "load_generator_core_fraction": round((time.process_time() - own_cpu) / elapsed, 3),
        "machine_busy_fraction": round(busy / total, 3) if total else None,
        "wall_s": round(elapsed, 1),
        "settle_before_s": settled,
        "load_average_1m_before": round(load_before, 2),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    rows = []
    sent_all = sum(int(rate * duration) for rate in rates)
    # the server's CPU per request sent (all classes of the step together): what a page costs whatever
    # else the machine runs, so capacity ≈ cores / this
    cpu["server_cpu_ms_per_request"] = round(cpu["server_cpu_s"] * 1000 / sent_all, 1) if sent_all else None
    for page, rate, outcome in zip(pages, rates, outcomes, strict=True):
        row = summarise(page, rate, duration, outcome, min(elapsed, duration + timeout))
        rows.append({**row, **cpu})
        print(
            f"{page.name:<13} {rate:>5g}/s  sent {row['sent']:>5}  ok {row['completed']:>5}  "
            f"err {row['errors']:>5}  p50 {row['p50_ms']}  p95 {row['p95_ms']}  p99 {row['p99_ms']} ms  "
            f"server cpu {cpu['server_cpu_s']} s  bench cpu {cpu['load_generator_cpu_s']} s  "
            f"load {cpu['load_average_1m_after']}  {dict(outcome.statuses)}",
            file=sys.stderr,
        )
    return rows


async def bench(server: Server, fixtures: dict[str, Any], opts: argparse.Namespace) -> dict[str, Any]:
    pool = Pool(server.port)
    classes = await page_classes(pool, fixtures)
    results: list[dict[str, Any]] = []
    mixed: list[dict[str, Any]] = []
    partial = opts.state_dir / f"{opts.out}.partial.json"  # what is done so far, should the run be cut
    try:
        if opts.mixed:  # first: the code check (wrong codes) together with the public pages
            follow, home = classes["follow_wrong"], classes["public"]
            for rate in opts.mixed:
                await asyncio.sleep(opts.pause)
                mixed += await run_step(
                    server, pool, [follow, home], [rate, opts.mixed_public], opts.duration, opts.timeout
                )
        for name in opts.classes:
            page = classes[name]
            warm_up = min(3.0, opts.duration)
            await run_step(server, pool, [page], [opts.rates[0]], warm_up, opts.timeout)
            for rate in opts.rates:
                await asyncio.sleep(opts.pause)
                results += await run_step(server, pool, [page], [rate], opts.duration, opts.timeout)
                partial.write_text(json.dumps({"results": results, "mixed": mixed}, indent=1))
    finally:
        pool.close()
    return {
        "pages": {name: classes[name].pages for name in opts.classes},
        "results": results,
        "mixed": mixed,
        "connections_opened": pool.opened,
    }


def hash_cost(env: dict[str, str], repeats: int = 20) -> dict[str, Any]:
    """One access-code check's hash at the server's cost (``registry.accesscode``): CPU and wall ms."""
    from argon2.low_level import Type, hash_secret_raw

    memory = int(env.get("KINLINK_FAMILY_CODE_HASH_MEMORY_KIB", "8192"))
    passes = int(env.get("KINLINK_FAMILY_CODE_HASH_TIME", "2"))
    hash_secret_raw(b"0" * 64, b"s" * 16, passes, memory, 1, 16, Type.ID)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeats):
        hash_secret_raw(b"0" * 64, b"s" * 16, passes, memory, 1, 16, Type.ID)
    return {
        "memory_kib": memory,
        "passes": passes,
        "cpu_ms": round((time.process_time() - cpu) / repeats * 1000, 1),
        "wall_ms": round((time.perf_counter() - wall) / repeats * 1000, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def server_configuration(env: dict[str, str]) -> dict[str, Any]:
    from kinlink.commands.registry import production_command

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("KINLINK_WEB_")})
    try:
        command = production_command("127.0.0.1", 0)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {
        "command": "kinlink serve --production",
        "gunicorn": " ".join(command[3:]),
        "environment": {
            k: v
            for k, v in env.items()
            if k.startswith(("KINLINK_WEB_", "KINLINK_DB_", "KINLINK_FAMILY_CODE_", "KINLINK_RATE_"))
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--database-url", default="postgres://127.0.0.1:5432/kinlink_webbench")
    parser.add_argument("--state-dir", type=Path, default=Path("/tmp/kinlink-webbench"))
    parser.add_argument(
        "--reuse", action="store_true", help="use the database (and state folder) built before"
    )
    parser.add_argument("--size", default="medium", choices=("small", "medium"), help="the demo to build")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--rates", default=",".join(map(str, RATES)), help="requests per second, comma-separated"
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per step")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds before a request counts as failed"
    )
    parser.add_argument("--pause", type=float, default=2.0, help="seconds of rest between steps")
    parser.add_argument("--classes", default=",".join(CLASSES))
    parser.add_argument(
        "--mixed",
        default="",
        help="rates of the family code check (wrong codes) run together with the public pages, e.g. 50,200",
    )
    parser.add_argument("--mixed-public", type=float, default=50.0, help="the public pages' rate in --mixed")
    parser.add_argument(
        "--settle-limit", type=float, default=SETTLE["limit_s"], help="longest wait for the queue to drain"
    )
    parser.add_argument("--quick", action="store_true", help="5 s per step at 20 and 50 req/s")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="server environment (KINLINK_WEB_WORKERS=3)",
    )
    parser.add_argument("--out", default="web", help="bench/results/<out>.json")
    opts = parser.parse_args()
    opts.rates = [float(r) for r in (QUICK_RATES if opts.quick else opts.rates.split(","))]
    if opts.quick:
        opts.duration, opts.pause = 5.0, 1.0
    opts.classes = [c for c in opts.classes.split(",") if c]
    unknown = set(opts.classes) - set(CLASSES)
    if unknown:
        parser.error(f"unknown classes: {', '.join(sorted(unknown))}")
    opts.mixed = [float(r) for r in opts.mixed.split(",") if r]
    SETTLE["limit_s"] = opts.settle_limit
    extra = dict(item.split("=", 1) for item in opts.set)
    if not shutil.which("createdb") and not opts.reuse:
        raise SystemExit("createdb (PostgreSQL's client) is needed to build the database")

    if not opts.reuse:
        build_database(opts.state_dir, opts.database_url, opts.size)
    fixtures = read_fixtures(opts.state_dir, opts.database_url)
    env = server_env(opts.state_dir, opts.database_url, extra)
    server = start_server(env, opts.port, opts.state_dir / "server.log")
    started, load_start = time.monotonic(), os.getloadavg()[0]
    try:
        figures = asyncio.run(bench(server, fixtures, opts))
    finally:
        server.stop()
    path = write_results(
        opts.out,
        {
            "what": "open-loop load per page class against kinlink serve --production on PostgreSQL, "
            f"the {opts.size} demo; latency from when each request was due",
            "demo": {"size": opts.size, "persons": {"small": 1_000, "medium": 20_000}[opts.size]},
            "database": "PostgreSQL, " + _database_name(opts.database_url),
            "server": server_configuration(env),
            "hash_cost": hash_cost(env),
            "load_average_1m_start": round(load_start, 2),
            "note": "the load generator, the server, PostgreSQL and other work share this machine's cores; "
            "each row has the load average and the CPU each used",
            "duration_s": opts.duration,
            "rates_per_s": opts.rates,
            "timeout_s": opts.timeout,
            "total_wall_s": round(time.monotonic() - started, 1),
            **figures,
        },
    )
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
