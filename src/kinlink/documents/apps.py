from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "kinlink.documents"
    label = "documents"
    verbose_name = _("documents")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """The public figures count the inquiries too (computed and cached with the rest)."""
        from kinlink.documents.figures import inquiry_figures
        from kinlink.registry.services.figures import add_figures_section

        add_figures_section("inquiries", inquiry_figures)
