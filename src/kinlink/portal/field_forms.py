"""Forms of the field pages: burial sites, exhumation steps, remains, custody, repatriation batches and the
ante-mortem and post-mortem profiles (the structure of Interpol's DVI forms, in plain words)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kinlink.field.actions import EXHUMATION_STEPS, MarkInput
from kinlink.field.models import BodyMark, CustodyEvent, PhysicalProfile
from kinlink.portal.forms import PartialDateFormField, date_input
from kinlink.registry.models import Event, Sex, Site, SourceKind

#: The sections of a profile, as on Interpol's DVI ante-mortem (yellow) and post-mortem (pink) forms:
#: description, particular marks (rows of their own), medical traces, teeth, what was carried.
PROFILE_SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (
        _("Description"),
        ("sex", "age_min", "age_max", "height_min_cm", "height_max_cm", "build", "hair", "eyes"),
    ),
    (_("Fractures, operations, implants"), ("medical",)),
    (_("Teeth"), ("dental",)),
    (_("What he carried"), ("clothing_effects", "tag_number", "call_sign", "documents_found")),
)
#: Fields the ante-mortem side does not ask: his sex and age come from the person's record.
ANTEMORTEM_OMITS = ("sex", "age_min", "age_max", "documents_found")
#: Suggested sources of a field (free text is kept as written).
SOURCE_SUGGESTIONS = {
    "family": _("family"),
    "mother": _("mother"),
    "father": _("father"),
    "wife": _("wife"),
    "medical record": _("medical record"),
    "dental record": _("dental record"),
    "military record": _("military record"),
    "photo": _("photo"),
    "examiner": _("forensic examiner"),
}


def source_label(value: str) -> str:
    """A stored source in the reader's language when it is one of the suggestions."""
    label = SOURCE_SUGGESTIONS.get(value)
    return str(label) if label is not None else value


