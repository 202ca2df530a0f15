"""Widgets of the consoles' forms that render fast on a large registry."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language


class FastSelect(forms.Select):
    """A ``<select>`` written in one pass, not through one template per ``<option>``: Django's template
    rendering costs about 50 µs an option, so the case page's lists of events and sources (hundreds of
    options each) took most of its time. The HTML is the same as ``forms.Select``'s (attributes, the
    selected option, escaped labels); grouped choices fall back to Django's rendering."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        selected = {str(v) for v in self.format_value(value)}
        opening = format_html('<select name="{}"{}>', name, flatatt(final))
        field = getattr(self.choices, "field", None)
        shared = getattr(field, "shared_choices", "")
        if shared and not (selected - {""}):
            # the same options for every reader, none chosen: written once, kept as a cached fragment
            from kinlink.portal import fragments

            empty = getattr(field, "empty_label", None)
            options = fragments.cached(
                f"options-{shared}",
                (get_language() or "", str(empty)),
                lambda: self._options(set()),
                version_age=fragments.SHARED_VERSION_AGE,
            )
        else:
            options = self._options(selected)
        if options is None:  # grouped choices: Django's own rendering
            return super().render(name, value, attrs, renderer)
        return mark_safe(f"{opening}{options}</select>")  # escaped when written (_options)

    def _options(self, selected: set[str]) -> str | None:
        """The ``<option>`` elements, escaped; None for grouped choices."""
        parts: list[str] = []
        # iterated once, never len(): a model field's choices would count their rows in one more query
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                return None
            text = "" if option_value is None else str(option_value)
            mark = " selected" if text in selected else ""
            parts.append(f'<option value="{_escape(text)}"{mark}>{_escape(label)}</option>')
            if mark and not self.allow_multiple_selected:
                selected = set()
        return "".join(parts)  # every value and label above is escaped


def _escape(value: Any) -> str:
    """As Django's ``conditional_escape``: safe strings as they are, anything else escaped."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value), quote=True)


class OneQueryChoiceIterator(ModelChoiceIterator):
    """A model field's choices read by one plain query. Django's own iterator reads them with
    ``QuerySet.iterator()``, which on PostgreSQL opens a server-side cursor: DECLARE, FETCH and CLOSE, three
    round trips for every list of choices a page shows."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():  # a fresh copy: the field's queryset keeps no rows
            yield self.choice(obj)


class FastModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` shown by ``FastSelect``, its choices read by one plain query. With
    ``shared_choices`` (a name), the field's choices are the same for every reader and form (its queryset
    depends on no one: the registry's events), and ``FastSelect`` keeps their options, none chosen, as a
    cached fragment under that name (``portal.fragments``): a page that shows them reads no row. A form
    given back with a choice, and validation, read the queryset as always."""

    iterator = OneQueryChoiceIterator
    widget = FastSelect

    def __init__(self, *args: Any, shared_choices: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shared_choices = shared_choices
