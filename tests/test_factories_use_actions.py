"""Test factories are adapters: the shared world builders write registry state only through the actions.

The builders (the portal world, the figures world, ``tests/factories.py`` and every ``conftest.py``) are
read with ``ast``; a call of ``<Model>.objects.create/bulk_create/update/delete/...`` on a model of the
registry, identification or matching apps, a write at the end of a queryset chain of such a model, or a
``.save()`` of anything but an account or a session is refused. Accounts (organisations, memberships,
users, TOTP devices) are not domain transitions. A write no action can express is allowed when the line
above it (or the line itself) says why: ``# direct write: <reason>``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

TESTS = Path(__file__).resolve().parent
BUILDERS = sorted(
    {
        TESTS / "factories.py",
        TESTS / "portal" / "portal_world.py",
        TESTS / "registry" / "services" / "figures_world.py",
        *TESTS.rglob("conftest.py"),
    }
)
DOMAIN_APPS = ("registry", "identification", "matching")
ACCOUNT_MODELS = frozenset({"Organisation", "Membership", "User", "TOTPDevice"})
WRITES = frozenset(
    {"create", "bulk_create", "update", "bulk_update", "delete", "get_or_create", "update_or_create"}
)
MARKER = "# direct write:"


def domain_models() -> frozenset[str]:
    names = {model.__name__ for label in DOMAIN_APPS for model in apps.get_app_config(label).get_models()}
    return frozenset(names - ACCOUNT_MODELS)


def _root(node: ast.expr) -> tuple[str | None, list[str]]:
    """The name a chain ``A.b(...).c.d`` starts from, and the attributes along it."""
    attributes: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            attributes.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id, attributes[::-1]
        else:
            return None, attributes[::-1]


def _savable_accounts(tree: ast.AST) -> set[str]:
    """Names bound to an account (``Organisation(...)``, ``get_user_model().objects.create(...)``, ...) or
    to a test client's session: their ``.save()`` is no registry write."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            root, attributes = _root(node.value)
            if root in ACCOUNT_MODELS or root == "get_user_model" or attributes[-1:] == ["session"]:
                names.add(node.targets[0].id)
    return names


def _reason(line: str) -> str:
    """The reason a ``# direct write:`` comment on ``line`` gives ("" when there is none)."""
    return line.partition(MARKER)[2].strip()


def direct_writes(source: str, models: frozenset[str]) -> list[str]:
    """``line: code`` of every registry write that does not go through an action."""
    tree = ast.parse(source)
    lines = source.splitlines()
    savable = _savable_accounts(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        root, attributes = _root(node.func.value)
        if method == "save":
            receiver = node.func.value
            bad = not (isinstance(receiver, ast.Name) and receiver.id in savable)
        else:
            bad = method in WRITES and root in models and "objects" in attributes
        if not bad:
            continue
        here = lines[node.lineno - 1]
        above = lines[node.lineno - 2] if node.lineno > 1 else ""
        if not (_reason(here) or _reason(above)):
            found.append(f"{node.lineno}: {ast.unparse(node)[:100]}")
    return found


def test_the_checker_sees_direct_writes() -> None:
    models = domain_models()
    assert {"Person", "Claim", "Source", "Sample", "PersonMerge"} <= models
    assert not models & ACCOUNT_MODELS
    written = """
person = Person.objects.create(sex="M")
NameVariant.objects.filter(person=person).update(surname="X")
Claim.objects.bulk_create([])
claim = Claim(person=person)
claim.save()
Case.objects.create(number="C-1")  # direct write:
org = Organisation.objects.create(slug="o")
org.save()
session = client.session
session.save()
# direct write: the number is printed on the document
Case.objects.create(number="C-2")
Sample.objects.create(code="BC")  # direct write: a sample in a state no action makes
"""
    assert [line.split(":")[0] for line in direct_writes(written, models)] == ["2", "3", "4", "6", "7"]


def test_shared_builders_write_through_the_actions() -> None:
    models = domain_models()
    assert len(BUILDERS) >= 5
    offences = {
        str(path.relative_to(TESTS)): found
        for path in BUILDERS
        if (found := direct_writes(path.read_text(encoding="utf-8"), models))
    }
    assert offences == {}, "write through the actions (or say why not with '# direct write: ...'): " + repr(
        offences
    )