class SiteForm(forms.Form):
    """A burial site as a testimony describes it."""

    name = forms.CharField(label=_("Name of the place"), max_length=300)
    kind = forms.ChoiceField(
        label=_("Kind of site"), choices=Site.Kind.choices, initial=Site.Kind.FIELD_GRAVE
    )
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    precision_m = forms.IntegerField(
        label=_("Uncertainty radius (m)"),
        required=False,
        min_value=0,
        max_value=100_000,
        help_text=_("How far from this point the grave may be, as the witness could tell."),
    )
    buried_count = forms.IntegerField(
        label=_("How many were buried there"), required=False, min_value=0, max_value=10_000
    )
    buried_on = PartialDateFormField(label=_("When they were buried"))
    buried_by = forms.CharField(
        label=_("Who buried them"),
        max_length=200,
        required=False,
        help_text=_("For example: local residents, comrades, the other side."),
    )
    event = forms.ModelChoiceField(label=_("Event"), queryset=Event.objects.none(), required=False)
    description = forms.CharField(
        label=_("What the witness said of the place"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )

    def __init__(self, *args: Any, with_reporter: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event_field: Any = self.fields["event"]
        event_field.queryset = Event.objects.order_by("-date", "name")
        if with_reporter:
            # a site recorded without a testimony of a case: who reported it becomes its source
            self.fields["reporter"] = forms.CharField(label=_("Who reported it"), max_length=300)
            self.fields["reporter_kind"] = forms.ChoiceField(
                label=_("Kind of report"), choices=SourceKind.choices, initial=SourceKind.TESTIMONY
            )
            self.fields["reported_on"] = PartialDateFormField(label=_("Reported on"))
            self.order_fields(["reporter", "reporter_kind", "reported_on"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return data


class ExhumationForm(forms.Form):
    status = forms.ChoiceField(label=_("Next step"))
    on = forms.DateField(label=_("Date"), widget=date_input())
    by = forms.CharField(label=_("By whom"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args: Any, current: str = Site.Exhumation.REPORTED, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["status"]
        field.choices = [(s, Site.Exhumation(s).label) for s in EXHUMATION_STEPS.get(current, ())]


class RemainsForm(forms.Form):
    code = forms.CharField(label=_("Code of the remains"), max_length=50)
    recovered_on = forms.DateField(label=_("Recovered on"), widget=date_input())
    by = forms.CharField(label=_("Recovered by"), max_length=200, required=False)
    sex_estimate = forms.ChoiceField(label=_("Sex (estimate)"), choices=Sex.choices, initial=Sex.UNKNOWN)
    age_estimate = forms.CharField(
        label=_("Age (estimate)"), max_length=30, required=False, help_text=_("For example 25–35.")
    )
    condition = forms.CharField(
        label=_("Condition"),
        max_length=30,
        required=False,
        help_text=_("For example: complete skeleton, partial, commingled."),
    )


#: The custody steps a caseworker adds by hand (recovery and sampling are recorded by their own forms).
CUSTODY_STEPS = (
    CustodyEvent.Step.TRANSFER,
    CustodyEvent.Step.LAB,
    CustodyEvent.Step.IDENTIFICATION,
    CustodyEvent.Step.RELEASE,
    CustodyEvent.Step.BURIAL,
)


class CustodyForm(forms.Form):
    subject = forms.ChoiceField(label=_("What moved"))
    step = forms.ChoiceField(label=_("Step"), choices=[(s.value, s.label) for s in CUSTODY_STEPS])
    on = forms.DateField(label=_("Date"), widget=date_input())
    from_party = forms.CharField(label=pgettext_lazy("custody", "From"), max_length=200, required=False)
    to_party = forms.CharField(label=pgettext_lazy("custody", "To"), max_length=200, required=False)
    by = forms.CharField(label=_("By whom"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(self, *args: Any, subjects: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["subject"]
        field.choices = subjects or []


class TieSampleForm(forms.Form):
    barcode = forms.CharField(label=_("Barcode of the lab's sample"), max_length=50)
    on = forms.DateField(label=_("Sampled on"), widget=date_input())
    by = forms.CharField(label=_("Sampled by"), max_length=200, required=False)


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class BatchImportForm(forms.Form):
    csv_file = forms.FileField(label=_("List of bodies (CSV)"))
    code = forms.CharField(label=_("Batch code"), max_length=50)
    received_on = forms.DateField(label=_("Received on"), widget=date_input())
    handed_over_by = forms.CharField(label=_("Handed over by"), max_length=200, required=False)
    received_by = forms.CharField(label=_("Received by"), max_length=200, required=False)
    event = forms.ModelChoiceField(label=_("Event"), queryset=Event.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event_field: Any = self.fields["event"]
        event_field.queryset = Event.objects.order_by("-date", "name")


# --- profiles -------------------------------------------------------------------------------------------

_BUILD_CHOICES = [("", "—"), *[(k, v) for k, v in PhysicalProfile.Build.choices if k]]


def _profile_fields(antemortem: bool) -> dict[str, forms.Field]:
    """The value fields of a profile, worded for a family (ante-mortem) or an examiner (post-mortem)."""
    text = forms.Textarea(attrs={"rows": 2})
    fields: dict[str, forms.Field] = {
        "sex": forms.ChoiceField(label=_("Sex"), choices=Sex.choices, required=False),
        "age_min": forms.IntegerField(
            label=_("Age from (years)"), required=False, min_value=0, max_value=120
        ),
        "age_max": forms.IntegerField(label=_("Age to (years)"), required=False, min_value=0, max_value=120),
        "height_min_cm": forms.IntegerField(
            label=_("Height from (cm)") if not antemortem else _("Height, at least (cm)"),
            required=False,
            min_value=50,
            max_value=250,
        ),
        "height_max_cm": forms.IntegerField(
            label=_("Height to (cm)") if not antemortem else _("Height, at most (cm)"),
            required=False,
            min_value=50,
            max_value=250,
        ),
        "build": forms.ChoiceField(label=_("Build"), choices=_BUILD_CHOICES, required=False),
        "hair": forms.CharField(label=_("Hair"), max_length=100, required=False),
        "eyes": forms.CharField(label=_("Eyes"), max_length=100, required=False),
        "medical": forms.CharField(
            label=_("Fractures, operations, implants"),
            widget=text,
            max_length=5000,
            required=False,
            help_text=(
                _("Old fractures and where, operations, metal plates or pins, prostheses.")
                if antemortem
                else _("Healed fractures, surgical traces, implants found on examination.")
            ),
        ),
        "dental": forms.CharField(
            label=_("Teeth and dental work"),
            widget=text,
            max_length=5000,
            required=False,
            help_text=_("Missing teeth, crowns, fillings; tooth numbers (11–48) if a dentist wrote them."),
        ),
        "clothing_effects": forms.CharField(
            label=_("Clothing and belongings")
            if not antemortem
            else _("Clothing and belongings at last sight"),
            widget=text,
            max_length=5000,
            required=False,
        ),
        "tag_number": forms.CharField(
            label=_("Identity tag or token number"), max_length=100, required=False
        ),
        "call_sign": forms.CharField(label=_("Call sign"), max_length=100, required=False),
        "documents_found": forms.CharField(
            label=_("Documents found"), widget=text, max_length=5000, required=False
        ),
    }
    for omit in ANTEMORTEM_OMITS if antemortem else ():
        fields.pop(omit)
    return fields


class ProfileForm(forms.Form):
    """Every field of a profile with, beside it, who said it ("mother", "medical record", "examiner")."""

    def __init__(self, *args: Any, antemortem: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.antemortem = antemortem
        for name, field in _profile_fields(antemortem).items():
            self.fields[name] = field
            self.fields[f"src_{name}"] = forms.CharField(
                label=_("Source"),
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"list": "profile-sources", "class": "source-input"}),
            )

    @property
    def value_names(self) -> list[str]:
        return [n for n in self.fields if not n.startswith("src_")]

    def sections(self) -> list[tuple[Any, list[tuple[Any, Any]]]]:
        """(heading, [(value field, source field)]) in the order of the DVI form."""
        out = []
        for heading, names in PROFILE_SECTIONS:
            rows = [(self[n], self[f"src_{n}"]) for n in names if n in self.fields]
            if rows:
                out.append((heading, rows))
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for lo, hi in (("age_min", "age_max"), ("height_min_cm", "height_max_cm")):
            a, b = data.get(lo), data.get(hi)
            if a is not None and b is not None and a > b:
                self.add_error(hi, _("The upper bound is below the lower bound."))
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {}
        for name in self.value_names:
            value = data.get(name)
            if name == "sex":
                value = value or Sex.UNKNOWN
            elif value is None:
                value = None if name.endswith(("_min", "_max", "_cm")) else ""
            values[name] = value
        return values

    def sources(self) -> dict[str, str]:
        return {n: self.cleaned_data.get(f"src_{n}", "").strip() for n in self.value_names}


def profile_initial(profile: PhysicalProfile | None, antemortem: bool) -> dict[str, Any]:
    if profile is None:
        return {}
    initial: dict[str, Any] = {}
    for name in _profile_fields(antemortem):
        initial[name] = getattr(profile, name)
        initial[f"src_{name}"] = source_label(profile.sources.get(name, ""))
    return initial


class MarkForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of mark"), choices=[("", "—"), *BodyMark.Kind.choices], required=False
    )
    region = forms.ChoiceField(
        label=_("Where on the body"), choices=[("", "—"), *BodyMark.Region.choices], required=False
    )
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"list": "profile-sources", "class": "source-input"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = any(data.get(k) for k in ("kind", "region", "description"))
        if filled and not data.get("kind"):
            self.add_error("kind", _("Say what kind of mark it is."))
        if filled and not data.get("region"):
            self.add_error("region", _("Say where on the body it is."))
        return data


MarkFormSet = forms.formset_factory(MarkForm, extra=2, max_num=30, absolute_max=30)


def marks_initial(profile: PhysicalProfile | None) -> list[dict[str, str]]:
    if profile is None:
        return []
    return [
        {"kind": m.kind, "region": m.region, "description": m.description, "source": source_label(m.source)}
        for m in profile.marks.all()
    ]


def mark_inputs(formset: Any) -> list[MarkInput]:
    return [
        MarkInput(
            kind=f.cleaned_data["kind"],
            region=f.cleaned_data["region"],
            description=f.cleaned_data.get("description", ""),
            source=f.cleaned_data.get("source", "").strip(),
        )
        for f in formset.forms
        if f.cleaned_data.get("kind") and f.cleaned_data.get("region")
    ]
