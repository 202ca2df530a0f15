"""Keys of encryption at rest: ``kinlink keys generate|status|rotate`` (docs/operator.md, "Data at rest")."""

from __future__ import annotations

import argparse
import sys

from kinlink.commands.base import setup_django


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = subparsers.add_parser("keys", help="keys of encryption at rest (generate, status, rotate)")
    sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    generate = sub.add_parser("generate", help="print a new operator key for KINLINK_FIELD_KEY")
    generate.set_defaults(handler=run_generate)
    status = sub.add_parser(
        "status", help="data keys by scope; how many the first KINLINK_FIELD_KEY does not wrap yet"
    )
    status.set_defaults(handler=run_status)
    rotate = sub.add_parser(
        "rotate",
        help="rewrap every data key with the first key of KINLINK_FIELD_KEY (new key first, old after it); "
        "resumable, in batches, audited; re-encrypts values from before envelope encryption first",
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="keys per committed batch (500)")
    rotate.add_argument(
        "--after", type=int, default=0, help="resume after this key id (any re-run also resumes)"
    )
    rotate.add_argument("--label", default="kinlink keys rotate", help="who rotates, for the audit trail")
    rotate.set_defaults(handler=run_rotate)


def run_generate(args: argparse.Namespace) -> int:
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode())
    return 0


def run_status(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.registry import crypto
    from kinlink.registry.models import DataKey

    counts: dict[str, int] = {"live": 0, "current": 0, "to rotate": 0, "shredded": 0, "missing": 0}
    for key in DataKey.objects.order_by("pk").iterator():
        if key.shredded_at is not None:
            counts["shredded"] += 1
            continue
        counts["live"] += 1
        try:
            wrapped = crypto.read_wrapped_key(key.key_id)
        except crypto.KeyShredded:
            counts["missing"] += 1
            continue
        counts["current" if crypto.wrapped_with_primary(wrapped) else "to rotate"] += 1
    print(f"key store: {crypto.key_dir()}")
    for name, count in counts.items():
        print(f"  {name:<10} {count}")
    if counts["missing"]:
        print("error: live keys missing from the key store; restore it from its backup", file=sys.stderr)
        return 1
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.registry import actions, crypto

    if args.batch_size < 1:
        print("error: --batch-size must be at least 1", file=sys.stderr)
        return 2
    try:
        reencrypted = actions.reencrypt_legacy_values(None, batch_size=args.batch_size, label=args.label)
        print(f"values from before envelope encryption, encrypted again: {reencrypted}")
        total = 0
        for batch in actions.rotate_data_keys(
            None, batch_size=args.batch_size, after=args.after, label=args.label
        ):
            total += batch.rewrapped
            print(
                f"keys up to {batch.last_key}: {batch.rewrapped} rewrapped, {batch.already_current} already "
                f"current, {batch.shredded_files_removed} shredded files removed"
            )
    except crypto.DecryptionError as exc:
        print(
            f"error: {exc} (is the old key still listed after the new one in KINLINK_FIELD_KEY?)",
            file=sys.stderr,
        )
        return 1
    print(f"done: {total} keys rewrapped; the keys after the first in KINLINK_FIELD_KEY may now be removed")
    return 0
