"""The registry's domain model: persons, tracing requests, sources, claims with provenance, events,
remains, sites, samples, cases, organisations and the audit trail.

Claims are never edited away: they are retracted, and the retraction stays on record. The audit
trail is append-only. Personal data a request brings (contacts, circumstances, messages, notes, profiles,
files) is encrypted at rest under the data key of its owner (`registry.crypto`, docs/operator.md).
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kinlink.partialdate import PartialDate, parse_optional
from kinlink.registry import accesscode
from kinlink.registry.fields import EncryptedTextField, PartialDateField


class AppendOnlyError(PermissionError):
    """A change to a record that is append-only (claims, retractions, audit entries)."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """A queryset that can add rows and read them, never change or remove them.

    ``update()``, ``delete()`` and ``bulk_update()`` raise :class:`AppendOnlyError`; on PostgreSQL a trigger
    refuses ``UPDATE`` and ``DELETE`` on these tables too (migration ``0004_append_only_triggers``)."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are append-only: no update")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are append-only: no delete")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are append-only: no update")

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are append-only: no update")


class AppendOnlyManager(models.Manager.from_queryset(AppendOnlyQuerySet)):  # type: ignore[misc]
    """The manager of append-only models."""


class Organisation(models.Model):
    """A tracing organisation, a lab, or a partner registry."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(unique=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    is_lab = models.BooleanField(_("is a forensic lab"), default=False)
    # the issuer's details printed on every document issued for one of its cases
    address = models.CharField(_("address"), max_length=300, blank=True)
    registration = models.CharField(_("registration details"), max_length=300, blank=True)
    signatory_name = models.CharField(_("signatory's name"), max_length=200, blank=True)
    signatory_position = models.CharField(_("signatory's position"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    #: The forensic labs this organisation works with: they may register reference samples for, store
    #: the pedigrees of and screen the families of the requests it holds (``access.requests_of_labs``).
    labs = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="client_organisations",
        limit_choices_to={"is_lab": True},
        verbose_name=_("labs it works with"),
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class DataKey(models.Model):
    """A data key of envelope encryption (``registry.crypto``): its id and scope. The key itself, wrapped by
    the operator's key, is a file in ``KINLINK_KEY_DIR``, never in the database; shredding destroys that
    file and marks the row, so every copy of the ciphertext the key opened is unreadable for ever."""

    class Scope(models.TextChoices):
        REQUEST = "request", _("tracing request")
        ORGANISATION = "organisation", _("organisation")
        INSTANCE = "instance", _("instance")

    key_id = models.UUIDField(unique=True, editable=False)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="data_keys"
    )
    created = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)
    shredded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("data key")
        verbose_name_plural = _("data keys")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("organisation",),
                condition=models.Q(scope="organisation"),
                name="one_data_key_per_organisation",
            ),
            models.UniqueConstraint(
                fields=("scope",), condition=models.Q(scope="instance"), name="one_instance_data_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} key {self.key_id.hex[:8]}"

    @classmethod
    def create(cls, scope: str, *, organisation: Organisation | None = None) -> DataKey:
        """A new key: its material written to the key store, then its row (in the caller's transaction)."""
        from kinlink.registry.crypto import new_key_material

        key_id, _raw = new_key_material()
        return cls.objects.create(key_id=key_id, scope=scope, organisation=organisation)

    @classmethod
    def create_many(cls, scope: str, count: int) -> list[DataKey]:
        """``count`` new keys of ``scope`` (a batch of tracing requests): their material written to the key
        store together (``crypto.new_keys_material``: one fsync of the folder, not one per key), then their
        rows (in the caller's transaction)."""
        from kinlink.registry.crypto import new_keys_material

        rows = [DataKey(key_id=key_id, scope=scope) for key_id, _raw in new_keys_material(count)]
        return DataKey.objects.bulk_create(rows, batch_size=2000)


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    LAB_ANALYST = "lab_analyst", _("Lab analyst")
    ADMINISTRATOR = "administrator", _("Administrator")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("user", "organisation"), name="one_membership_per_organisation")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")
    UNKNOWN = "U", _("unknown")


