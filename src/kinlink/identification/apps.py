"""Django app for DNA candidate identifications: screening runs, the caseworker queue and decisions."""

from __future__ import annotations

from django.apps import AppConfig


class IdentificationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kinlink.identification"
    verbose_name = "DNA identification"

    def ready(self) -> None:
        """A family that withdraws its DNA consent (or its request) leaves no candidate waiting on its DNA."""
        from kinlink.identification.actions import drop_withdrawn_candidates
        from kinlink.registry.actions import on_request_erased

        on_request_erased(drop_withdrawn_candidates)
