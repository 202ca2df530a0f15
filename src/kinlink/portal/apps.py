from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kinlink.portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from kinlink.portal import checks

        checks.register()  # the deployment checks (`kinlink check --deploy`)

        from kinlink.portal import fragments

        fragments.connect()  # the consoles' cached aggregates go stale on every write to the domain

        # The Django admin has no password-only sign-in of its own: its login page sends staff to the
        # portal's sign-in (password, then TOTP), which is the only way to open a staff session.
        from typing import Any

        from django.contrib import admin
        from django.contrib.auth.views import redirect_to_login
        from django.http import HttpRequest, HttpResponse
        from django.urls import reverse

        def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
            return redirect_to_login(request.GET.get("next") or request.path, reverse("portal:login"))

        admin.site.login = admin_login  # type: ignore[method-assign]
