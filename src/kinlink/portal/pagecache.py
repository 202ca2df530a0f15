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
counted from it) and the data version. The pages stay in the process's memory (the ``pages`` cache, never
files: a case page holds what the database keeps encrypted), so each server process builds its own copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from kinlink.portal import fragments
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
    store = caches["pages"]
    key = page_key(request, name, secret)
    kept = store.get(key)
    if kept is not None:
        content, content_type, entries = kept
        audit.replay(request.user, entries)
        get_token(request)  # the CSRF cookie renewed, as a rendered form's token renews it
        return HttpResponse(content, content_type=content_type)
    with audit.collecting() as entries:
        response = build()
    if response.status_code == 200 and not response.streaming and not response.cookies:
        store.set(key, (response.content, response["Content-Type"], tuple(entries)), timeout=seconds)
    return response
