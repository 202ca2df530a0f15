"""The register of issued documents, and the inquiries a case made to authorities.

Every PDF kinlink issues is kept here with its number, the SHA-256 of its exact bytes (what the
verification checks), the SHA-256 of its content (what the document prints) and the PDF itself, so
that a family downloads exactly the file that was registered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinlink.registry.models import Case, Source


class DocumentKind(models.TextChoices):
    CERTIFICATE = "certificate", _("certificate of tracing request")
    DOSSIER = "dossier", _("evidence dossier for a court")
    DNA_REPORT = "dna-report", _("DNA identification report")
    STATISTICS = "statistics", _("aggregate statistics report")


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
    pdf = models.BinaryField(_("PDF"))
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


class Inquiry(models.Model):
    """One question put to an authority or organisation about the person of a case, and its answer.

    The dated list of inquiries, answered or not, is what a court needs to accept that "no information
    was provided".
    """

    class Addressee(models.TextChoices):
        UNIT = "unit", _("military unit")
        COMMISSARIAT = "commissariat", _("military commissariat")
        MINISTRY = "ministry", _("ministry")
        ICRC = "icrc", _("ICRC")
        OMBUDSMAN = "ombudsman", _("ombudsman")
        HOSPITAL = "hospital", _("hospital or morgue")
        OTHER = "other", _("other")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="inquiries")
    addressee_kind = models.CharField(_("kind of addressee"), max_length=20, choices=Addressee.choices)
    addressee = models.CharField(_("asked of"), max_length=300)
    question = models.TextField(_("question"))
    asked_on = models.DateField(_("asked on"))
    reference = models.CharField(_("outgoing reference"), max_length=200, blank=True)
    answer_due_days = models.PositiveSmallIntegerField(_("answer due within (days)"), default=30)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answer_source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="answered_inquiries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ("asked_on", "id")

    def __str__(self) -> str:
        return f"{self.asked_on} → {self.addressee}"
