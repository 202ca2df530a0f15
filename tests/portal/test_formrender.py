"""The form renderer writes text inputs, textareas and selects itself: the HTML must be Django's own, to the
byte, for every kind of widget, value and attribute (escaping, True/False attributes, selected options,
groups, safe strings, dates); anything else is rendered by Django's templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from kinlink.portal import formrender
from kinlink.portal.formrender import FastRenderer
from kinlink.portal.forms import ClaimForm, LegalStatusForm, NoteForm, date_input

CHOICES = [("", "---"), ("a", "Ann & <Bob>"), ("b", 'say "hi"'), (3, "three")]
GROUPED = [("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z alone")]

WIDGETS: list[tuple[str, forms.Widget, Any]] = [
    ("text-empty", forms.TextInput(), None),
    ("text-value", forms.TextInput(attrs={"class": "wide", "maxlength": 300}), 'O\'Brien <&> "x"'),
    ("text-empty-string", forms.TextInput(), ""),
    ("text-safe", forms.TextInput(), mark_safe("<b>safe</b>")),
    ("text-bool-attrs", forms.TextInput(attrs={"required": True, "disabled": False, "autofocus": True}), "v"),
    ("number", forms.NumberInput(attrs={"min": 0, "step": "0.1"}), 12.5),
    ("email", forms.EmailInput(), "a@example.org"),
    ("url", forms.URLInput(), "https://example.org/?a=1&b=2"),
    ("password", forms.PasswordInput(render_value=True), "secret<"),
    ("hidden", forms.HiddenInput(), 42),
    ("date-iso", date_input(), dt.date(2024, 2, 29)),
    ("date-default", forms.DateInput(), dt.date(2024, 2, 29)),
    ("time", forms.TimeInput(), dt.time(9, 5)),
    ("datetime", forms.DateTimeInput(), dt.datetime(2024, 2, 29, 9, 5)),
    ("file", forms.FileInput(), None),
    ("checkbox-on", forms.CheckboxInput(), True),
    ("checkbox-off", forms.CheckboxInput(), False),
    ("textarea-empty", forms.Textarea(attrs={"rows": 3}), None),
    ("textarea-value", forms.Textarea(), 'line 1\n<line 2> & "3"'),
    ("select-none", forms.Select(choices=CHOICES), None),
    ("select-selected", forms.Select(choices=CHOICES, attrs={"id": "id_pick"}), "b"),
    ("select-int", forms.Select(choices=CHOICES), 3),
    ("select-grouped", forms.Select(choices=GROUPED), "y"),
    ("select-multiple", forms.SelectMultiple(choices=CHOICES), ["a", 3]),
    ("select-empty", forms.Select(choices=[]), None),
]


@pytest.mark.parametrize(("name", "widget", "value"), WIDGETS, ids=[w[0] for w in WIDGETS])
def test_every_widget_is_written_as_django_writes_it(name: str, widget: forms.Widget, value: Any) -> None:
    attrs = {"id": f"id_{name}"}
    django_html = widget.render(name, value, attrs=attrs, renderer=DjangoTemplates())
    fast_html = widget.render(name, value, attrs=attrs, renderer=FastRenderer())
    assert fast_html == django_html


def test_the_fast_path_is_taken_for_the_common_widgets(monkeypatch: Any) -> None:
    """Not Django's templates for a text box, a textarea or a select (or the renderer gains nothing)."""
    used: list[str] = []
    original = DjangoTemplates.render

    def spy(self: Any, template_name: str, context: Any, request: Any = None) -> str:
        used.append(template_name)
        return str(original(self, template_name, context, request))

    monkeypatch.setattr(DjangoTemplates, "render", spy)
    renderer = FastRenderer()
    for widget in (forms.TextInput(), forms.Textarea(), forms.Select(choices=CHOICES), date_input()):
        widget.render("f", "a", renderer=renderer)
    assert used == []
    forms.RadioSelect(choices=CHOICES).render("f", "a", renderer=renderer)
    assert used == ["django/forms/widgets/radio.html"]


@pytest.mark.parametrize("form_class", [NoteForm, LegalStatusForm])
def test_whole_console_forms_render_the_same(form_class: type[forms.Form]) -> None:
    bound = form_class(data={"body": "<script>", "to_status": "nope", "effective_on": "x"})
    unbound = form_class(initial={"effective_on": dt.date(2024, 1, 2)})
    for form in (bound, unbound):
        for field in form:
            form.renderer = DjangoTemplates()
            django_html = str(field)
            form.renderer = FastRenderer()
            assert str(field) == django_html


def test_the_claim_forms_selects_come_from_one_plain_query(db: None, django_assert_num_queries: Any) -> None:
    """The model selects of the case page read their choices by one query each (no server-side cursor)."""
    from kinlink.registry import actions
    from kinlink.registry.models import Source

    for i in range(3):
        actions.add_source(None, kind="unit_notice", name=f"List {i} <&>", date="2022-05-01")
    form = ClaimForm(sources=Source.objects.order_by("name"))
    with django_assert_num_queries(2):  # sources, events
        html = str(form["source"]) + str(form["event"])
    assert html.count("<option") == 3 + 2  # three sources and the two empty choices
    assert "List 0 &lt;&amp;&gt;" in html


def test_the_settings_name_this_renderer() -> None:
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), formrender.FastRenderer)
