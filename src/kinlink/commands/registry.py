"""Registry commands: ``demo``, ``totp``, ``unlock``, ``serve``, ``worker``, ``import-list``, ``export``."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kinlink.commands.base import (
    CommandError,
    add_operator_argument,
    migrate_database,
    operator_label,
    output_file,
    progress_rows,
    setup_django,
    write_private,
)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: prctl(2) option: the signal a process receives when its parent dies (linux/prctl.h)
PR_SET_PDEATHSIG = 1
IMPORT_DESCRIPTION = " ".join(
    [
        "Import a person list in the format record_id,source,full_name,surname,given_name,patronymic,",
        "birth_date,birth_place,unit,rank,event_date,event_place. Atomic and idempotent: refused rows",
        "are reported with row, column and reason, and nothing is written unless --skip-bad-rows is given.",
    ]
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="fill the database with a synthetic scenario and serve it",
        description="Fill the database (DATABASE_URL, else var/kinlink.sqlite3) with a synthetic scenario "
        "and the seed case, print a login for each role, and serve on 127.0.0.1:8000.",
    )
    demo.add_argument(
        "--size",
        choices=("small", "medium"),
        default="small",
        help="small: 1,000 persons; medium: 20,000 persons",
    )
    demo.add_argument("--no-serve", action="store_true", help="fill the database and exit")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(handler=run_demo)

    serve = subparsers.add_parser(
        "serve",
        help="serve the web application",
        description=(
            "Serve kinlink over HTTP with a task worker beside it. Without --production: Django's "
            "development server, for a local demo. With --production: gunicorn in the configuration "
            "docs/operator.md recommends for this machine (KINLINK_WEB_WORKERS, KINLINK_WEB_THREADS, "
            "KINLINK_WEB_TIMEOUT override it); it refuses to start while `kinlink check --deploy` fails or "
            "the database lacks migrations (`kinlink migrate`). Stopping it (Ctrl-C or SIGTERM) stops the "
            "worker too."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--production", action="store_true", help="serve with gunicorn (see docs/operator.md), not Django's"
    )
    serve.set_defaults(handler=run_serve)

    totp_code = subparsers.add_parser(
        "totp",
        help="print the current sign-in code of a demo account (local demo only)",
        description="Print the current six-digit TOTP code of a demo staff account, for signing in to the "
        "local demo. Refused unless KINLINK_DEBUG=1 and the database holds the demo.",
    )
    totp_code.add_argument("username", metavar="USERNAME", help="caseworker, supervisor, lab, admin, ...")
    totp_code.set_defaults(handler=run_totp)

    unlock = subparsers.add_parser(
        "unlock",
        help="lift a staff account's sign-in lockout",
        description="Lift the lockout that repeated failed sign-ins (password or code) put on a staff "
        "account: clears its failed attempts from every address and its authenticator's throttle. The "
        "lockout otherwise ends by itself after KINLINK_LOGIN_COOLOFF_HOURS (default 1 hour). Audited.",
    )
    unlock.add_argument("username", metavar="USERNAME")
    unlock.set_defaults(handler=run_unlock)

    worker = subparsers.add_parser(
        "worker",
        help="run background tasks (list linkage, DNA screening)",
        description="Run the background task worker until stopped: the django-tasks queue (database "
        "backend) and every DNA screening run still queued, in turn.",
    )
    worker.add_argument(
        "--batch", "--once", action="store_true", help="run the queued tasks and screening runs, then exit"
    )
    worker.set_defaults(handler=run_worker)

    importer = subparsers.add_parser(
        "import-list",
        help="import a person list (CSV or XLSX)",
        description=IMPORT_DESCRIPTION,
    )
    importer.add_argument("file", type=Path, metavar="FILE")
    importer.add_argument(
        "--source-kind",
        required=True,
        metavar="KIND",
        help="prisoner_list, obituary, burial_record, family_report, media, exchange_list, ...",
    )
    importer.add_argument(
        "--source-name", required=True, metavar="NAME", help="the list's name; re-imports reuse it"
    )
    importer.add_argument(
        "--skip-bad-rows", action="store_true", help="import the good rows and report the bad ones"
    )
    importer.add_argument("--fate", help="the fate the rows state (default: by source kind)")
    importer.set_defaults(handler=run_import_list)

    export = subparsers.add_parser(
        "export",
        help="export the registry as JSON or CSV",
        description='Export the registry. JSON is one object {"persons": [...], "sources": [...], '
        '"claims": [...], ...}; CSV writes one table (--table). Each person carries its reconciled fate '
        "(fate, fate_confidence, fate_conflicts). Contact details are left out unless "
        "--include-contacts is given; DNA profiles are never exported.",
    )
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--table", default="persons", help="with --format csv: which table (default persons)")
    export.add_argument("--out", type=Path, help="write to this file instead of standard output")
    export.add_argument(
        "--include-contacts",
        action="store_true",
        help="include the enquirers' names and contact details (logged in the audit trail; the file is "
        "written readable by its owner only)",
    )
    add_operator_argument(export)
    export.set_defaults(handler=run_export)


def _local_cookies(host: str, port: int) -> None:
    """Serving on this machine only (the local demo): plain-http cookies, and documents whose verification
    link points to this server (issuing refuses a localhost link otherwise, see ``KINLINK_BASE_URL``)."""
    if host in LOOPBACK:
        os.environ.setdefault("KINLINK_INSECURE_COOKIES", "1")
        if not os.environ.get("KINLINK_BASE_URL"):
            os.environ["KINLINK_BASE_URL"] = f"http://{'[::1]' if host == '::1' else host}:{port}"
            os.environ["KINLINK_LOCAL_BASE_URL"] = "1"


def _die_with_parent() -> None:
    """In a child process, before it runs: on Linux the kernel sends it SIGTERM when its parent dies, however
    the parent ends (SIGKILL, ``os._exit``), so no worker is left running under init."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_worker() -> subprocess.Popen[bytes]:
    """The task worker as a child process that ends with this one (``_die_with_parent``), told its parent's
    pid (it stops when the parent is gone, where the kernel cannot do it)."""
    env = {**os.environ, "KINLINK_WORKER_PARENT": str(os.getpid())}
    return subprocess.Popen([sys.executable, "-m", "kinlink", "worker"], env=env, preexec_fn=_die_with_parent)


