"""The fast ``<select>`` writes what Django's own would: the same options, the same escaping, the chosen
option selected, the field's attributes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.utils.safestring import mark_safe

from kinlink.portal.widgets import FastSelect

CHOICES = [("", "---------"), (1, 'Event <1> & "one"'), (2, "Event 'two'"), (3, mark_safe("<b>3</b>"))]


class Plain(forms.Form):
    event = forms.ChoiceField(choices=CHOICES)
    grouped = forms.ChoiceField(choices=[("A", [(1, "one"), (2, "two")])], required=False)


class Fast(forms.Form):
    event = forms.ChoiceField(choices=CHOICES, widget=FastSelect)
    grouped = forms.ChoiceField(choices=[("A", [(1, "one"), (2, "two")])], required=False, widget=FastSelect)


def _normal(html: str) -> list[str]:
    """The tags and texts, each tag's attributes sorted (attribute order does not matter to a browser)."""
    out = []
    for tag, text in re.findall(r"(<[^>]+>)|([^<]+)", re.sub(r">\s+<", "><", html)):
        if tag:
            name, *attrs = tag.strip("<>").split(" ")
            out.append("<" + " ".join([name, *sorted(attrs)]) + ">")
        elif text.strip():
            out.append(text.strip())
    return out


def test_fast_select_writes_what_djangos_select_writes() -> None:
    for data in (None, {"event": "2"}, {"event": ""}):
        plain, fast = Plain(data), Fast(data)
        assert _normal(str(fast["event"])) == _normal(str(plain["event"])), data
        assert _normal(str(fast["grouped"])) == _normal(str(plain["grouped"])), data
    written = str(Fast({"event": "2"})["event"])
    assert '<option value="2" selected>Event &#x27;two&#x27;</option>' in written
    assert "Event &lt;1&gt; &amp; &quot;one&quot;" in written and "<b>3</b>" in written
    assert written.count(" selected") == 1


@pytest.mark.django_db
def test_the_events_list_is_read_once_and_renewed_after_a_write(
    django_assert_num_queries: Any,
) -> None:
    from kinlink.portal.forms import ClaimForm, LinkEventForm
    from kinlink.registry.models import Event, Source

    Event.objects.create(name="Бой за <высоту> 101", date="2022-03-30")
    first = str(LinkEventForm()["event"])
    assert "Бой за &lt;высоту&gt; 101" in first
    with django_assert_num_queries(0):  # the cached fragment: no row read, both forms
        assert str(LinkEventForm()["event"]) == first
        assert "Бой за &lt;высоту&gt; 101" in str(ClaimForm(sources=Source.objects.none())["event"])
    later = Event.objects.create(name="Обстрел села", date="2022-05-01")
    renewed = str(LinkEventForm()["event"])
    assert f'<option value="{later.pk}">Обстрел села</option>' in renewed
    # a form sent back keeps the chosen event selected
    bound = LinkEventForm(data={"event": str(later.pk)})
    assert bound.is_valid()
    assert f'<option value="{later.pk}" selected>Обстрел села</option>' in str(bound["event"])