class Person(models.Model):
    """Someone missing, or any person a source speaks of."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = PartialDateField(_("date of birth"))
    birth_place = models.CharField(_("place of birth"), max_length=200, blank=True)
    service_number = models.CharField(_("service number"), max_length=50, blank=True)
    #: Not indexed: the search looks for a part of the unit (``icontains``), which no B-tree index serves.
    unit = models.CharField(_("unit"), max_length=200, blank=True)
    rank = models.CharField(_("rank"), max_length=100, blank=True)
    military_branch = models.CharField(_("branch"), max_length=100, blank=True)
    region = models.CharField(_("home region"), max_length=200, blank=True)
    height_cm = models.PositiveSmallIntegerField(_("height (cm)"), null=True, blank=True)
    physical_description = models.TextField(_("physical description"), blank=True)
    distinguishing_marks = models.TextField(_("distinguishing marks"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        help_text=_("Set when record linkage showed this record is the same person as another."),
        db_index=False,  # a partial index (Meta.indexes): almost every person is merged into no one
    )
    #: The reconciled fate (``registry.fate.reconcile``), stored and recomputed by the registry's actions
    #: whenever a claim about the person changes; pages, documents, figures and exports read it.
    fate = models.CharField(_("fate"), max_length=20, db_default="unknown", default="unknown")
    fate_confidence = models.CharField(max_length=20, db_default="none", default="none")
    fate_conflicts = models.PositiveSmallIntegerField(db_default=0, default=0)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        # Every index is written by every imported row (issue 16): ``merged_into`` is indexed where it is
        # set (``merged_into = X`` and ``IS NOT NULL`` use it; ``IS NULL``, the live persons, is nearly
        # every row and is read in full anyway), ``fate`` without the LIKE-pattern copy that
        # ``db_index`` adds on PostgreSQL (fates are compared whole, never by prefix).
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["merged_into"],
                condition=models.Q(merged_into__isnull=False),
                name="person_merged_into",
            ),
            models.Index(fields=["fate"], name="person_fate"),
        ]

    def __str__(self) -> str:
        name = self.primary_name()
        return name or f"person {self.uid}"

    def primary_name(self) -> str:
        variants = list(self.names.all())
        chosen = next((v for v in variants if v.is_primary), variants[0] if variants else None)
        return chosen.display() if chosen else ""

    @property
    def birth_partial(self) -> PartialDate | None:
        return parse_optional(self.birth_date)


class Script(models.TextChoices):
    CYRILLIC = "Cyrl", _("Cyrillic")
    LATIN = "Latn", _("Latin")
    OTHER = "Zyyy", _("other")


class NameVariant(models.Model):
    """A name as a source wrote it: its script, language and origin are kept."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="names")
    full_name = models.CharField(_("full name as written"), max_length=300, blank=True)
    #: Not indexed: no query looks a surname up (the search compares name keys in Python).
    surname = models.CharField(_("surname"), max_length=150, blank=True)
    given_name = models.CharField(_("given name"), max_length=150, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    script = models.CharField(_("script"), max_length=4, choices=Script.choices, default=Script.CYRILLIC)
    language = models.CharField(_("language"), max_length=8, blank=True)
    source = models.ForeignKey(
        "Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="names"
    )
    is_primary = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("name variant")
        verbose_name_plural = _("name variants")

    def __str__(self) -> str:
        return self.display()

    def display(self) -> str:
        if self.full_name:
            return self.full_name
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)


_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN = re.compile("[A-Za-z]")


