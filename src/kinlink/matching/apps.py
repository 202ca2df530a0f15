"""Django app of record linkage in the registry."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "kinlink.matching"
    label = "matching"
    verbose_name = _("Record linkage")
    default_auto_field = "django.db.models.BigAutoField"
