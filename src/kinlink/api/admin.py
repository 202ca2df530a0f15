from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kinlink.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens are created with `kinlink api-token create` (the plain token is shown once); here they are
    listed and revoked."""

    list_display = ("organisation", "name", "prefix", "scopes", "created", "last_used_at", "revoked_at")
    list_filter = ("organisation",)
    readonly_fields = ("organisation", "name", "prefix", "token_hash", "scopes", "created", "created_by",
                       "last_used_at")  # fmt: skip
    fields = (
        "organisation", "name", "prefix", "scopes", "created", "created_by", "last_used_at", "expires_at",
        "revoked_at",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
