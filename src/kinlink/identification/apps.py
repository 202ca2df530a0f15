"""Django app for DNA candidate identifications: screening runs, the caseworker queue and decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from kinlink.registry.models import TracingRequest


def _drop_withdrawn_candidates(tracing_request: TracingRequest, scope: str) -> None:
    """The hook, importing this app's actions (and the genetics engine with NumPy) only when it runs, so
    that a command that never withdraws a request (``kinlink import-list``) starts without them."""
    from kinlink.identification.actions import drop_withdrawn_candidates

    drop_withdrawn_candidates(tracing_request, scope)


class IdentificationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kinlink.identification"
    verbose_name = "DNA identification"

    def ready(self) -> None:
        """A family that withdraws its DNA consent (or its request) leaves no candidate waiting on its DNA."""
        from kinlink.registry.actions import on_request_erased

        on_request_erased(_drop_withdrawn_candidates)
