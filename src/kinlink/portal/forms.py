"""Forms for the family portal, the caseworker console and the lab console."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kinlink.field.models import BodyMark, PhysicalProfile
from kinlink.identification.relationships import RELATIONSHIP_LABELS as DONOR_RELATIONSHIPS
from kinlink.partialdate import PartialDateError, parse_partial_date
from kinlink.portal.widgets import FastModelChoiceField
from kinlink.registry.models import (
    Event,
    Fate,
    LegalStatus,
    Organisation,
    Reliability,
    Sample,
    Sex,
    Source,
    SourceKind,
)

RELATIONSHIPS = [
    ("mother", _("mother")),
    ("father", _("father")),
    ("wife", _("wife")),
    ("husband", _("husband")),
    ("son", _("son")),
    ("daughter", _("daughter")),
    ("brother", _("brother")),
    ("sister", _("sister")),
    ("other", _("other relative or friend")),
]
RELATIONSHIP_LABELS = dict(RELATIONSHIPS)

#: Rows of marks (tattoos, scars) the family form offers; staff can add more on the ante-mortem page.
FAMILY_MARK_ROWS = 3
ANTEMORTEM_BUILD = [("", "—"), *[(k, v) for k, v in PhysicalProfile.Build.choices if k]]
ANTEMORTEM_MARK_KINDS = [("", "—"), *BodyMark.Kind.choices]
ANTEMORTEM_MARK_REGIONS = [("", "—"), *BodyMark.Region.choices]

_DOTTED = re.compile(r"^(?:(\d{1,2})\.)?(?:(\d{1,2})\.)?(\d{4})$")


def clean_partial_date(text: str) -> str:
    """A date as people write it (17.04.1998, 04.1998, 1998, 1998-04-17) as an ISO prefix."""
    text = text.strip()
    if not text:
        return ""
    match = _DOTTED.match(text)
    if match and "." in text:
        first, second, year = match.groups()
        day, month = (first, second) if second else (None, first)
        text = year + (f"-{int(month):02d}" if month else "") + (f"-{int(day):02d}" if day else "")
    try:
        parsed = parse_partial_date(text)
    except PartialDateError as exc:
        raise forms.ValidationError(
            _("Write the date as day.month.year (17.04.1998), month.year (04.1998) or just the year.")
        ) from exc
    if parsed.earliest > dt.date.today():
        raise forms.ValidationError(_("This date is in the future."))
    return parsed.isoformat()


def date_input() -> forms.DateInput:
    """An ``<input type=date>``: the browser takes only ISO yyyy-mm-dd, whatever the page's language
    (Django would otherwise write the locale's dd.mm.yyyy and the field would show empty)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PartialDateFormField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("help_text", _("For example 17.04.1998, 04.1998 or 1998."))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        return clean_partial_date(super().clean(value) or "")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class FamilyRequestForm(forms.Form):
    """The tracing request a family sends without an account."""

    surname = forms.CharField(label=_("Surname"), max_length=150)
    given_name = forms.CharField(label=_("Given name"), max_length=150)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=150, required=False)
    other_names = forms.CharField(
        label=_("Other spellings of the name"),
        help_text=_("One per line, in any script: for example the Latin spelling in a passport."),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=1000,
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[(Sex.MALE, _("male")), (Sex.FEMALE, _("female"))], initial=Sex.MALE
    )
    birth_date = PartialDateFormField(label=_("Date of birth"))
    birth_place = forms.CharField(label=_("Place of birth"), max_length=200, required=False)
    unit = forms.CharField(label=_("Military unit"), max_length=200, required=False)
    service_number = forms.CharField(label=_("Service number"), max_length=50, required=False)
    last_contact = PartialDateFormField(label=_("Date of the last contact"))
    last_known_place = forms.CharField(label=_("Last known place"), max_length=300, required=False)
    circumstances = forms.CharField(
        label=_("What do you know about what happened?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    photos = MultipleFileField(
        label=_("Photos"),
        help_text=_(
            "Photos of the person you are looking for, of tattoos or scars (JPEG, PNG; up to 10 MB each)."
        ),
    )
    enquirer_name = forms.CharField(label=_("Your name"), max_length=200)
    relationship = forms.ChoiceField(label=_("You are his or her"), choices=RELATIONSHIPS)
    contact = forms.CharField(
        label=_("How can we reach you?"),
        help_text=_(
            "Phone number, e-mail or address. Only caseworkers of the organisations you choose see it."
        ),
        max_length=300,
    )
    consent_organisations = forms.ModelMultipleChoiceField(
        label=_("Which organisations may see this request?"),
        queryset=Organisation.objects.filter(is_lab=False),
        widget=forms.CheckboxSelectMultiple,
    )
    consent_dna = forms.BooleanField(
        label=_("Our family agrees to give DNA reference samples for the search."), required=False
    )

    # "What would help recognise him": optional, collapsed on the page (Interpol DVI ante-mortem, plain words)
    am_height = forms.IntegerField(
        label=_("Height (cm)"),
        required=False,
        min_value=100,
        max_value=230,
        help_text=_("About, for example 178."),
    )
    am_build = forms.ChoiceField(label=_("Build"), choices=ANTEMORTEM_BUILD, required=False)
    am_hair = forms.CharField(label=_("Hair"), max_length=100, required=False)
    am_eyes = forms.CharField(label=_("Eyes"), max_length=100, required=False)
    am_dental = forms.CharField(
        label=_("Teeth"),
        help_text=_("Missing teeth, crowns, fillings, braces; the name of his dentist if you know it."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )
    am_medical = forms.CharField(
        label=_("Old fractures, operations, implants"),
        help_text=_("For example: broken left arm in 2015, metal pin in the leg."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )
    am_clothing = forms.CharField(
        label=_("Clothing and belongings when last seen"),
        help_text=_("Uniform, shoes, a ring, a watch, a cross, a chain."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )
    am_tag = forms.CharField(label=_("Identity tag or token number"), max_length=100, required=False)
    am_call_sign = forms.CharField(label=_("Call sign"), max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, FAMILY_MARK_ROWS + 1):
            self.fields[f"am_mark{i}_kind"] = forms.ChoiceField(
                label=_("Mark %(n)s: what") % {"n": i}, choices=ANTEMORTEM_MARK_KINDS, required=False
            )
            self.fields[f"am_mark{i}_region"] = forms.ChoiceField(
                label=_("Mark %(n)s: where on the body") % {"n": i},
                choices=ANTEMORTEM_MARK_REGIONS,
                required=False,
            )
            self.fields[f"am_mark{i}_description"] = forms.CharField(
                label=_("Mark %(n)s: what it looks like") % {"n": i}, max_length=500, required=False
            )

    def mark_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"am_mark{i}_kind"], self[f"am_mark{i}_region"], self[f"am_mark{i}_description"])
            for i in range(1, FAMILY_MARK_ROWS + 1)
        ]

    def clean_other_names(self) -> list[str]:
        text = self.cleaned_data.get("other_names") or ""
        return [line.strip() for line in text.splitlines() if line.strip()][:10]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(1, FAMILY_MARK_ROWS + 1):
            kind, region = data.get(f"am_mark{i}_kind"), data.get(f"am_mark{i}_region")
            if (kind or data.get(f"am_mark{i}_description")) and not region:
                self.add_error(f"am_mark{i}_region", _("Say where on the body it is."))
            elif region and not kind:
                self.add_error(f"am_mark{i}_kind", _("Say whether it is a tattoo, a scar or another mark."))
        return data

    def antemortem(self) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        """What the family said that would help recognise him: profile values and marks (kind, region,
        description); both empty when nothing was filled in."""
        data = self.cleaned_data
        values: dict[str, Any] = {}
        if data.get("am_height"):
            values["height_min_cm"] = values["height_max_cm"] = data["am_height"]
        for field, key in (
            ("am_build", "build"),
            ("am_hair", "hair"),
            ("am_eyes", "eyes"),
            ("am_dental", "dental"),
            ("am_medical", "medical"),
            ("am_clothing", "clothing_effects"),
            ("am_tag", "tag_number"),
            ("am_call_sign", "call_sign"),
        ):
            if (data.get(field) or "").strip():
                values[key] = data[field].strip()
        marks = [
            (data[f"am_mark{i}_kind"], data[f"am_mark{i}_region"], data.get(f"am_mark{i}_description", ""))
            for i in range(1, FAMILY_MARK_ROWS + 1)
            if data.get(f"am_mark{i}_kind") and data.get(f"am_mark{i}_region")
        ]
        return values, marks


class FollowForm(forms.Form):
    number = forms.CharField(label=_("Request number"), max_length=32)
    code = forms.CharField(
        label=_("Access code"),
        max_length=64,
        help_text=_("Capital or small letters, with or without dashes and spaces."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "code-input",
            }
        ),
    )


