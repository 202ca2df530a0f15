"""Cached fragments of the consoles: aggregates that read the whole registry (the legal deadlines of every
open case, the queues' counts) are computed once and kept for a short while, not on every page view.

A fragment's key holds what it depends on: the organisations the reader works for (or "all" for a
superuser), the day, and the *data version*. The version is bumped whenever a row of the domain apps is
written or deleted: every ``INSERT``, ``UPDATE`` or ``DELETE`` on one of their tables that the database
connection runs (an execute wrapper on every connection, so a ``QuerySet.update()``, a ``bulk_create`` or raw
SQL counts as much as a model's ``save()``; the bulk loader's ``COPY`` says so by a signal; the audit trail,
sessions and rate counters do not count). On PostgreSQL the version is a database sequence that every
process bumps and reads (once a request: ``DataVersionMiddleware``), so a reader sees a fresh fragment after
any change, made by any process: a server process, the worker, a command run by hand. On SQLite it lives in
the cache: shared by the processes that share ``KINLINK_CACHE_DIR`` (which ``kinlink serve --production``
sets), else each process's own, and a change made by another process then shows within
``KINLINK_FRAGMENT_SECONDS``.

A fragment is computed by one thread of the machine at a time (*single flight*): computing the consoles'
aggregates on a large registry takes seconds, and a dozen server threads all finding the fragment stale at
once (after a restart, or after a write) would each compute it, taking every core and the database for
minutes (measured on the medium demo: bench/results/web_medium.json). The first one takes the fragment's
lock (a ``flock``ed file in ``VAR_DIR/run/fragment-locks``, shared by every process and thread of the
machine) and computes; meanwhile the others serve the fragment's last value when there is one (at most
``KINLINK_FRAGMENT_STALE_SECONDS`` old: a page a few seconds behind a write is what a reader got before the
write anyway), or wait for the lock (at most ``KINLINK_FRAGMENT_WAIT_SECONDS``) and read what it computed.

A fragment that takes seconds (the legal deadlines of every open case) is renewed *off the request*
(``background=True``): when it has a last value, even the reader who finds it stale gets that value at
once, and a thread of the process computes the new one (``KINLINK_FRAGMENT_BACKGROUND``; tests turn it
off). A fragment built from another one's last value is not kept under the new version (only as its own
last value), so that it is built again, from the renewed one, on the next view.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.utils import translation

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: The apps whose rows the fragments are made of.
DOMAIN_APPS = frozenset({"registry", "identification", "matching", "field", "documents"})
#: Rows of those apps that change no fragment (written on every read: the audit trail, heartbeats).
IGNORED_MODELS = frozenset({"auditentry", "workerheartbeat", "datakey"})
_VERSION_KEY = "kinlink:fragments:version"


#: Lock files the fragments are computed under (a hash of the fragment's name and parts picks one).
LOCK_SLOTS = 1024


def fragment_seconds() -> int:
    return int(getattr(settings, "KINLINK_FRAGMENT_SECONDS", 60))


def stale_seconds() -> int:
    return int(getattr(settings, "KINLINK_FRAGMENT_STALE_SECONDS", 600))


def wait_seconds() -> float:
    return float(getattr(settings, "KINLINK_FRAGMENT_WAIT_SECONDS", 20))


#: On PostgreSQL the data version is this sequence (migration ``portal 0005``): bumped by ``nextval``, which
#: takes no lock and is never rolled back, by whichever process writes (a server, the worker, a command run
#: by hand), and read by every process. SQLite keeps it in the cache (shared by the processes that share
#: ``KINLINK_CACHE_DIR``; each process's own otherwise).
_SEQUENCE = "kinlink_data_version"


def version_in_database() -> bool:
    """Whether every process sees every other's writes in the data version (PostgreSQL's sequence)."""
    return connection.vendor == "postgresql"


#: How old a data version the pages every visitor shares alike (the public pages, the events list) may
#: be read (PostgreSQL): a write by another process shows on them within these seconds.
SHARED_VERSION_AGE = 5.0
#: The database's version as this process last read or bumped it, and when (``time.monotonic()``).
_known: tuple[int, float] | None = None


#: Whether this thread read the data version since it last bumped it
#: (see :func:`bump_version_now_and_at_commit`).
_reads = threading.local()

#: The version read once for the request being answered (``DataVersionMiddleware``), forgotten by a bump.
_request_version: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "kinlink_request_data_version", default=None
)


class DataVersionMiddleware:
    """A request reads the data version once (PostgreSQL: one query), however many fragments its page
    shows; a write in the request forgets it, so what follows the write reads it again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_version.set({})
        try:
            return self.get_response(request)
        finally:
            _request_version.reset(token)


