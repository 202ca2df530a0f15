"""Pages of the caseworker console kept, rendered, for their reader while nothing changed.

The case page reads some thirty things (claims of the merge group, the fate assessment, the legal plan, the
inquiries, the DNA candidates, the family's threads...) and renders dozens of fields: about 40 ms of a
server core on the medium demo, whatever the case. A caseworker who goes back to a case, or a team on the
same cases, asks the same page again and again while nothing in it changed. :func:`serve` keeps the
rendered page for its reader and serves it again, for at most ``KINLINK_PAGE_CACHE_SECONDS`` and only while
the *data version* (``portal.fragments``: bumped by every write to the domain's tables, by whatever path it
is written; on PostgreSQL a sequence every process bumps and reads) is the one the page was built at.

What a kept page never skips:

* the access check: the view finds the object among those visible to the reader before asking here;
* the audit trail: the entries the page appended when it was built (a read of a case) are appended again
  for each view (``audit.collecting`` and ``audit.replay``);
* the CSRF cookie: the page is kept for one CSRF secret (a hash of it is in the key), so the tokens in its
  forms are the reader's; the cookie is renewed as a rendered page renews it.

What is never kept: a page with a message to show (after an action), a page not answered 200, a page
rendered with a form sent back (only the plain ``GET`` path asks here), a request without a CSRF cookie.

The key holds the reader (user id and CSRF secret), the language, the full path, the day (deadlines are
counted from it) and the data version. Where the server's processes share a cache (``KINLINK_CACHE_DIR``,
which ``kinlink serve --production`` sets: ``KINLINK_PAGE_CACHE_SHARED``) a page is built once for all of
them and kept there sealed: compressed and encrypted with the operator's key (a case page holds what the
database keeps encrypted; the cache is files). Otherwise it stays in the process's memory (the ``pages``
cache), and each process builds its own copy.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from collections.abc import Callable
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from kinlink.portal import fragments
from kinlink.registry.crypto import operator_keys
from kinlink.registry.services import audit


def page_seconds() -> int:
    """How long a page is kept at most: ``KINLINK_PAGE_CACHE_SECONDS`` where the data version sees every
    process's writes (PostgreSQL), else no longer than a fragment (a write by another process, which this
    process's version does not see, shows within ``KINLINK_FRAGMENT_SECONDS``)."""
    seconds = int(getattr(settings, "KINLINK_PAGE_CACHE_SECONDS", 600))
    return seconds if fragments.version_in_database() else min(seconds, fragments.fragment_seconds())


def page_key(request: HttpRequest, name: str, secret: str) -> str:
    """The key of the page ``name`` for this request's reader, language, path, day and data version."""
    parts = [
        name,
        str(request.user.pk),
        secret,
        get_language() or "",
        request.get_full_path(),
        timezone.localdate().isoformat(),
        str(fragments.data_version()),
    ]
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()
    return f"kinlink:page:{name}:{digest}"


def serve(request: HttpRequest, name: str, build: Callable[[], HttpResponse]) -> HttpResponse:
    """The page ``build`` renders, or the one it rendered for this reader while nothing changed since."""
    seconds = page_seconds()
    secret = request.META.get("CSRF_COOKIE")
    if (
        seconds <= 0
        or request.method != "GET"
        or not isinstance(secret, str)
        or not secret
        or len(messages.get_messages(request))  # counted, not read: they stay for the page that shows them
    ):
        return build()
    shared = bool(getattr(settings, "KINLINK_PAGE_CACHE_SHARED", False))
    store = caches["default"] if shared else caches["pages"]
    key = page_key(request, name, secret)
    kept = store.get(key)
    if kept is not None and shared:
        kept = _unseal(kept)
    if kept is not None:
        content, content_type, entries = kept
        audit.replay(request.user, entries)
        get_token(request)  # the CSRF cookie renewed, as a rendered form's token renews it
        return HttpResponse(content, content_type=content_type)
    with audit.collecting() as entries:
        response = build()
    if response.status_code == 200 and not response.streaming and not response.cookies:
        value: Any = (response.content, response["Content-Type"], tuple(entries))
        store.set(key, _seal(value) if shared else value, timeout=seconds)
    return response


def _seal(value: Any) -> bytes:
    """A page as the shared cache keeps it: compressed, then encrypted with the operator's key."""
    return operator_keys().encrypt(zlib.compress(pickle.dumps(value), 1))


def _unseal(sealed: Any) -> Any:
    """The page :func:`_seal` kept, or None when it cannot be read (another key, or not a sealed page)."""
    try:
        # the bytes come out of Fernet only when they are ours (its MAC checked): pickle reads them safely
        return pickle.loads(zlib.decompress(operator_keys().decrypt(sealed)))
    except (InvalidToken, TypeError, zlib.error):
        return None