def script_of(text: str) -> str:
    """The dominant script of a name: Cyrillic, Latin or other."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic == latin == 0:
        return Script.OTHER
    return Script.CYRILLIC if cyrillic >= latin else Script.LATIN


class Channel(models.TextChoices):
    WEB = "web", _("web form")
    PHONE = "phone", _("phone")
    HOTLINE = "hotline", _("hotline")
    LETTER = "letter", _("letter")
    IN_PERSON = "in_person", _("in person")
    PARTNER = "partner", _("partner organisation")


class TracingRequest(models.Model):
    """A relative asks what happened to a person."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        IN_PROGRESS = "in_progress", _("in progress")
        ANSWERED = "answered", _("answered")
        CLOSED = "closed", _("closed")

    number = models.CharField(_("request number"), max_length=32, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="tracing_requests")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="tracing_requests"
    )
    enquirer_name = EncryptedTextField(_("enquirer's name"), blank=True)
    relationship = models.CharField(_("relationship to the missing person"), max_length=40)
    contact = EncryptedTextField(_("contact details"), blank=True)
    consent_organisations = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="consented_requests",
        verbose_name=_("organisations the family allows to see the request"),
    )
    consent_dna = models.BooleanField(_("family agrees to give DNA reference samples"), default=False)
    language = models.CharField(_("language"), max_length=8, default="ru")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    last_contact = PartialDateField(_("last contact"))
    last_known_place = models.CharField(_("last known place"), max_length=300, blank=True)
    circumstances = EncryptedTextField(_("circumstances"), blank=True, legacy_plaintext=True)
    access_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    submitted_at = models.DateTimeField(default=timezone.now)
    #: When the request was closed (the retention of its contact details counts from here).
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)
    #: When the family withdrew its consent to the use of its DNA (``registry.actions.withdraw_dna_consent``):
    #: its reference profiles are erased and no longer screened.
    dna_consent_withdrawn_at = models.DateTimeField(_("DNA consent withdrawn on"), null=True, blank=True)
    #: When the family withdrew the whole request (``registry.actions.withdraw_request``): its personal data
    #: are erased and the request is kept as a stub (number, dates) behind a tombstone.
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)
    #: the key of everything this request brings (``registry.crypto``); made with the request
    data_key = models.OneToOneField(
        DataKey,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tracing_request",
        editable=False,
    )

    class Meta:
        verbose_name = _("tracing request")
        verbose_name_plural = _("tracing requests")
        # the staff queue: new requests, newest first (docs/operator.md, "Performance")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "-submitted_at"], name="request_status_submitted"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.data_key_id is None:
            self.data_key = DataKey.create(DataKey.Scope.REQUEST)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "data_key"}
        super().save(*args, **kwargs)

    def encryption_key(self) -> DataKey:
        from kinlink.registry.crypto import request_key

        return request_key(self)

    def issue_access_code(self) -> str:
        """Create a new private follow-up code; only its hash is stored (``registry.accesscode``)."""
        raw = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))
        code = "-".join(raw[i : i + ACCESS_CODE_GROUP] for i in range(0, len(raw), ACCESS_CODE_GROUP))
        self.access_code_hash = hash_access_code(code)
        return code

    def check_access_code(self, code: str) -> bool:
        """Whether ``code`` is this request's access code, under the secret key or a former one still
        listed in ``SECRET_KEY_FALLBACKS`` (a rotation of the secret key locks no family out). Costs one
        memory-hard hash per key, whatever the answer (``registry.accesscode.check``)."""
        return accesscode.check(self.access_code_hash, code)


#: Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand is not misread.
ACCESS_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: 20 characters of 32 = 100 random bits (the former 16 base64url characters gave 96).
ACCESS_CODE_LENGTH = 20
ACCESS_CODE_GROUP = 4


def normalise_access_code(code: str) -> str:
    """The code as typed, made canonical: case, spaces and dashes ignored, I/L read as 1 and O as 0."""
    return accesscode.normalise(code)


def hash_access_code(code: str, secret_key: str | None = None) -> str:
    """The stored form of an access code, keyed on the secret key (``secret_key``: a former one), under
    a memory-hard hash (``registry.accesscode``)."""
    return accesscode.make(code, secret_key)


class SourceKind(models.TextChoices):
    FAMILY_REPORT = "family_report", _("family report")
    TESTIMONY = "testimony", _("testimony")
    UNIT_NOTICE = "unit_notice", _("unit notice")
    MINISTRY_LETTER = "ministry_letter", _("ministry letter")
    PRISONER_LIST = "prisoner_list", _("prisoner list")
    EXCHANGE_LIST = "exchange_list", _("exchange list")
    OBITUARY = "obituary", _("obituary")
    MEDIA = "media", _("media report")
    BURIAL_RECORD = "burial_record", _("burial record")
    DEATH_CERTIFICATE = "death_certificate", _("death certificate")
    DNA_REPORT = "dna_report", _("DNA report")
    DNA_IDENTIFICATION = "dna_identification", _("DNA identification")
    OTHER = "other", _("other")


