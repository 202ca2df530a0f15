"""Django app for the field: exhumations, custody chains, ante-mortem and post-mortem data."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kinlink.field"
    verbose_name = _("field work")
