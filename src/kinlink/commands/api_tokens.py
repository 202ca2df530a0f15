"""API tokens for partner organisations: ``kinlink api-token create|list|revoke``."""

from __future__ import annotations

import argparse
import sys

from kinlink.commands.base import setup_django

SCOPES = ("read:cases", "write:claims", "lab:upload")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tokens = subparsers.add_parser("api-token", help="API tokens for partner organisations")
    sub = tokens.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a token; it is printed once and stored only as a hash")
    create.add_argument("--org", required=True, help="organisation slug")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append", choices=SCOPES, required=True, help="repeat for several")
    create.add_argument(
        "--days",
        type=int,
        default=None,
        metavar="N",
        help="the token expires after N days (default KINLINK_API_TOKEN_DAYS, 90); an expired token gets 401",
    )
    create.set_defaults(handler=run_create)
    listing = sub.add_parser("list", help="list tokens (prefixes only)")
    listing.set_defaults(handler=run_list)
    revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
    revoke.add_argument("prefix")
    revoke.set_defaults(handler=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.api.actions import issue_token
    from kinlink.registry.models import Organisation

    organisation = Organisation.objects.filter(slug=args.org).first()
    if organisation is None:
        print(f"error: no organisation with slug {args.org!r}", file=sys.stderr)
        return 1
    try:
        row, token = issue_token(
            None, organisation, args.name, list(args.scope), label="kinlink cli", days=args.days
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(token)
    if row.expires_at is not None:
        print(f"expires {row.expires_at:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.api.models import ApiToken

    for row in ApiToken.objects.select_related("organisation").order_by("id"):
        state = "revoked" if row.revoked_at else "active" if row.is_active else "expired"
        expires = f"{row.expires_at:%Y-%m-%d}" if row.expires_at else "never"
        print(
            f"{row.prefix}  {row.organisation.slug:<20} {row.name:<20} {','.join(row.scopes):<40} {state:<8} "
            f"expires {expires}"
        )
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.api.actions import revoke_token
    from kinlink.api.models import ApiToken

    row = ApiToken.objects.filter(prefix=args.prefix).first()
    if row is None:
        print(f"error: no token with prefix {args.prefix!r}", file=sys.stderr)
        return 1
    revoke_token(None, row, label="kinlink cli")
    print(f"revoked {row.prefix}")
    return 0
