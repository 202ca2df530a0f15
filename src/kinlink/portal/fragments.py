"""Cached fragments of the consoles: aggregates that read the whole registry (the legal deadlines of every
open case, the queues' counts) are computed once and kept for a short while, not on every page view.

A fragment's key holds what it depends on: the organisations the reader works for (or "all" for a
superuser), the day, and the *data version*. The version is bumped whenever a row of the domain apps is
written or deleted (a Django signal, so every action's write counts; the audit trail, sessions and
rate counters do not), so a reader sees a fresh fragment after any change made in the same process, and one
at most ``KINLINK_FRAGMENT_SECONDS`` old after a change made by another process (another server worker,
the worker, a bulk import that writes without signals) when the cache is not shared between processes.
With a shared cache (``CACHES``), the version is shared too and every process sees a change at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

#: The apps whose rows the fragments are made of.
DOMAIN_APPS = frozenset({"registry", "identification", "matching", "field", "documents"})
#: Rows of those apps that change no fragment (written on every read: the audit trail, heartbeats).
IGNORED_MODELS = frozenset({"auditentry", "workerheartbeat", "datakey"})
_VERSION_KEY = "kinlink:fragments:version"


def fragment_seconds() -> int:
    return int(getattr(settings, "KINLINK_FRAGMENT_SECONDS", 60))


def data_version() -> int:
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, 1, timeout=None)
        version = cache.get(_VERSION_KEY, 1)
    return int(version)


def bump_version() -> None:
    """Every fragment is stale from now on (in this process, and in all when the cache is shared)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:  # not there yet (or evicted): any new value differs from every key made before
        cache.add(_VERSION_KEY, 2, timeout=None)


def scope_of(user: Any) -> str:
    """What a fragment of ``user`` depends on: the organisations the member works for, or all of them."""
    from kinlink.registry.services.access import is_superuser, organisations_of

    known = getattr(user, "_kinlink_fragment_scope", None)  # read once a request (the user lives that long)
    if isinstance(known, str):
        return known
    if is_superuser(user):
        scope = "all"
    else:
        scope = (
            ",".join(str(pk) for pk in sorted(organisations_of(user).values_list("pk", flat=True))) or "none"
        )
    with contextlib.suppress(AttributeError):  # an object that takes no attributes: read again next time
        user._kinlink_fragment_scope = scope
    return scope


def cached(name: str, parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """The fragment ``name`` for ``parts`` (the reader's scope, the day...), computed when absent."""
    key = ":".join(["kinlink:fragment", name, str(data_version()), *(str(p) for p in parts)])
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=fragment_seconds())
    return found


def _changed(sender: Any, **_: Any) -> None:
    meta = getattr(sender, "_meta", None)
    if meta is not None and meta.app_label in DOMAIN_APPS and meta.model_name not in IGNORED_MODELS:
        bump_version()


def connect() -> None:
    """Called once from the portal's ``AppConfig.ready``."""
    post_save.connect(_changed, dispatch_uid="kinlink.portal.fragments.save")
    post_delete.connect(_changed, dispatch_uid="kinlink.portal.fragments.delete")
    m2m_changed.connect(_changed, dispatch_uid="kinlink.portal.fragments.m2m")
