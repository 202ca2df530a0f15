"""Django app for the field: exhumations, custody chains, ante-mortem and post-mortem data."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kinlink.field"
    verbose_name = _("field work")

    def ready(self) -> None:
        """A family that withdraws its request takes back the ante-mortem data it gave."""
        from kinlink.field.actions import erase_family_antemortem
        from kinlink.registry.actions import on_request_erased

        on_request_erased(erase_family_antemortem)
