"""Back-office admin: a read-only window on the registry. Contact details are not listed.

Every change to registry data goes through :mod:`kinlink.registry.actions` (the staff pages, the API, the
CLI), so the admin neither adds, changes nor deletes registry records: it could not validate, audit or
recompute the stored fate the way the actions do. Claims, retractions and audit entries are append-only
besides (their managers refuse updates and deletes, and on PostgreSQL a trigger does too).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from kinlink.registry import models as m
from kinlink.registry.services import audit
from kinlink.registry.services.fate import assess_person, explanation_lines


class ReadOnlyAdminMixin:
    """No add, no change, no delete: the admin shows the records, the actions write them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdminMixin:
    """Every look at a list or a record of a sensitive model through the admin is on the audit trail
    (``admin_view``: the model, the record or the list's page and filters)."""

    def _audit_view(self, request: HttpRequest, object_id: str, **detail: Any) -> None:
        audit.record(
            request.user,
            audit.Action.ADMIN_VIEW,
            object_type=getattr(self, "model")._meta.model_name or "",  # noqa: B009 (a mixin of ModelAdmin)
            object_id=object_id,
            **detail,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        if response.status_code == 200:
            self._audit_view(request, "*", query=request.GET.urlencode()[:500])
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        if response.status_code == 200:
            self._audit_view(request, str(object_id)[:100])
        return response


class ReadOnlyAdmin(AuditedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin[Any]):
    """A registry model in the admin: to look at only; every change goes through the actions' pages. Every
    view is audited."""


class NameVariantInline(ReadOnlyAdminMixin, admin.TabularInline[m.NameVariant, m.Person]):
    model = m.NameVariant
    extra = 0


class ClaimInline(ReadOnlyAdminMixin, admin.TabularInline[m.Claim, m.Person]):
    model = m.Claim
    extra = 0
    fields = ("source", "fate", "date", "place", "circumstances", "retracted")
    readonly_fields = ("retracted",)

    @admin.display(description=_("retracted"), boolean=True)
    def retracted(self, obj: m.Claim) -> bool:
        return obj.is_retracted


@admin.register(m.Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "birth_date", "unit", "rank", "fate")
    list_filter = ("fate",)
    search_fields = ("names__full_name", "names__surname", "unit", "service_number")
    readonly_fields = ("uid", "fate_explanation")
    inlines = (NameVariantInline, ClaimInline)

    @admin.display(description=_("Fate (computed from claims)"))
    def fate_explanation(self, obj: m.Person) -> str:
        if obj.pk is None:
            return "-"
        assessment = assess_person(obj)
        lines = [f"{obj.fate} ({obj.fate_confidence})", *explanation_lines(assessment, obj.sex)]
        return format_html_join("", "<p>{}</p>", ((line,) for line in lines))


@admin.register(m.Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "date", "reliability", "organisation")
    list_filter = ("kind", "reliability")
    search_fields = ("name", "origin", "reference")


@admin.register(m.Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("person", "source", "fate", "date", "retracted")
    list_filter = ("fate",)
    list_select_related = ("source", "retraction")

    @admin.display(description=_("retracted"), boolean=True)
    def retracted(self, obj: m.Claim) -> bool:
        return obj.is_retracted


@admin.register(m.ClaimRetraction)
class ClaimRetractionAdmin(ReadOnlyAdmin):
    list_display = ("claim", "retracted_at", "retracted_by", "reason")


@admin.register(m.TracingRequest)
class TracingRequestAdmin(ReadOnlyAdmin):
    list_display = ("number", "person", "relationship", "status", "language", "channel", "submitted_at")
    list_filter = ("status", "channel", "language")
    search_fields = ("number",)
    exclude = ("access_code_hash",)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            audit.record(request.user, audit.Action.VIEW_CONTACT, obj, via="admin")
        return obj


@admin.register(m.AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")


@admin.register(m.Sample)
class SampleAdmin(ReadOnlyAdmin):
    list_display = ("code", "kind", "status", "lab")
    list_filter = ("kind", "status")
    search_fields = ("code",)
    exclude = ("profile",)


@admin.register(m.Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("number", "person", "organisation", "status", "legal_status")
    list_filter = ("status", "legal_status", "organisation")
    search_fields = ("number",)


@admin.register(m.ListRecord)
class ListRecordAdmin(ReadOnlyAdmin):
    list_display = ("record_id", "source", "person")
    search_fields = ("record_id",)


_READ_ONLY: tuple[type[models.Model], ...] = (
    m.Event,
    m.Site,
    m.Remains,
    m.Attachment,
    m.LegalStatusChange,
    m.ListImport,
    m.CaseTask,
    m.CaseNote,
    m.FamilyUpdate,
    m.FamilyMessage,
)
for model in _READ_ONLY:
    admin.site.register(model, ReadOnlyAdmin)

# Organisations and memberships are the administrator's to manage (who may see what); they hold no
# registry data about persons.
admin.site.register(m.Organisation)
admin.site.register(m.Membership)