def data_version(max_age: float = 0.0) -> int:
    """The data version. With ``max_age`` (seconds; PostgreSQL), the value this process read or bumped
    that long ago at most serves without a query: its own writes it knows at once, another process's within
    ``max_age`` (public pages, shared lists: a page served tens of times a second makes no query)."""
    global _known
    _reads.since_bump = True
    if version_in_database():
        known = _known
        if max_age > 0 and known is not None and time.monotonic() - known[1] <= max_age:
            return known[0]
        scoped = _request_version.get()
        if scoped is not None and "version" in scoped:
            return scoped["version"]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT last_value, is_called FROM {_SEQUENCE}")
            value, called = cursor.fetchone()
        version = int(value) if called else 0
        _known = (version, time.monotonic())
        if scoped is not None:
            scoped["version"] = version
        return version
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, 1, timeout=None)
        version = cache.get(_VERSION_KEY, 1)
    return int(version)


def bump_version() -> None:
    """Every fragment is stale from now on (in every process with PostgreSQL or a shared cache)."""
    global _known
    _reads.since_bump = False
    scoped = _request_version.get()
    if scoped is not None:
        scoped.pop("version", None)
    if version_in_database():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT nextval('{_SEQUENCE}')")
            _known = (int(cursor.fetchone()[0]), time.monotonic())
        return
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:  # not there yet (or evicted): any new value differs from every key made before
        cache.add(_VERSION_KEY, 2, timeout=None)


def bump_version_now_and_at_commit() -> None:
    """A write inside a transaction is bumped for twice: at once (this process's next read sees it; skipped
    when the transaction already bumped and no version was read since) and when the transaction commits,
    since another process may have computed a fragment in between from the rows as they were before the
    commit and kept it under the new version."""
    pending = connection.in_atomic_block and any(
        entry[1] is bump_version for entry in connection.run_on_commit
    )
    # A transaction that already bumped, and read no version since, skips the bump at once: nothing this
    # thread keeps can be under the version it made (an import's tens of ``COPY`` statements make one).
    if not pending or getattr(_reads, "since_bump", True):
        bump_version()
    if connection.in_atomic_block and not pending:
        connection.on_commit(bump_version)


def scope_of(user: Any) -> str:
    """What a fragment of ``user`` depends on: the organisations the member works for, or all of them."""
    from kinlink.registry.services.access import is_superuser, organisation_ids_of

    known = getattr(user, "_kinlink_fragment_scope", None)  # read once a request (the user lives that long)
    if isinstance(known, str):
        return known
    scope = "all" if is_superuser(user) else (",".join(map(str, organisation_ids_of(user))) or "none")
    with contextlib.suppress(AttributeError):  # an object that takes no attributes: read again next time
        user._kinlink_fragment_scope = scope
    return scope


def cached(
    name: str,
    parts: tuple[Any, ...],
    compute: Callable[[], T],
    *,
    version_age: float = 0.0,
    stale: bool = True,
    background: bool = False,
) -> T:
    """The fragment ``name`` for ``parts`` (the reader's scope, the day...), computed when absent: by one
    thread of the machine at a time, the others serving its last value meanwhile (the module's note).
    ``version_age``: how old the data version read may be (:func:`data_version`). ``stale=False``: never the
    last value, always the current version's (what decides who may see what: wait for it instead).
    ``background``: a reader never waits for it while it has a last value (the module's note)."""
    stem = ":".join(["kinlink:fragment", name, *(str(p) for p in parts)])
    version = data_version(version_age)
    key = f"{stem}:v{version}"
    found = cache.get(key)
    if found is not None:
        return found
    latest_key = f"{stem}:latest"
    if background and stale and background_enabled():
        latest = cache.get(latest_key)
        if latest is not None:  # its last value now, the new one computed off the request
            _compute_later(stem, key, latest_key, version, compute)
            _served_last_value()
            return latest[1]
    with _fragment_lock(stem, wait=False) as held:
        if held:
            return _compute(key, latest_key, version, compute)
    latest = cache.get(latest_key) if stale else None
    if latest is not None:  # another thread computes it now: its last value, a few seconds behind
        _served_last_value()
        return latest[1]
    with _fragment_lock(stem, wait=True):  # none yet: wait for the one being computed (or compute it)
        return _compute(key, latest_key, version, compute)


def _compute(key: str, latest_key: str, version: int, compute: Callable[[], T]) -> T:
    """Under the fragment's lock: what another thread computed meanwhile, or compute it now. A value built
    from another fragment's last value is kept only as this one's last value (see the module's note)."""
    found = cache.get(key)
    if found is None:
        before = _last_values_served()
        found = compute()
        if _last_values_served() == before:
            cache.set(key, found, timeout=fragment_seconds())
        cache.set(latest_key, (version, found), timeout=stale_seconds())
    return found


def background_enabled() -> bool:
    return bool(getattr(settings, "KINLINK_FRAGMENT_BACKGROUND", True))


#: How many last values (not the current version's) this thread served; see :func:`_compute`.
_stale = threading.local()


def _served_last_value() -> None:
    _stale.count = _last_values_served() + 1


def _last_values_served() -> int:
    return int(getattr(_stale, "count", 0))


