"""Field records: the exhumation of a site step by step, the custody chain of remains and samples, the
ante-mortem data of a missing person and the post-mortem data of remains, and the decisions a caseworker
took on a non-DNA comparison.

Exhumation steps and custody events are append-only (a wrong step is corrected by a later one, never
edited). Ante-mortem and post-mortem profiles are edited through ``field.actions`` only, each change
audited with the fields it changed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kinlink.registry.models import (
    AppendOnlyError,
    AppendOnlyManager,
    Person,
    Remains,
    RepatriationBatch,
    Sample,
    Sex,
    Site,
)


class _AppendOnly(models.Model):
    objects = AppendOnlyManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name_plural} are append-only: record a new step")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{self._meta.verbose_name_plural} are append-only: no delete")


class ExhumationStep(_AppendOnly):
    """One dated step of a site's exhumation: requested, permitted or refused, done, closed."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="exhumation_steps")
    status = models.CharField(_("status"), max_length=20, choices=Site.Exhumation.choices)
    on = models.DateField(_("date"))
    by = models.CharField(_("by whom"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("exhumation step")
        verbose_name_plural = _("exhumation steps")
        ordering = ("on", "created", "pk")


class CustodyEvent(_AppendOnly):
    """One link of the custody chain of remains or of a sample: who held it, from when, and how it moved."""

    class Step(models.TextChoices):
        RECOVERY = "recovery", _("recovery")
        TRANSFER = "transfer", _("transfer")
        SAMPLING = "sampling", _("sampling")
        LAB = "lab", _("received by the laboratory")
        IDENTIFICATION = "identification", _("identification")
        RELEASE = "release", _("release to the family")
        BURIAL = "burial", _("burial")

    remains = models.ForeignKey(
        Remains, null=True, blank=True, on_delete=models.PROTECT, related_name="custody_events"
    )
    sample = models.ForeignKey(
        Sample, null=True, blank=True, on_delete=models.PROTECT, related_name="custody_events"
    )
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    on = models.DateField(_("date"))
    from_party = models.CharField(_("from"), max_length=200, blank=True)
    to_party = models.CharField(_("to"), max_length=200, blank=True)
    batch = models.ForeignKey(
        RepatriationBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="custody_events"
    )
    by = models.CharField(_("by whom"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")
        ordering = ("on", "created", "pk")
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=models.Q(remains__isnull=False) | models.Q(sample__isnull=False),
                name="custody_event_has_a_subject",
            )
        ]


class PhysicalProfile(models.Model):
    """What is known of a body: before death from the family (ante-mortem, one per missing person) or
    from the examination of remains (post-mortem, one per remains record). Every field is optional;
    ``sources`` says, per field, who said it (the mother, a medical record, the examiner)."""

    class Side(models.TextChoices):
        ANTEMORTEM = "am", _("ante-mortem")
        POSTMORTEM = "pm", _("post-mortem")

    class Build(models.TextChoices):
        UNKNOWN = "", _("unknown")
        SLIM = "slim", _("slim")
        MEDIUM = "medium", _("medium")
        STOCKY = "stocky", _("stocky")
        HEAVY = "heavy", _("heavy")

    side = models.CharField(_("side"), max_length=2, choices=Side.choices)
    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="antemortem"
    )
    remains = models.OneToOneField(
        Remains, null=True, blank=True, on_delete=models.PROTECT, related_name="postmortem"
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    age_min = models.PositiveSmallIntegerField(_("age from"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("age to"), null=True, blank=True)
    height_min_cm = models.PositiveSmallIntegerField(_("height from (cm)"), null=True, blank=True)
    height_max_cm = models.PositiveSmallIntegerField(_("height to (cm)"), null=True, blank=True)
    build = models.CharField(_("build"), max_length=10, choices=Build.choices, blank=True, default="")
    hair = models.CharField(_("hair"), max_length=100, blank=True)
    eyes = models.CharField(_("eyes"), max_length=100, blank=True)
    dental = models.TextField(_("teeth and dental work"), blank=True)
    medical = models.TextField(_("fractures, operations, implants"), blank=True)
    clothing_effects = models.TextField(_("clothing and personal effects"), blank=True)
    tag_number = models.CharField(_("identity tag or token number"), max_length=100, blank=True)
    call_sign = models.CharField(_("call sign"), max_length=100, blank=True)
    documents_found = models.TextField(_("documents found"), blank=True)
    sources = models.JSONField(_("sources per field"), default=dict, blank=True)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("physical profile")
        verbose_name_plural = _("physical profiles")
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=(
                    models.Q(side="am", person__isnull=False, remains__isnull=True)
                    | models.Q(side="pm", remains__isnull=False, person__isnull=True)
                ),
                name="physical_profile_side_matches_its_subject",
            )
        ]


class BodyMark(models.Model):
    """A tattoo, scar or other mark, by body region, with its description and optionally a photo (an
    attachment of the profile's source, kept encrypted like every upload)."""

    class Kind(models.TextChoices):
        TATTOO = "tattoo", _("tattoo")
        SCAR = "scar", _("scar")
        BIRTHMARK = "birthmark", _("birthmark")
        AMPUTATION = "amputation", _("amputation")
        OTHER = "other", _("other mark")

    class Region(models.TextChoices):
        HEAD = "head", _("head and face")
        NECK = "neck", _("neck")
        CHEST = "chest", _("chest")
        BACK = "back", _("back")
        ABDOMEN = "abdomen", _("abdomen")
        LEFT_ARM = "left_arm", _("left arm")
        RIGHT_ARM = "right_arm", _("right arm")
        LEFT_HAND = "left_hand", _("left hand")
        RIGHT_HAND = "right_hand", _("right hand")
        LEFT_LEG = "left_leg", _("left leg")
        RIGHT_LEG = "right_leg", _("right leg")
        LEFT_FOOT = "left_foot", _("left foot")
        RIGHT_FOOT = "right_foot", _("right foot")

    profile = models.ForeignKey(PhysicalProfile, on_delete=models.CASCADE, related_name="marks")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    region = models.CharField(_("body region"), max_length=20, choices=Region.choices)
    description = models.CharField(_("description"), max_length=500, blank=True)
    photo = models.ForeignKey(
        "registry.Attachment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("body mark")
        verbose_name_plural = _("body marks")
        ordering = ("region", "kind", "pk")


class ComparisonDecision(models.Model):
    """A caseworker's decision on a non-DNA comparison of remains with a missing person: an exclusion is
    remembered (the person is not offered again for these remains), like a DNA decision."""

    class Decision(models.TextChoices):
        EXCLUDED = "excluded", _("excluded")
        POSSIBLE = "possible", _("possible: ask for DNA")

    remains = models.ForeignKey(Remains, on_delete=models.PROTECT, related_name="comparison_decisions")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="comparison_decisions")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("comparison decision")
        verbose_name_plural = _("comparison decisions")
        ordering = ("-created", "-pk")
