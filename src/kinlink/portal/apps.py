from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kinlink.portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # The Django admin demands the TOTP second factor too, like every staff page.
        from django.contrib import admin
        from django_otp.admin import OTPAdminSite

        admin.site.__class__ = OTPAdminSite
