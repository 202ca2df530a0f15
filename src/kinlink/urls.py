"""Top-level URL configuration: language-prefixed pages, the admin and the health probes."""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from kinlink.portal import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/", include("kinlink.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("documents/", include("kinlink.portal.document_urls")),
    path("", include("kinlink.portal.urls")),
    prefix_default_language=True,
)

handler400 = "kinlink.portal.errors.bad_request"
handler403 = "kinlink.portal.errors.permission_denied"
handler404 = "kinlink.portal.errors.page_not_found"
handler500 = "kinlink.portal.errors.server_error"