class FamilyMessageForm(forms.Form):
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class FamilyDocumentForm(forms.Form):
    documents = MultipleFileField(
        label=_("Documents"),
        help_text=_(
            "Letters from the unit or the ministry, certificates (PDF, JPEG, PNG; up to 10 MB each)."
        ),
        required=True,
    )


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app, or one of your recovery codes"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )


class PersonSearchForm(forms.Form):
    name = forms.CharField(label=_("Name (any script)"), max_length=200, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=200, required=False)
    born_from = forms.CharField(label=_("Born from (year)"), max_length=10, required=False)
    born_to = forms.CharField(label=_("Born until (year)"), max_length=10, required=False)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)


class ClaimForm(forms.Form):
    """A claim from an existing source, or from a new one described here."""

    source = FastModelChoiceField(label=_("Existing source"), queryset=Source.objects.none(), required=False)
    source_kind = forms.ChoiceField(label=_("Kind of new source"), choices=SourceKind.choices, required=False)
    source_name = forms.CharField(label=_("Name of new source"), max_length=300, required=False)
    source_origin = forms.CharField(label=_("Issued by"), max_length=300, required=False)
    source_reference = forms.CharField(label=_("Document reference"), max_length=200, required=False)
    source_date = PartialDateFormField(label=_("Date of the source"))
    reliability = forms.ChoiceField(label=_("Reliability"), choices=Reliability.choices, initial="F")
    fate = forms.ChoiceField(label=_("Fate stated"), choices=Fate.choices)
    date = PartialDateFormField(label=_("Date of the fate"))
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    circumstances = forms.CharField(
        label=_("Circumstances"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    event = FastModelChoiceField(
        label=_("Event"),
        queryset=Event.objects.order_by("-date", "name"),
        required=False,
        shared_choices="events",
    )
    document = forms.FileField(label=_("Document"), required=False)

    def __init__(self, *args: Any, sources: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source_field: Any = self.fields["source"]
        source_field.queryset = sources

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("source") and not (data.get("source_kind") and data.get("source_name")):
            raise forms.ValidationError(
                _("Choose an existing source, or give the kind and name of a new one.")
            )
        return data


class RetractForm(forms.Form):
    reason = forms.CharField(label=_("Why is this claim retracted?"), max_length=1000)


class UpdateForm(forms.Form):
    body = forms.CharField(
        label=_("Update for the family, in your own words"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )


class StaffMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message to the family"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=300)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=date_input())


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class LinkEventForm(forms.Form):
    event = FastModelChoiceField(
        label=_("Event"), queryset=Event.objects.order_by("-date", "name"), shared_choices="events"
    )


class DocumentForm(forms.Form):
    source = FastModelChoiceField(label=_("Source"), queryset=Source.objects.none())
    document = forms.FileField(label=_("Document"))

    def __init__(self, *args: Any, sources: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["source"]
        field.queryset = sources


class LegalStatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New legal status"), choices=LegalStatus.choices)
    effective_on = forms.DateField(label=_("Effective on"), widget=date_input())
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class SampleForm(forms.Form):
    code = forms.CharField(label=_("Barcode"), max_length=50)
    kind = forms.ChoiceField(label=_("Kind"), choices=Sample.Kind.choices)
    relationship = forms.ChoiceField(
        label=_("Donor's relationship (reference samples)"),
        choices=[("", "—"), *DONOR_RELATIONSHIPS.items()],  # the closed list screening understands
        required=False,
    )


class CSVUploadForm(forms.Form):
    csv_file = forms.FileField(label=_("CSV file"))


class ProfileUploadForm(CSVUploadForm):
    reanalysis = forms.BooleanField(
        label=_(
            "Re-analysis: replace profiles that screening results rest on (the earlier profiles are "
            "kept; a profile an identification rests on is never replaced)"
        ),
        required=False,
    )


class PedigreeUploadForm(forms.Form):
    pedigree_file = forms.FileField(label=_("Pedigree CSV or Familias .fam file"))
    request_number = forms.CharField(
        label=_("Tracing request number (required for a .fam file)"), max_length=40, required=False
    )
    missing = forms.CharField(
        label=_("Person sought (.fam: their id in the file)"), max_length=60, required=False
    )
    hypothesis = forms.CharField(
        label=_("Pedigree to import (.fam with several hypotheses)"), max_length=100, required=False
    )


# --- inquiries: what was asked of whom, and what was (not) answered ---

#: The reply rules of ``registry/data/legal_rules.json`` (``reply_rules``) as a caseworker chooses them.
REPLY_RULE_LABELS = {
    "59-FZ": _("Federal Law 59-FZ, art. 12: answer within 30 days of registration, extendable once by 30"),
    "decree-1421": _("Government Decree 1421: the certificate within 30 days"),
    "none": _("No statutory reply deadline"),
}


def _reply_rule_choices() -> list[tuple[str, Any]]:
    from kinlink.registry.legal import default_rules

    rules = default_rules().reply_rules
    return [
        ("", _("As the law sets for this addressee and channel")),
        *((key, REPLY_RULE_LABELS.get(key, key)) for key in rules),
    ]


def _not_future(day: dt.date | None) -> dt.date | None:
    from django.utils import timezone

    if day is not None and day > timezone.localdate():
        raise forms.ValidationError(_("This date is in the future."))
    return day


class InquiryForm(forms.Form):
    """An inquiry a caseworker records (a letter sent, an e-mail, a call to a hotline, a visit)."""

    addressee_kind = forms.ChoiceField(label=_("Kind of addressee"), choices=())
    addressee = forms.CharField(
        label=_("Addressee"),
        max_length=300,
        help_text=_("For example: Commander of military unit 12345; Military commissariat of Pskov."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=())
    tracking_number = forms.CharField(
        label=_("Postal tracking number"),
        max_length=100,
        required=False,
        help_text=_("For a letter by post."),
    )
    operator_name = forms.CharField(
        label=_("Operator's name"), max_length=200, required=False, help_text=_("For a hotline call.")
    )
    asked_on = forms.DateField(label=_("Sent on"), widget=date_input())
    reference = forms.CharField(label=_("Outgoing reference"), max_length=200, required=False)
    legal_basis = forms.ChoiceField(label=_("Legal basis of the reply deadline"), choices=(), required=False)
    question = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from kinlink.documents.models import Inquiry

        super().__init__(*args, **kwargs)
        kind_field: Any = self.fields["addressee_kind"]
        kind_field.choices = Inquiry.Addressee.choices
        channel_field: Any = self.fields["channel"]
        channel_field.choices = Inquiry.Channel.choices
        basis_field: Any = self.fields["legal_basis"]
        basis_field.choices = _reply_rule_choices()

    def clean_asked_on(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("asked_on"))


class FollowUpForm(InquiryForm):
    """A reminder to the same addressee, or a complaint (to the military prosecutor, the ombudsman) about
    an inquiry left unanswered."""

    kind = forms.ChoiceField(label=_("Follow-up"), choices=())

    field_order = ("kind",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from kinlink.documents.models import Inquiry

        super().__init__(*args, **kwargs)
        field: Any = self.fields["kind"]
        field.choices = [(Inquiry.Kind.REMINDER, _("a reminder")), (Inquiry.Kind.COMPLAINT, _("a complaint"))]


class InquiryDatesForm(forms.Form):
    received_on = forms.DateField(
        label=_("Received by the addressee on"),
        widget=date_input(),
        required=False,
        help_text=_("From the postal tracking record or the registration notice."),
    )
    extended_on = forms.DateField(
        label=_("Reply period extended on"),
        widget=date_input(),
        required=False,
        help_text=_("The day of the addressee's notice that it extends the reply period (once)."),
    )

    def clean_received_on(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("received_on"))

    def clean_extended_on(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("extended_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("received_on") and not data.get("extended_on"):
            raise forms.ValidationError(_("Give the date of receipt or of the extension."))
        return data


#: How many statements about the person's fate one answer form takes.
ANSWER_STATEMENTS = 2


class InquiryAnswerForm(forms.Form):
    """The answer to an inquiry, and what it states about the person's fate (each statement a claim)."""

    answered_on = forms.DateField(label=_("Answered on"), widget=date_input())
    answer_reference = forms.CharField(label=_("Reference of the answer"), max_length=200, required=False)
    answer = forms.CharField(
        label=_("Text of the answer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        required=False,
    )
    scan = forms.FileField(
        label=_("Scan of the answer"),
        required=False,
        help_text=_("PDF, JPEG or PNG, up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    reliability = forms.ChoiceField(label=_("Reliability"), choices=Reliability.choices, initial="C")

    def __init__(self, *args: Any, sex: str | None = None, **kwargs: Any) -> None:
        from kinlink.registry.services.grammar import gendered

        super().__init__(*args, **kwargs)
        fates = [("", _("— no statement —")), *Fate.choices]
        for n in range(1, ANSWER_STATEMENTS + 1):
            self.fields[f"fate_{n}"] = forms.ChoiceField(
                label=gendered("What the answer states about his fate (%(n)s)", sex) % {"n": n},
                choices=fates,
                required=False,
            )
            self.fields[f"date_{n}"] = PartialDateFormField(label=_("Date stated (%(n)s)") % {"n": n})
            self.fields[f"place_{n}"] = forms.CharField(
                label=_("Place stated (%(n)s)") % {"n": n}, max_length=300, required=False
            )

    def clean_answered_on(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("answered_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("answer") or "").strip() and not data.get("scan") and "scan" not in self.errors:
            self.add_error("answer", _("Give the text of the answer or attach its scan."))
        for n in range(1, ANSWER_STATEMENTS + 1):
            if not data.get(f"fate_{n}") and (data.get(f"date_{n}") or data.get(f"place_{n}")):
                self.add_error(
                    f"fate_{n}", _("Choose the fate the answer states, or clear its date and place.")
                )
        return data

    def statements(self) -> list[tuple[str, str, str]]:
        """(fate, date, place) of every statement filled in."""
        data = self.cleaned_data
        return [
            (data[f"fate_{n}"], data.get(f"date_{n}") or "", data.get(f"place_{n}") or "")
            for n in range(1, ANSWER_STATEMENTS + 1)
            if data.get(f"fate_{n}")
        ]


class FamilyInquiryForm(forms.Form):
    """An inquiry or a call the family made on its own, logged from the follow page."""

    addressee_kind = forms.ChoiceField(label=_("Whom did you ask?"), choices=())
    addressee = forms.CharField(
        label=_("Name of the office or unit"),
        max_length=300,
        help_text=_("For example: military unit 12345; the defence hotline you called."),
    )
    channel = forms.ChoiceField(label=_("How did you ask?"), choices=())
    asked_on = forms.DateField(label=_("When?"), widget=date_input())
    operator_name = forms.CharField(
        label=_("Name of the person you spoke to"), max_length=200, required=False
    )
    question = forms.CharField(
        label=_("What did you ask?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    answer = forms.CharField(
        label=_("What were you told?"),
        help_text=_("Leave it empty if there is no answer yet."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    answered_on = forms.DateField(
        label=_("When did they answer?"),
        help_text=_("For a call, leave it empty: the day of the call."),
        widget=date_input(),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from kinlink.documents.models import Inquiry

        super().__init__(*args, **kwargs)
        kind_field: Any = self.fields["addressee_kind"]
        kind_field.choices = Inquiry.Addressee.choices
        channel_field: Any = self.fields["channel"]
        channel_field.choices = Inquiry.Channel.choices

    def clean_asked_on(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("asked_on"))

    def clean_answered_on(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("answered_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        asked, answered = data.get("asked_on"), data.get("answered_on")
        if answered and not (data.get("answer") or "").strip():
            self.add_error("answer", _("Write what you were told, or clear the date of the answer."))
        if asked and answered and answered < asked:
            self.add_error("answered_on", _("It cannot have been answered before it was sent."))
        return data


def _document_languages() -> list[tuple[str, Any]]:
    """The languages a document is written in, named in the reader's language."""
    from django.conf import settings

    from kinlink.documents.labels import LANGUAGES

    names = dict(settings.LANGUAGES)
    return [(code, names.get(code, code)) for code in LANGUAGES]


class LetterForm(forms.Form):
    """The language of an inquiry's letter (the addressee's language)."""

    lang = forms.ChoiceField(label=_("Language of the letter"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lang_field: Any = self.fields["lang"]
        lang_field.choices = _document_languages()


class NextStepForm(LetterForm):
    """The follow-up an overdue inquiry calls for (its kind and addressee are kinlink's suggestion, in the
    hidden ``step``): to whom exactly, when it is sent, and the language of its letter."""

    step = forms.CharField(widget=forms.HiddenInput, max_length=60)
    addressee = forms.CharField(label=_("Addressee"), max_length=300)
    asked_on = forms.DateField(label=_("Sent on"), widget=date_input())
    tracking_number = forms.CharField(
        label=_("Postal tracking number"),
        max_length=100,
        required=False,
        help_text=_("For a letter by post."),
    )

    field_order = ("addressee", "asked_on", "tracking_number", "lang")

    def clean_asked_on(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("asked_on"))


class CourtApplicationForm(forms.Form):
    """A draft application to a court: which one, and its language."""

    kind = forms.ChoiceField(
        label=_("Application"),
        widget=forms.RadioSelect,
        choices=[
            ("recognise-missing", _("recognition as missing")),
            ("declare-dead", _("declaration of death")),
        ],
    )
    lang = forms.ChoiceField(label=_("Language"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lang_field: Any = self.fields["lang"]
        lang_field.choices = _document_languages()


class WithdrawDnaConsentForm(forms.Form):
    """The family's confirmation that it withdraws its consent to DNA use."""

    confirm = forms.BooleanField(
        label=_(
            "I understand: the DNA profiles of my family will be erased and no longer compared with remains. "
            "If remains of my relative are found later, we will have to give samples again."
        ),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )


class WithdrawRequestForm(forms.Form):
    """The family's confirmation that it withdraws its whole request."""

    confirm = forms.BooleanField(
        label=_(
            "I understand: the search stops, my name, my contacts, what I wrote, my messages, my documents "
            "and my family's DNA profiles will be erased, and this access code will stop working. "
            "This cannot be undone."
        ),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )
