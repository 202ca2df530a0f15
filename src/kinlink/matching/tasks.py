"""Background tasks of record linkage (django-tasks; `kinlink worker` runs them in production).

Every new person reaches linkage the same way: the registry's actions (a tracing request, an imported
list) call the ``on_person_added`` hooks on commit; this app's hook, :func:`queue_person_linkage`,
enqueues :func:`link_new_persons`, which runs :func:`kinlink.matching.actions.link_persons` in the
worker. A web request never runs linkage itself. A failure is logged with its traceback.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django_tasks import task

if TYPE_CHECKING:
    from kinlink.registry.actions import PersonIds

logger = logging.getLogger(__name__)


@task()
def link_new_persons(person_ids: list[int], reason: str) -> dict[str, Any]:
    """Link every person waiting for linkage (those of this task and of any task queued since) against
    the registry and queue their candidate links for review; nothing when they were linked already."""
    from kinlink.matching.actions import link_waiting_persons

    try:
        result = link_waiting_persons()
    except Exception:
        logger.exception("linkage of waiting persons failed (queued for %d: %s)", len(person_ids), reason)
        raise
    return asdict(result) if result is not None else {}


def queue_person_linkage(person_ids: PersonIds, reason: str) -> None:
    """The ``on_person_added`` hook: queue the linkage of new persons in the worker.

    It runs after the commit: a failure to queue is logged with its traceback and does not turn the
    family's stored request into an error page (``kinlink link-registry --person ID`` links later).
    An imported list hands a query of its persons: they enter the queue in one statement, and the task
    names none of them (it links every waiting person anyway)."""
    try:
        from kinlink.matching.actions import wait_for_linkage

        if isinstance(person_ids, QuerySet):
            wait_for_linkage(person_ids, reason)
            link_new_persons.enqueue([], reason)
            return
        if not person_ids:
            return
        wait_for_linkage(person_ids, reason)
        link_new_persons.enqueue([int(i) for i in person_ids], reason)
    except Exception:
        logger.exception("could not queue the linkage of new person(s) (%s)", reason)
