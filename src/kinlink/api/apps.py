from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "kinlink.api"
    label = "api"
    verbose_name = _("partner API")
    default_auto_field = "django.db.models.BigAutoField"