#: The process's thread that computes fragments off the request, and the fragments queued for it.
_background: ThreadPoolExecutor | None = None
_queued: set[str] = set()
_queued_lock = threading.Lock()


def _compute_later(stem: str, key: str, latest_key: str, version: int, compute: Callable[[], T]) -> None:
    """Queue ``compute`` for the process's background thread (once per fragment), in the reader's language.
    It runs under the fragment's lock, or not at all when another thread of the machine holds it (that one
    computes it), with its own database connection, closed after."""
    global _background
    language = translation.get_language()

    def run() -> None:
        try:
            with translation.override(language), _fragment_lock(stem, wait=False) as held:
                if held:
                    _compute(key, latest_key, version, compute)
        except Exception:  # the last value stays; the next view queues it again
            logger.exception("the fragment %s could not be computed in the background", stem.split(":")[2])
        finally:
            with _queued_lock:
                _queued.discard(stem)
            connections.close_all()  # this thread's own

    with _queued_lock:
        if stem in _queued:
            return
        _queued.add(stem)
        if _background is None:
            _background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kinlink-fragments")
        executor = _background
    executor.submit(run)


def background_idle() -> Future[None]:
    """A future done once the fragments queued so far are computed (tests, benchmarks)."""
    with _queued_lock:
        executor = _background
    if executor is None:
        done: Future[None] = Future()
        done.set_result(None)
        return done
    return executor.submit(lambda: None)


_held = threading.local()


def lock_folder() -> Path:
    """Where the fragments' lock files are: ``KINLINK_FRAGMENT_LOCK_DIR``, else VAR_DIR/run/fragment-locks
    (one folder for the machine's processes that serve one database)."""
    configured = getattr(settings, "KINLINK_FRAGMENT_LOCK_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "run" / "fragment-locks"


@contextlib.contextmanager
def _fragment_lock(stem: str, *, wait: bool) -> Iterator[bool]:
    """The lock of the fragment ``stem`` (one of ``LOCK_SLOTS`` lock files, shared by the machine's
    processes and threads): yields whether this thread holds it. With ``wait``, waits for it at most
    ``wait_seconds()`` and then goes on without it (a fragment computed twice is slower, never wrong).
    A lock this thread already holds (a fragment computed inside another whose slot it shares) counts as
    held."""
    slot = int.from_bytes(hashlib.blake2b(stem.encode(), digest_size=4).digest(), "big") % LOCK_SLOTS
    held: set[int] = getattr(_held, "slots", None) or set()
    _held.slots = held
    if slot in held:
        yield True
        return
    folder = lock_folder()
    try:
        descriptor = os.open(folder / f"{slot}", os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(folder / f"{slot}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + (wait_seconds() if wait else 0.0)
        locked = _try_lock(descriptor)
        while not locked and time.monotonic() < deadline:
            time.sleep(0.01)
            locked = _try_lock(descriptor)
        if locked:
            held.add(slot)
        try:
            yield locked
        finally:
            if locked:
                held.discard(slot)
                fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


#: The statement that writes rows, and the table it writes (quoted or not, as either database writes it).
_WRITE = re.compile(r'\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)


def domain_tables() -> frozenset[str]:
    """The tables whose writes make every fragment stale: those of the domain apps' models (their
    many-to-many tables included) but the ignored ones."""
    global _domain_tables
    if _domain_tables is None:
        _domain_tables = frozenset(
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label in DOMAIN_APPS and model._meta.model_name not in IGNORED_MODELS
        )
    return _domain_tables


_domain_tables: frozenset[str] | None = None


def _watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """The execute wrapper of every connection: a statement that wrote rows of the domain bumps the data
    version (at once, and again when its transaction commits)."""
    result = execute(sql, params, many, context)
    found = _WRITE.match(sql) if isinstance(sql, str) else None
    if found is not None and found.group(2) in domain_tables():
        # an UPDATE or DELETE that matched nothing changed nothing (an INSERT's count is not trusted: SQLite
        # counts the rows of an INSERT ... RETURNING only as they are fetched)
        unchanged = (
            not found.group(1).upper().startswith("INSERT")
            and getattr(context.get("cursor"), "rowcount", -1) == 0
        )
        if not unchanged:
            bump_version_now_and_at_commit()
    return result


def _watch_connection(sender: Any, connection: BaseDatabaseWrapper, **_: Any) -> None:
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def _bulk_written(sender: Any, **_: Any) -> None:
    meta = getattr(sender, "_meta", None)
    if meta is not None and meta.db_table in domain_tables():
        bump_version_now_and_at_commit()


def connect() -> None:
    """Called once from the portal's ``AppConfig.ready``: every connection, open now or later, watched."""
    from kinlink.registry.services.fastinsert import rows_loaded

    connection_created.connect(_watch_connection, dispatch_uid="kinlink.portal.fragments.watch")
    for each in connections.all(initialized_only=True):
        _watch_connection(None, each)
    rows_loaded.connect(_bulk_written, dispatch_uid="kinlink.portal.fragments.bulk")
