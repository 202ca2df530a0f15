"""The form renderer of every page: Django's own (``DjangoTemplates``), with its commonest widgets written in
Python instead of through their templates.

A text box, a date, a textarea or a ``<select>`` costs Django two to four template renders (the widget's, an
``include`` of ``input.html``, an ``include`` of ``attrs.html``, one more per option), about as much as the
rest of the field; the case page shows about a hundred fields. The HTML written here is the templates' to
the byte (``tests/portal/test_formrender.py`` compares both on every kind of widget and value), and any other
template (radio buttons, checkbox lists, file inputs with their current file, error lists, whole forms) is
rendered by Django as before. The templates named here are Django's, which this project does not override.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs

_WIDGETS = "django/forms/widgets/"
#: The widgets whose template is ``input.html`` and nothing else.
INPUT_TEMPLATES = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "file",
        "checkbox",
    )
)
TEXTAREA_TEMPLATE = f"{_WIDGETS}textarea.html"
SELECT_TEMPLATE = f"{_WIDGETS}select.html"
OPTION_TEMPLATE = f"{_WIDGETS}select_option.html"


def _text(value: Any) -> str:
    """``{{ value }}`` in an autoescaping template (``django.template.base.render_value_in_context``)."""
    value = localize(template_localtime(value))
    if not issubclass(type(value), str):
        value = str(value)
    return str(conditional_escape(value))


def _stringformat(value: Any) -> Any:
    """``value|stringformat:'s'``, a safe string staying safe as the filter keeps it."""
    if isinstance(value, tuple):
        value = str(value)
    try:
        formatted = "%s" % value  # noqa: UP031 (the filter's own formatting, tuples included)
    except (ValueError, TypeError):
        return ""
    return mark_safe(formatted) if isinstance(value, SafeData) else formatted


def _attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``: `` name="value"`` per attribute, a bare name for True, nothing for False."""
    parts: list[str] = []
    for name, value in attrs.items():
        if value is not False:
            parts.append(" " + _text(name))
            if value is not True:
                parts.append('="' + _text(_stringformat(value)) + '"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_text(_stringformat(value))}"' if value != None else ""  # noqa: E711 (as the template)
    kind, name = _text(widget["type"]), _text(widget["name"])
    return f'<input type="{kind}" name="{name}"{shown}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict[str, Any]) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(
                f'\n  <option value="{_text(_stringformat(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FastRenderer(DjangoTemplates):
    """``DjangoTemplates`` writing text inputs, textareas and selects itself (see the module's docstring)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict):
            written: str | None = None
            if template_name in INPUT_TEMPLATES:
                written = _input(widget)
            elif template_name == TEXTAREA_TEMPLATE:
                written = _textarea(widget)
            elif template_name == SELECT_TEMPLATE:
                written = _select(widget)
            if written is not None:
                return written.strip()
        return str(super().render(template_name, context, request))