def stop_child(child: subprocess.Popen[Any], timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; waits, so no zombie is left."""
    if child.poll() is None:
        child.terminate()
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def ensure_port_free(host: str, port: int) -> None:
    """Refuse, before anything starts, a port another server holds (the development server would exit
    without stopping what was started beside it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def terminated_by_signals() -> Iterator[None]:
    """SIGTERM (and SIGHUP) end the command as Ctrl-C does: by an exception, so that ``finally`` blocks run
    and the children stop."""
    import signal

    def end(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, end) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(host: str, port: int) -> int:
    """Serve HTTP, with a background worker process beside it for the tasks the pages start. The worker
    stops when the server stops: Ctrl-C, SIGTERM, a busy port, or the server dying."""
    from django.core.management import call_command

    ensure_port_free(host, port)
    with terminated_by_signals():
        worker = start_worker()
        try:
            print(f"serving on http://{host}:{port}/ (Ctrl-C stops)", file=sys.stderr)
            call_command("runserver", f"{host}:{port}", use_reloader=False, insecure_serving=True)
        finally:
            stop_child(worker)
    return 0


def run_worker(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.worker import run_worker as work

    work(batch=args.batch)
    return 0


#: Seconds a production web thread keeps its database connection (``KINLINK_DB_CONN_MAX_AGE``).
PRODUCTION_CONN_MAX_AGE = 60


def production_command(host: str, port: int, cpus: int | None = None) -> list[str]:
    """The gunicorn command line ``kinlink serve --production`` runs: threaded workers (one process per
    core plus one, four threads each: the pages wait on the database more than they compute), a 30 s
    request timeout, workers recycled after about 20,000 requests (each recycling empties the process's
    kept pages: at 200 requests a second, 2,000 recycled every worker every half minute), and no access log
    (a URL may carry a family's private link). The environment overrides each figure (docs/operator.md)."""
    cpus = cpus or os.cpu_count() or 1
    workers = int(os.environ.get("KINLINK_WEB_WORKERS", cpus + 1))
    threads = int(os.environ.get("KINLINK_WEB_THREADS", 4))
    timeout = int(os.environ.get("KINLINK_WEB_TIMEOUT", 30))
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "kinlink.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        "20",
        "--keep-alive",
        "5",
        "--max-requests",
        "20000",
        "--max-requests-jitter",
        "2000",
        "--error-logfile",
        "-",
    ]


def production_problems() -> list[str]:
    """What keeps production from starting: every failed deployment check, the same verdict as
    ``kinlink check --deploy`` (``kinlink.portal.checks``). Django must be set up."""
    from kinlink.portal.checks import deploy_failures

    return deploy_failures()


def _serve_production(host: str, port: int) -> int:
    """gunicorn and the task worker as two child processes; either ending, or a signal, stops both."""
    import signal

    setup_django()  # refuses a database that lacks migrations: `kinlink migrate` comes first
    problems = production_problems()
    if problems:
        raise CommandError(
            "refusing to start production (see `kinlink check --deploy`):\n  " + "\n  ".join(problems)
        )
    os.environ.setdefault("KINLINK_LOG_FORMAT", "json")  # for the log collector; the children inherit it
    # each gunicorn thread keeps its database connection between requests (measured: docs/operator.md)
    os.environ.setdefault("KINLINK_DB_CONN_MAX_AGE", str(PRODUCTION_CONN_MAX_AGE))
    # one cache for every process: the consoles' fragments are computed once for all (portal.fragments);
    # emptied at start (the database may have changed while nothing served it)
    from django.conf import settings

    cache_dir = Path(os.environ.setdefault("KINLINK_CACHE_DIR", str(Path(settings.VAR_DIR) / "cache")))
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    web = subprocess.Popen(production_command(host, port), preexec_fn=_die_with_parent)
    worker = start_worker()
    print(f"serving on http://{host}:{port}/ with gunicorn (pid {web.pid}) and the worker", file=sys.stderr)

    def stop(signum: int, _frame: Any) -> None:
        for child in (web, worker):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while web.poll() is None and worker.poll() is None:
            time.sleep(0.5)
    finally:
        stop(signal.SIGTERM, None)
        for child in (web, worker):
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if web.returncode in (0, -signal.SIGTERM) else 1


def _development_keys() -> None:
    """The development server and the demo are development: without ``KINLINK_FIELD_KEY`` they may use the
    key derived from the secret key (production refuses it, ``registry.crypto.FieldKeyMissing``)."""
    os.environ.setdefault("KINLINK_DEVELOPMENT_KEYS", "1")


def run_serve(args: argparse.Namespace) -> int:
    if args.production:
        return _serve_production(args.host, args.port)
    _local_cookies(args.host, args.port)
    _development_keys()
    setup_django(web_statement_timeout=True)
    return _serve(args.host, args.port)


def run_demo(args: argparse.Namespace) -> int:
    if not args.no_serve:
        ensure_port_free(args.host, args.port)  # before minutes of filling the database, not after
    _local_cookies(args.host, args.port)
    _development_keys()
    setup_django(check_migrations=False)
    applied = migrate_database()  # the demo sets up its own database
    if applied:
        print(f"  {len(applied)} migration(s) applied", file=sys.stderr)
    from kinlink.demo import build_demo

    started = time.monotonic()
    summary = build_demo(
        args.size, step=lambda what: print(f"  {what} ({time.monotonic() - started:.1f} s)", file=sys.stderr)
    )
    state = "filled" if summary.created else "already filled"
    counts = ", ".join(f"{n} {k}" for k, n in summary.counts.items())
    print(f"Database {state} in {time.monotonic() - started:.1f} s: {counts}.")
    print("\nDemo logins (local demo only):")
    for login in summary.logins:
        note = f"  {login.note}" if login.note else ""
        print(f"  {login.role:<14} {login.username:<12} {login.password:<24} {login.organisation}{note}")
    code = summary.family_code or "(printed when the demo was filled)"
    print(f"  {'family':<14} request {summary.seed_request_number}, follow-up code {code}")
    print(
        "\nStaff sign in with the password, then a six-digit code: "
        "`KINLINK_DEBUG=1 kinlink totp USERNAME` prints it."
    )
    print(
        f"\nSeed case: {summary.seed_case_number} "
        "(unit: killed; ministry: missing; comrade: buried by locals; "
        "identified by DNA, the family not yet told)."
    )
    if args.no_serve:
        return 0
    return _serve(args.host, args.port)


def run_totp(args: argparse.Namespace) -> int:
    """The current TOTP code of a demo account. Local demos only: refused unless DEBUG is on
    (``KINLINK_DEBUG=1``) and the database holds the demo, and only for the demo's own accounts."""
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kinlink.demo import seed_case
    from kinlink.demo.accounts import STAFF

    if not settings.DEBUG:
        raise CommandError("kinlink totp is for local demos only: run it with KINLINK_DEBUG=1")
    if seed_case() is None:
        raise CommandError("kinlink totp is for the local demo only: this database holds no demo")
    if args.username not in {username for _role, username, _org in STAFF}:
        raise CommandError(f"'{args.username}' is not a demo account")
    user = get_user_model().objects.filter(username=args.username).first()
    device = TOTPDevice.objects.filter(user=user, name="demo authenticator", confirmed=True).first()
    if device is None:
        raise CommandError(f"'{args.username}' has no demo authenticator (run kinlink demo first)")
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    print(f"{code:0{device.digits}d}")
    return 0


def run_unlock(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.portal.actions import UnknownAccount, unlock_account

    try:
        result = unlock_account(args.username, label="cli")
    except UnknownAccount as exc:
        raise CommandError(f"no account with the user name {args.username!r}") from exc
    print(
        f"{result.username}: unlocked ({result.attempts_cleared} failed attempt record(s) cleared, "
        f"{result.devices_reset} authenticator(s) reset)"
    )
    return 0


def run_import_list(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.registry.actions import import_list
    from kinlink.registry.services.bulk import ImportRefused

    def bar(chunks: Any, total: int) -> Any:
        return progress_rows(chunks, total, desc="importing")

    try:
        result = import_list(
            None,
            args.file,
            args.source_kind,
            args.source_name,
            skip_bad_rows=args.skip_bad_rows,
            fate=args.fate,
            progress=bar,
            label="cli",
        )
    except ImportRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    if result.already_imported:
        print(f"{args.file.name} was already imported into '{args.source_name}': nothing changed.")
        return 0
    print(
        f"{args.file.name}: {result.created} new, {result.changed} changed, {result.unchanged} unchanged "
        f"record(s) in '{args.source_name}'."
    )
    if result.ignored_columns:
        print(f"ignored columns: {', '.join(result.ignored_columns)}", file=sys.stderr)
    for error in result.skipped:
        print(f"skipped {error}", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.registry.services import audit
    from kinlink.registry.services.export import TABLES, export_csv, export_json

    if args.format == "csv" and args.table not in TABLES:
        raise CommandError(f"unknown table '{args.table}' (use one of: {', '.join(TABLES)})")
    out = output_file(args.out) if args.out else None
    if args.format == "json":
        text = json.dumps(export_json(args.include_contacts), ensure_ascii=False, indent=1)
    else:
        text = export_csv(args.table, args.include_contacts)
    # Every export is on the trail, with the operator's name; one with contact details under its own action.
    audit.record(
        None,
        audit.Action.EXPORT_CONTACTS if args.include_contacts else audit.Action.EXPORT_REGISTRY,
        object_type="registry",
        object_id="*",
        label=operator_label(args),
        format=args.format,
        tables=list(TABLES) if args.format == "json" else [args.table],
        include_contacts=bool(args.include_contacts),
        to=str(out) if out is not None else "stdout",
    )
    if out is not None:
        if args.include_contacts:
            write_private(out, text.encode("utf-8"))
        else:
            tmp = out.with_name(out.name + ".part")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(out)
    else:
        sys.stdout.write(text)
    return 0