class Reliability(models.TextChoices):
    A = "A", _("A: completely reliable")
    B = "B", _("B: usually reliable")
    C = "C", _("C: fairly reliable")
    D = "D", _("D: not usually reliable")
    E = "E", _("E: unreliable")
    F = "F", _("F: cannot be judged")


class Source(models.Model):
    """One document or statement: a notice, a letter, a testimony, a list."""

    kind = models.CharField(_("kind"), max_length=30, choices=SourceKind.choices)
    name = models.CharField(_("name"), max_length=300)
    origin = models.CharField(_("issued by"), max_length=300, blank=True)
    reference = models.CharField(_("document reference"), max_length=200, blank=True)
    date = PartialDateField(_("date"))
    reliability = models.CharField(_("reliability"), max_length=1, choices=Reliability.choices, default="F")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="sources"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=("kind", "name"),
                condition=models.Q(reference="list"),
                name="one_source_per_imported_list",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    def encryption_key(self) -> DataKey:
        """What a family sent (its report, photos, letters) is the request's; any other source is its
        organisation's (the instance's without one)."""
        from kinlink.registry.crypto import organisation_key, request_key

        cached: DataKey | None = getattr(self, "_data_key", None)
        if cached is None:
            request = None
            if self.kind == SourceKind.FAMILY_REPORT and self.reference:
                request = TracingRequest.objects.filter(number=self.reference).first()
            cached = request_key(request) if request is not None else organisation_key(self.organisation)
            self._data_key = cached
        return cached


