"""A memo for the reads a page repeats: one answer per key while a page is built, none outside one.

A page such as the case page asks the same question (the person's merge group, the member's roles, the
family's first request) from several helpers. Inside ``with page_memo():`` each such read is made once
and its answer reused until the block ends; outside one, every call reads afresh, as before. Only reads
belong here, and only while nothing is written that would change their answer (a page's rendering: the
audit entry it writes does not).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("kinlink_page_memo", default=None)


@contextmanager
def page_memo() -> Iterator[None]:
    """Remember the memoised reads until the block ends (nested blocks share the outer memo)."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per ``key`` inside a ``page_memo`` block; every time outside one."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
