"""Django app for DNA candidate identifications: screening runs, the caseworker queue and decisions."""

from __future__ import annotations

from django.apps import AppConfig


class IdentificationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kinlink.identification"
    verbose_name = "DNA identification"
