"""Back-office admin. Claims and audit entries cannot be deleted; contact details are not listed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from kinlink.registry import models as m
from kinlink.registry.services import audit
from kinlink.registry.services.fate import assess_person, explanation_lines


class NameVariantInline(admin.TabularInline[m.NameVariant, m.Person]):
    model = m.NameVariant
    extra = 0
    autocomplete_fields = ("source",)


class ClaimInline(admin.TabularInline[m.Claim, m.Person]):
    model = m.Claim
    extra = 0
    fields = ("source", "fate", "date", "place", "circumstances", "retracted_at")
    readonly_fields = ("retracted_at",)
    autocomplete_fields = ("source",)
    can_delete = False


@admin.register(m.Person)
class PersonAdmin(admin.ModelAdmin[m.Person]):
    list_display = ("__str__", "birth_date", "unit", "rank")
    search_fields = ("names__full_name", "names__surname", "unit", "service_number")
    readonly_fields = ("uid", "fate_explanation")
    inlines = (NameVariantInline, ClaimInline)

    @admin.display(description=_("Fate (computed from claims)"))
    def fate_explanation(self, obj: m.Person) -> str:
        if obj.pk is None:
            return "-"
        assessment = assess_person(obj)
        lines = [f"{assessment.fate} ({assessment.confidence})", *explanation_lines(assessment)]
        return format_html_join("", "<p>{}</p>", ((line,) for line in lines))


@admin.register(m.Source)
class SourceAdmin(admin.ModelAdmin[m.Source]):
    list_display = ("name", "kind", "date", "reliability", "organisation")
    list_filter = ("kind", "reliability")
    search_fields = ("name", "origin", "reference")


@admin.register(m.Claim)
class ClaimAdmin(admin.ModelAdmin[m.Claim]):
    list_display = ("person", "source", "fate", "date", "retracted_at")
    list_filter = ("fate",)
    autocomplete_fields = ("person", "source")
    raw_id_fields = ("event", "site")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.TracingRequest)
class TracingRequestAdmin(admin.ModelAdmin[m.TracingRequest]):
    list_display = ("number", "person", "relationship", "status", "language", "channel", "submitted_at")
    list_filter = ("status", "channel", "language")
    search_fields = ("number",)
    autocomplete_fields = ("person",)
    exclude = ("access_code_hash",)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            audit.record(request.user, "view_contact", obj, via="admin")
        return obj


@admin.register(m.AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[m.AuditEntry]):
    list_display = ("at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.Sample)
class SampleAdmin(admin.ModelAdmin[m.Sample]):
    list_display = ("code", "kind", "status", "lab")
    list_filter = ("kind", "status")
    search_fields = ("code",)
    exclude = ("profile",)


@admin.register(m.Case)
class CaseAdmin(admin.ModelAdmin[m.Case]):
    list_display = ("number", "person", "organisation", "status", "legal_status")
    list_filter = ("status", "legal_status", "organisation")
    search_fields = ("number",)
    autocomplete_fields = ("person",)


for model in (
    m.Organisation,
    m.Membership,
    m.Event,
    m.Site,
    m.Remains,
    m.Attachment,
    m.LegalStatusChange,
    m.ListImport,
):
    admin.site.register(model)


@admin.register(m.ListRecord)
class ListRecordAdmin(admin.ModelAdmin[m.ListRecord]):
    list_display = ("record_id", "source", "person")
    search_fields = ("record_id",)
    raw_id_fields = ("person",)
