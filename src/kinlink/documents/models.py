"""The register of issued documents, and the inquiries a case made to authorities.

Every PDF kinlink issues is kept here with its number, the SHA-256 of its exact bytes (what the
verification checks), the SHA-256 of its content (what the document prints) and the PDF itself, so
that a family downloads exactly the file that was registered.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinlink.registry.fields import EncryptedBinaryField
from kinlink.registry.models import Case, DataKey, Source, TracingRequest


class DocumentKind(models.TextChoices):
    CERTIFICATE = "certificate", _("certificate of tracing request")
    DOSSIER = "dossier", _("evidence dossier for a court")
    DNA_REPORT = "dna-report", _("DNA identification report")
    STATISTICS = "statistics", _("aggregate statistics report")
    INQUIRY_LETTER = "inquiry-letter", _("letter to an authority or organisation")
    COURT_APPLICATION = "court-application", _("draft application to a court")


class Audience(models.TextChoices):
    FAMILY = "family", _("family")
    CASEWORKER = "caseworker", _("caseworker")
    LAB = "lab", _("laboratory")
    PUBLIC = "public", _("public")


class IssuedDocument(models.Model):
    """One issued PDF. Append-only: a corrected document is a new number."""

    number = models.CharField(_("document number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="issued_documents"
    )
    language = models.CharField(_("language"), max_length=8)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    created = models.DateTimeField(_("created"), default=timezone.now)
    content_sha256 = models.CharField(_("SHA-256 of the content"), max_length=64)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF file"), max_length=64, db_index=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    pdf = EncryptedBinaryField(_("PDF"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_to_family = models.BooleanField(_("released to the family"), default=False)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        ordering = ("-created",)

    def __str__(self) -> str:
        return f"{self.number} ({self.kind})"

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"

    def encryption_key(self) -> DataKey:
        """A case's document is encrypted with the case's key (its family's request); the statistics
        report, on no case, with the instance's."""
        from kinlink.registry.crypto import instance_key

        return self.case.encryption_key() if self.case is not None else instance_key()


class Inquiry(models.Model):
    """One question put to an authority or organisation about the person of a case, and its answer.

    The dated list of inquiries, answered or not, is what a court needs to accept that "no information
    was provided". ``reply_due`` is the statutory deadline computed by ``registry.legal.reply_due`` from
    ``legal_basis`` and the dates (written by the actions in ``documents.actions``, never by hand). An
    answer is a source (``answer_source``): what the letter states becomes claims with provenance.
    """

    class Addressee(models.TextChoices):
        MILITARY_UNIT = "military_unit", _("military unit and its commander")
        COMMISSARIAT = "commissariat", _("military commissariat")
        MINISTRY = "ministry", _("ministry's military-social centre or hotline")
        PROSECUTOR = "prosecutor", _("military prosecutor")
        INVESTIGATIVE_COMMITTEE = "investigative_committee", _("investigative committee")
        OMBUDSMAN = "ombudsman", _("human-rights ombudsman")
        RED_CROSS = "red_cross", _("Red Cross / ICRC")
        POW_BODY = "pow_body", _("the other side's body for prisoners of war")
        HOSPITAL = "hospital", _("hospital or morgue")
        FORENSIC_CENTRE = "forensic_centre", _("forensic identification centre")
        OTHER = "other", _("other")

    class Channel(models.TextChoices):
        POST = "post", _("post")
        EMAIL = "email", _("e-mail")
        ONLINE = "online", _("online reception")
        HOTLINE = "hotline", _("hotline call")
        IN_PERSON = "in_person", _("in person")

    class Kind(models.TextChoices):
        INQUIRY = "inquiry", _("inquiry")
        REMINDER = "reminder", _("reminder")
        COMPLAINT = "complaint", _("complaint")

    class LoggedBy(models.TextChoices):
        STAFF = "staff", _("caseworker")
        FAMILY = "family", _("family")

    class Evidence(models.TextChoices):
        PENDING = "pending", _("not yet reviewed")
        ACCEPTED = "accepted", _("accepted as evidence")
        DECLINED = "declined", _("not used as evidence")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="inquiries")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INQUIRY)
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        verbose_name=_("follows up on"),
    )
    addressee_kind = models.CharField(_("kind of addressee"), max_length=30, choices=Addressee.choices)
    addressee = models.CharField(_("asked of"), max_length=300)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.POST)
    tracking_number = models.CharField(_("postal tracking number"), max_length=100, blank=True)
    operator_name = models.CharField(_("operator's name"), max_length=200, blank=True)
    question = models.TextField(_("question"))
    asked_on = models.DateField(_("sent on"))
    received_on = models.DateField(_("received by the addressee on"), null=True, blank=True)
    reference = models.CharField(_("outgoing reference"), max_length=200, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=40, blank=True)
    extended_on = models.DateField(_("reply period extended on"), null=True, blank=True)
    reply_due = models.DateField(_("reply due"), null=True, blank=True, db_index=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answer_reference = models.CharField(_("reference of the answer"), max_length=200, blank=True)
    answer_source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="answered_inquiries"
    )
    letter = models.ForeignKey(
        "IssuedDocument",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
        verbose_name=_("letter"),
    )
    logged_by = models.CharField(
        _("logged by"), max_length=10, choices=LoggedBy.choices, default=LoggedBy.STAFF
    )
    evidence = models.CharField(
        _("evidence"), max_length=10, choices=Evidence.choices, default=Evidence.ACCEPTED
    )
    #: The family's request an entry was logged from (the follow page): that family sees its own words.
    tracing_request = models.ForeignKey(
        TracingRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
        verbose_name=_("logged from the request"),
    )
    #: A caseworker's decision that the family may read the answer (never set for news of a death that the
    #: family has not been told in person).
    shared_with_family = models.BooleanField(_("answer shared with the family"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ("asked_on", "id")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=("answered_on", "reply_due"), name="inquiry_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.asked_on} → {self.addressee}"

    def is_overdue(self, today: dt.date) -> bool:
        """Unanswered past its statutory reply date (an inquiry without one is never overdue)."""
        return self.answered_on is None and self.reply_due is not None and self.reply_due < today

    def answered_late(self) -> bool:
        """Answered, but after its statutory reply date."""
        return (
            self.answered_on is not None and self.reply_due is not None and self.answered_on > self.reply_due
        )

    def family_may_read_answer(self) -> bool:
        """The family reads the answer's text only of what it logged itself or a caseworker shared."""
        return self.logged_by == self.LoggedBy.FAMILY or self.shared_with_family
