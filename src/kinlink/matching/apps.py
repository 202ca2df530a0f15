"""Django app of record linkage in the registry."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "kinlink.matching"
    label = "matching"
    verbose_name = _("Record linkage")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Every person who enters the registry is linked against it in the worker."""
        from kinlink.matching.tasks import queue_person_linkage
        from kinlink.registry.actions import on_person_added

        on_person_added(queue_person_linkage)
