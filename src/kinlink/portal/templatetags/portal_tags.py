"""Template filters that translate the fate engine's plain words (dead, disputed, ...) for the reader, and
write the registry's partial dates (``2022-05``) as the reader's language does (``май 2022 г.``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from kinlink.lib.formats import format_date, format_partial_date
from kinlink.registry.models import Fate

register = template.Library()

FATE_LABELS = {**dict(Fate.choices), "unknown": _("unknown")}
CONFIDENCE_LABELS = {
    "none": _("no evidence yet"),
    "probable": _("probable"),
    "disputed": _("disputed"),
    "confirmed": _("confirmed"),
}


@register.filter
def fate_label(value: str) -> str:
    return str(FATE_LABELS.get(value, value))


@register.filter
def confidence_label(value: str) -> str:
    return str(CONFIDENCE_LABELS.get(value, value))


@register.filter
def sex_context(sex: str | None) -> str:
    """``Person.sex`` -> the catalogue context of its grammatical forms: male, female or unknown.
    Use it as ``{% translate "..." context person.sex|sex_context %}``."""
    from kinlink.registry.services.grammar import sex_context as context_of

    return context_of(sex)


@register.filter
def gendered(message: str, sex: str | None) -> str:
    """A text held in a variable (a legal rule's title), translated in the gender of ``Person.sex``."""
    from kinlink.registry.services.grammar import gendered as translate

    return translate(str(message), sex)


@register.filter
def partial_date(value: str | None) -> str:
    """A stored partial date (``1998``, ``1998-04``, ``1998-04-17``) in the page's language; empty stays
    empty (so ``|default:"—"`` still applies) and text that is not a date is shown as it is."""
    if not value:
        return ""
    return format_partial_date(str(value), get_language() or "en")


@register.filter
def reply_rule(key: str) -> str:
    """An inquiry's reply rule (a key of the legal rules' ``reply_rules``) in the reader's language."""
    from kinlink.portal.forms import REPLY_RULE_LABELS

    return str(REPLY_RULE_LABELS.get(key, key)) if key else "—"


@register.filter
def long_date(value: Any) -> str:
    """A date as the reader's language writes it in running text (ru «15 мая 2023 г.»)."""
    return format_date(value, get_language() or "en", empty="")


@register.filter
def source_name(value: str | None) -> str:
    """A source's name as the reader reads it (the family's report, a DNA identification translated)."""
    from kinlink.registry.services.sources import source_name as display

    return display(value or "")


@register.filter
def source_origin(source: Any) -> str:
    """Who issued a source: the family's relationship ("mother") and a DNA screening run translated."""
    from kinlink.portal.forms import RELATIONSHIP_LABELS
    from kinlink.registry.models import SourceKind
    from kinlink.registry.services.sources import source_origin as display

    origin = source.origin or ""
    if source.kind == SourceKind.FAMILY_REPORT:
        return str(RELATIONSHIP_LABELS.get(origin, origin))
    return display(origin)


@register.filter
def source_reference(value: str | None) -> str:
    """A source's reference; a DNA identification's figures as the reader's language writes numbers."""
    from kinlink.registry.services.sources import source_reference as display

    return display(value or "")


@register.filter
def circumstances(value: str | None) -> str:
    """A claim's circumstances; those kinlink wrote itself (a DNA identification) translated."""
    from kinlink.registry.services.sources import claim_circumstances

    return claim_circumstances(value or "")


@register.filter
def claim_fact_label(fact: Any, sex: str | None = None) -> str:
    """A claim of the fate engine ("source: dead 2022-03-30 (stated …)") in the reader's language."""
    from kinlink.registry.services.fate import claim_label

    return claim_label(fact.label(), sex)


@register.filter
def field_row(field: Any) -> SafeString:
    """One form field with its label, help text and errors, as the consoles write every field: a checkbox
    after its label's box, a group of checkboxes in a fieldset, anything else under its label (optional
    fields say so). Written here, not by a template included once per field: an include costs about as much
    as the field's widget, and the case page shows dozens of fields."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", None)
    label = conditional_escape(field.label)
    errors = conditional_escape(field.errors) if field.errors else ""
    help_text = conditional_escape(field.help_text) if field.help_text else ""
    widget_html = conditional_escape(field)
    if input_type == "checkbox" and getattr(widget, "allow_multiple_selected", False):
        help_span = f'<span class="help">{help_text}</span>' if help_text else ""
        return mark_safe(  # every part escaped above
            f'<fieldset class="field"><legend>{label}</legend>{widget_html}{help_span}{errors}</fieldset>'
        )
    for_id = conditional_escape(field.id_for_label)
    if input_type == "checkbox":
        return mark_safe(  # every part escaped above
            f'<div class="field check">{widget_html} <label for="{for_id}">{label}</label>{errors}</div>'
        )
    optional = (
        ""
        if field.field.required
        else f' <span class="muted">({conditional_escape(gettext("optional"))})</span>'
    )
    help_span = (
        f'<span class="help" id="{conditional_escape(field.auto_id)}_helptext">{help_text}</span>'
        if help_text
        else ""
    )
    label_tag = f'<label for="{for_id}">{label}{optional}</label>'
    return mark_safe(f'<div class="field">{label_tag}{widget_html}{help_span}{errors}</div>')  # escaped above