class Attachment(models.Model):
    """A file attached to a source, stored once by the SHA-256 of its content."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="attachments")
    sha256 = models.CharField(max_length=64, db_index=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.filename} ({self.sha256[:12]})"


class Fate(models.TextChoices):
    ALIVE = "alive", _("alive")
    WOUNDED = "wounded", _("wounded")
    DETAINED = "detained", _("detained")
    MISSING = "missing", _("missing")
    DEAD = "dead", _("dead")
    BURIED = "buried", _("buried")
    IDENTIFIED = "identified", _("identified")


class Event(models.Model):
    """One incident in which several people went missing."""

    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=50, blank=True)
    date = PartialDateField(_("date"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    region = models.CharField(_("region"), max_length=200, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    persons = models.ManyToManyField(Person, blank=True, related_name="events")
    external_ref = models.CharField(max_length=50, blank=True, db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A burial or recovery place. Field graves dug by locals are first-class, with their uncertainty."""

    class Kind(models.TextChoices):
        FIELD_GRAVE = "field_grave", _("field grave")
        CEMETERY = "cemetery", _("cemetery")
        MORGUE = "morgue", _("morgue")
        RECOVERY = "recovery_site", _("recovery site")

    class Exhumation(models.TextChoices):
        REPORTED = "reported", _("reported")
        LOCATED = "located", _("located")
        REQUESTED = "requested", _("exhumation requested")
        PERMITTED = "permitted", _("exhumation permitted")
        REFUSED = "refused", _("exhumation refused")
        EXHUMED = "exhumed", _("exhumed")
        CLOSED = "closed", _("closed")

    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    precision_m = models.PositiveIntegerField(_("location uncertainty (m)"), null=True, blank=True)
    reported_by = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="sites"
    )
    exhumation_status = models.CharField(
        max_length=20, choices=Exhumation.choices, default=Exhumation.REPORTED
    )
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="sites")
    description = models.TextField(_("description"), blank=True)
    external_ref = models.CharField(max_length=50, blank=True, db_index=True)
    # what the testimony says of the burial: how many, when and by whom (locals, comrades, the other side)
    buried_count = models.PositiveSmallIntegerField(_("number buried (as reported)"), null=True, blank=True)
    buried_on = PartialDateField(_("buried on"))
    buried_by = models.CharField(_("buried by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name


class Claim(models.Model):
    """One statement by one source about one person. Retractable, never deleted."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="claims")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="claims")
    fate = models.CharField(_("fate"), max_length=20, choices=Fate.choices)
    date = PartialDateField(_("date of the fate"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    place_precision_m = models.PositiveIntegerField(null=True, blank=True)
    circumstances = EncryptedTextField(_("circumstances"), blank=True, legacy_plaintext=True)
    #: ``event``, ``site`` and ``created_by`` are indexed where set (Meta.indexes): an imported list's
    #: claims, most of the table, have none of them.
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims", db_index=False
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims", db_index=False
    )
    #: PROTECT: a user who wrote claims is deactivated, never deleted (the claim row cannot change).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyManager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ("date", "created")
        # the staff queue: new claims of the last 30 days, newest first
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-created"], name="claim_created"),
            models.Index(fields=["event"], condition=models.Q(event__isnull=False), name="claim_event"),
            models.Index(fields=["site"], condition=models.Q(site__isnull=False), name="claim_site"),
            models.Index(
                fields=["created_by"], condition=models.Q(created_by__isnull=False), name="claim_created_by"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.fate} {self.date}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("claims are never edited; retract the claim and add a new one")
        super().save(*args, **kwargs)

    def encryption_key(self) -> DataKey:
        """Circumstances and testimony are encrypted with the key of the claim's source."""
        return self.source.encryption_key()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("claims are never deleted; retract them instead")

    @property
    def is_retracted(self) -> bool:
        """Whether a :class:`ClaimRetraction` withdrew the claim (prefetch ``retraction`` in lists)."""
        try:
            return self.retraction is not None
        except ClaimRetraction.DoesNotExist:
            return False


class ClaimRetraction(models.Model):
    """The withdrawal of one claim: a new row, so the claim itself is never edited. Append-only."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="retraction")
    retracted_at = models.DateTimeField(default=timezone.now)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))

    objects = AppendOnlyManager()

    class Meta:
        verbose_name = _("claim retraction")
        verbose_name_plural = _("claim retractions")

    def __str__(self) -> str:
        return f"{self.claim_id} retracted {self.retracted_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("retractions are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("retractions are never deleted")


class RepatriationBatch(models.Model):
    """Bodies handed over together (a repatriation, a transfer from the other side or a morgue): each is a
    remains record with what came with it."""

    code = models.CharField(_("batch"), max_length=50, unique=True)
    received_on = models.DateField(_("received on"))
    handed_over_by = models.CharField(_("handed over by"), max_length=200, blank=True)
    received_by = models.CharField(_("received by"), max_length=200, blank=True)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="batches")
    note = models.TextField(_("note"), blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("repatriation batch")
        verbose_name_plural = _("repatriation batches")
        ordering = ("-received_on", "code")

    def __str__(self) -> str:
        return self.code


class Remains(models.Model):
    class Status(models.TextChoices):
        RECOVERED = "recovered", _("recovered")
        SAMPLED = "sampled", _("sampled")
        PROFILED = "profiled", _("profiled")
        IDENTIFIED = "identified", pgettext_lazy("remains", "identified")
        RETURNED = "returned", _("returned to the family")

    code = models.CharField(_("code"), max_length=50, unique=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="remains")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="remains")
    recovered_on = PartialDateField(_("recovered on"))
    sex_estimate = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    age_estimate = models.CharField(max_length=30, blank=True)
    condition = models.CharField(_("condition"), max_length=30, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECOVERED)
    identified_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="identified_remains"
    )
    batch = models.ForeignKey(
        RepatriationBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="remains"
    )

    class Meta:
        verbose_name = _("remains")
        verbose_name_plural = _("remains")

    def __str__(self) -> str:
        return self.code


class Sample(models.Model):
    """A DNA sample known to the lab by its barcode only. The registry holds the link to a person."""

    class Kind(models.TextChoices):
        REFERENCE = "reference", _("reference sample (relative)")
        REMAINS = "remains", _("remains sample")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("registered")
        COLLECTED = "collected", _("collected")
        PROFILED = "profiled", _("profiled")
        SEARCHED = "searched", _("searched")
        MATCHED = "matched", _("matched")

    code = models.CharField(_("barcode"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    remains = models.ForeignKey(
        Remains, null=True, blank=True, on_delete=models.PROTECT, related_name="samples"
    )
    tracing_request = models.ForeignKey(
        TracingRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="samples"
    )
    relationship = models.CharField(
        _("donor's relationship to the missing person"), max_length=40, blank=True
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    lab = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="samples"
    )
    profile = EncryptedTextField(_("genotype profile (JSON)"), blank=True)
    collected_on = models.DateField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sample")
        verbose_name_plural = _("samples")
        # the lab console: a lab's samples newest first, and counted by status
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["lab", "-created"], name="sample_lab_created"),
            models.Index(fields=["lab", "status"], name="sample_lab_status"),
        ]

    def __str__(self) -> str:
        return self.code

    def encryption_key(self) -> DataKey:
        """A relative's reference profile is the request's; a remains profile is the lab's."""
        from kinlink.registry.crypto import organisation_key, request_key

        if self.tracing_request is not None and self.tracing_request.withdrawn_at is None:
            return request_key(self.tracing_request)
        return organisation_key(self.lab)


class LegalStatus(models.TextChoices):
    NONE = "none", _("none")
    CERTIFICATE_REQUESTED = "certificate_requested", _("certificate requested")
    RECOGNISED_MISSING = "recognised_missing", _("recognised missing by a court")
    DECLARED_DEAD = "declared_dead", _("declared dead by a court")
    DEATH_REGISTERED = "death_registered", _("death registered")
    PAYMENTS_CLAIMED = "payments_claimed", _("payments claimed")


class Case(models.Model):
    """The working file on one person at one organisation."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")

    number = models.CharField(_("case number"), max_length=32, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    shared_with = models.ManyToManyField(Organisation, blank=True, related_name="shared_cases")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=30, default="RU-participant")
    legal_status = models.CharField(
        _("legal status"), max_length=30, choices=LegalStatus.choices, default=LegalStatus.NONE
    )
    legal_status_since = models.DateField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        # the staff queue: open cases, newest first
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "-opened_at"], name="case_status_opened"),
        ]

    def __str__(self) -> str:
        return self.number

    def encryption_key(self) -> DataKey:
        """The case's notes and issued documents concern the family's request: the key of the first
        request on the case's person (its own organisation's first); the organisation's without one."""
        from kinlink.registry.crypto import organisation_key, request_key

        cached: DataKey | None = getattr(self, "_data_key", None)
        if cached is None:
            # a withdrawn request's key is shredded: what the case writes from then on is not the family's
            requests = TracingRequest.objects.filter(
                person_id=self.person_id, withdrawn_at__isnull=True
            ).order_by("submitted_at", "id")
            request = requests.filter(organisation_id=self.organisation_id).first() or requests.first()
            cached = request_key(request) if request is not None else organisation_key(self.organisation)
            self._data_key = cached
        return cached


# --- the case's working records: the thread with the family, released updates, tasks and notes ---
#
# Nothing here holds a fate: news reaches a family only as a FamilyUpdate that a caseworker wrote in
# their own words and released. The family never sees raw claim text.


class FamilyMessage(models.Model):
    """One message between a family and the caseworkers, on one tracing request."""

    tracing_request = models.ForeignKey(TracingRequest, on_delete=models.CASCADE, related_name="messages")
    from_family = models.BooleanField(default=True)
    body = EncryptedTextField(_("message"), legacy_plaintext=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created", "id")
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        # the staff queue: the families' messages of the last 30 days, newest first
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["from_family", "-created"], name="message_family_created"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.tracing_request} {'family' if self.from_family else 'caseworker'} {self.created:%Y-%m-%d}"
        )

    def encryption_key(self) -> DataKey:
        return self.tracing_request.encryption_key()


