"""Background tasks of record linkage (django-tasks; `kinlink worker` runs them in production)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django_tasks import task

from kinlink.matching.services import link_source_against_registry


@task()
def link_source(source_id: int) -> dict[str, Any]:
    """Link one imported list against the registry and queue its candidate links for review."""
    return asdict(link_source_against_registry(source_id))
