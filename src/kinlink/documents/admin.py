from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kinlink.documents.models import Inquiry, IssuedDocument
from kinlink.registry.admin import AuditedAdminMixin


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(AuditedAdminMixin, admin.ModelAdmin[IssuedDocument]):
    """The register is append-only: documents are listed, never edited or deleted here."""

    list_display = ("number", "kind", "case", "language", "audience", "created", "released_to_family")
    list_filter = ("kind", "audience", "language", "released_to_family")
    search_fields = ("number", "pdf_sha256", "content_sha256")
    exclude = ("pdf",)
    readonly_fields = (
        "number", "kind", "case", "language", "audience", "created", "content_sha256", "pdf_sha256", "size",
        "issued_by", "released_to_family", "released_at",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: IssuedDocument | None = None) -> bool:
        return False


@admin.register(Inquiry)
class InquiryAdmin(AuditedAdminMixin, admin.ModelAdmin[Inquiry]):
    list_display = ("case", "asked_on", "addressee", "answered_on")
    list_filter = ("addressee_kind",)
    search_fields = ("case__number", "addressee", "reference")
    raw_id_fields = ("case", "answer_source")