class FamilyUpdate(models.Model):
    """What the family may see about the search, written and released by a caseworker."""

    tracing_request = models.ForeignKey(TracingRequest, on_delete=models.CASCADE, related_name="updates")
    body = EncryptedTextField(_("update for the family"), legacy_plaintext=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("released_at", "id")
        verbose_name = _("update for the family")
        verbose_name_plural = _("updates for the family")

    def __str__(self) -> str:
        return f"{self.tracing_request} {self.released_at:%Y-%m-%d}"

    def encryption_key(self) -> DataKey:
        return self.tracing_request.encryption_key()


class CaseTask(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=300)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("done_at", "due_on", "id")
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    body = EncryptedTextField(_("note"), legacy_plaintext=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created", "-id")
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.body[:60]

    def encryption_key(self) -> DataKey:
        return self.case.encryption_key()


class LegalStatusChange(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="legal_changes")
    from_status = models.CharField(max_length=30, choices=LegalStatus.choices)
    to_status = models.CharField(max_length=30, choices=LegalStatus.choices)
    effective_on = models.DateField()
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("legal status change")
        verbose_name_plural = _("legal status changes")
        ordering = ("effective_on", "created")

    def __str__(self) -> str:
        return f"{self.case}: {self.from_status} → {self.to_status}"


class ListImport(models.Model):
    """One imported file of a list; the same bytes are never imported twice."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="imports")
    file_sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=255)
    rows = models.PositiveIntegerField()
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("source", "file_sha256"), name="one_import_per_file")
        ]

    def __str__(self) -> str:
        return f"{self.filename} → {self.source}"


class ListRecord(models.Model):
    """One row of an imported list, kept as the source wrote it and linked to the person it names."""

    #: Not indexed alone: the unique (source, record_id) index serves every lookup by source.
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="records", db_index=False)
    record_id = models.CharField(max_length=100)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="list_records")
    row = models.JSONField()
    row_sha256 = models.CharField(max_length=64)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("source", "record_id"), name="one_record_id_per_list")
        ]

    def __str__(self) -> str:
        return f"{self.source.name}:{self.record_id}"


class Tombstone(models.Model):
    """What is left of a record whose personal data expired or were withdrawn, as PFIF leaves one: the
    record's kind and id, its dates and the reason, and no personal data. One per erased record, so the
    retention run is idempotent."""

    class Reason(models.TextChoices):
        EXPIRED = "expired", _("expired")
        WITHDRAWN = "withdrawn", _("withdrawn")

    kind = models.CharField(_("kind of data"), max_length=40)
    record_id = models.CharField(_("record"), max_length=100)
    record_created = models.DateTimeField(_("created"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased on"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    #: The retention rule that applied (``registry.services.retention.RULES``).
    rule = models.CharField(_("retention rule"), max_length=40)

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        ordering = ("-erased_at", "-id")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("kind", "record_id"), name="one_tombstone_per_record")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.record_id} {self.reason} {self.erased_at:%Y-%m-%d}"


class AuditEntry(models.Model):
    """Append-only: who did or saw what, and when."""

    objects = AppendOnlyManager()

    at = models.DateTimeField(default=timezone.now, db_index=True)
    #: PROTECT: a user the trail names is deactivated, never deleted (the entry cannot change).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=100)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ("-at",)

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit entries are append-only")


class WorkerHeartbeat(models.Model):
    """One running worker process (``kinlink worker``, or the one ``kinlink serve`` starts), beating while it
    lives: the tasks and screening runs it claimed are orphaned once it stops beating (see
    :mod:`kinlink.registry.services.workers`). Operational state, not a record: the row goes when the
    worker stops."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} (pid {self.pid} on {self.hostname})"


class FiguresSnapshot(models.Model):
    """The public figures as last computed (``registry.services.figures.refresh_public_figures``, run by the
    worker when the registry changed, or by ``kinlink figures refresh``): what the figures page, its CSV and
    the statistics report serve. Derived data, not a record: recomputed from the registry at any time."""

    computed_at = models.DateTimeField(default=timezone.now)
    #: The suppression threshold the figures were published with (``FIGURES_SUPPRESSION_THRESHOLD``).
    threshold = models.PositiveIntegerField()
    #: ``public_figures(threshold)`` as JSON text: its key order is the page's order (jsonb would sort it).
    payload = models.TextField()
    #: SHA-256 of ``payload``: the same figures computed again keep their digest (and the page its ETag).
    digest = models.CharField(max_length=64)
    #: Wall-clock seconds the computation took.
    seconds = models.FloatField()
    #: The last :class:`FiguresChange` this snapshot reflects (0: none was pending).
    changes_through = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["threshold", "-id"], name="figures_snapshot_latest")]

    def __str__(self) -> str:
        return (
            f"figures at {self.threshold} computed {self.computed_at:%Y-%m-%d %H:%M:%S} ({self.digest[:12]})"
        )


class FiguresChange(models.Model):
    """A change of the registry the public figures may not reflect yet: one row per transaction that
    appended a write (not a read) to the audit trail, written in that transaction, so it is visible exactly
    when the change is. The worker deletes the rows a new :class:`FiguresSnapshot` covers."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=50)

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M:%S}"
