"""Screening runs, candidate identifications and the staff decisions on them; large lab uploads waiting for
the worker, and the earlier profiles a re-analysis replaced.

A candidate pairs a remains sample with a tracing request (the family whose references were screened).
``fingerprint`` hashes the DNA data the candidate rests on; a decision on a candidate holds until the data
change (a new or corrected profile gives a new fingerprint, and only then is the pair proposed again).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from kinlink.registry.fields import EncryptedTextField
from kinlink.registry.models import Organisation, Sample, TracingRequest


class ScreeningRun(models.Model):
    """One background screening job (queued by a lab upload, run by the worker)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=200, blank=True)
    threshold = models.FloatField(default=1e4)
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    pairs_screened = models.BigIntegerField(default=0)
    candidates_created = models.IntegerField(default=0)
    notes = models.TextField(blank=True)
    #: The frequency table and mutation spec the run used (a report recomputes with the same ones).
    frequencies = models.CharField(max_length=500, blank=True)
    mutation = models.CharField(max_length=500, blank=True)
    #: Allele dropout of the direct matches (references of the missing person himself) the run made.
    direct_dropout = models.FloatField(default=0.0)
    #: Theta (Balding–Nichols) of the kinship screening, and the allele dropout of remains samples: of
    #: every remains sample, and of those from a field grave (``KINLINK_SCREENING_*`` when queued).
    theta = models.FloatField(default=0.0)
    remains_dropout = models.FloatField(default=0.0)
    field_grave_dropout = models.FloatField(default=0.0)
    #: The worker process that claimed the run (``WorkerHeartbeat.worker_id``; blank when run in-process).
    worker_id = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"screening run {self.pk} ({self.status})"


class CandidateIdentification(models.Model):
    """A (remains sample, family) pair at or above the screening threshold, waiting for caseworkers."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "proposed"
        CONFIRMED_ONCE = "confirmed_once", "confirmed by one staff member"
        IDENTIFIED = "identified", "identified (two confirmations)"
        REJECTED = "rejected", "not this family"

    run = models.ForeignKey(ScreeningRun, null=True, on_delete=models.SET_NULL, related_name="candidates")
    remains_sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="+")
    tracing_request = models.ForeignKey(TracingRequest, on_delete=models.PROTECT, related_name="+")
    lr = models.FloatField()
    log10_lr = models.FloatField()

    class Method(models.TextChoices):
        KINSHIP = "kinship", "kinship: the relatives' references through the pedigree"
        DIRECT = "direct", "direct: a reference of the missing person himself"

    method = models.CharField(max_length=10, choices=Method.choices, default=Method.KINSHIP)
    prior = models.FloatField()
    #: The stated basis of the prior (``identification.prior``: its forms and their parsers).
    prior_basis = models.CharField(max_length=600)
    #: The non-DNA comparison excludes the candidate person (``{"fields": [...], "caseworker": reason}``);
    #: empty when it does not. The prior ignores that exclusion; the page shows the conflict.
    non_dna_conflict = models.JSONField(default=dict, blank=True)
    posterior = models.FloatField()
    driving_markers = models.JSONField(default=list)  # [{"marker": name, "log10_lr": x}, ...] strongest first
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["remains_sample", "tracing_request", "fingerprint"],
                name="one_candidate_per_pair_and_data",
            )
        ]
        # the DNA queues (staff home, /staff/dna/): waiting candidates, strongest first
        indexes = [models.Index(fields=["status", "-posterior"], name="candidate_status_posterior")]
        ordering = ["-log10_lr"]

    def __str__(self) -> str:
        return f"{self.remains_sample} ~ {self.tracing_request} (LR {self.lr:.3g})"


class IdentificationDecision(models.Model):
    """One staff member's decision on a candidate: confirm, or reject ("not this family")."""

    class Decision(models.TextChoices):
        CONFIRM = "confirm", "confirm"
        REJECT = "reject", "not this family"

    candidate = models.ForeignKey(CandidateIdentification, on_delete=models.CASCADE, related_name="decisions")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    note = models.TextField(blank=True)
    decided = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["candidate", "staff"], name="one_decision_per_staff_member")
        ]


class StoredPedigree(models.Model):
    """A family's pedigree for one tracing request, imported from a Familias ``.fam`` file or a pedigree
    CSV. Screening uses it instead of guessing the relationships from the donors' stated relationship.

    Members are named by the ids of the imported file (sample codes for typed members, which is all the
    lab sees); ``sha256`` is that of the normalised member list, so a re-import of the same pedigree
    changes nothing.
    """

    tracing_request = models.OneToOneField(TracingRequest, on_delete=models.PROTECT, related_name="+")
    source_file = models.CharField(max_length=200)
    source_format = models.CharField(max_length=10)  # "fam" or "csv"
    sha256 = models.CharField(max_length=64)
    imported = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"pedigree of {self.tracing_request} ({self.source_file})"


class StoredPedigreeMember(models.Model):
    """One member: sex, parents (member ids of the same pedigree), the sample a typed member gave."""

    class Sex(models.TextChoices):
        MALE = "male", "male"
        FEMALE = "female", "female"
        UNKNOWN = "unknown", "unknown"

    pedigree = models.ForeignKey(StoredPedigree, on_delete=models.CASCADE, related_name="members")
    position = models.PositiveIntegerField()  # parents come before their children
    member_id = models.CharField(max_length=60)
    sex = models.CharField(max_length=7, choices=Sex.choices)
    father = models.CharField(max_length=60, blank=True)
    mother = models.CharField(max_length=60, blank=True)
    sample = models.ForeignKey(Sample, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_missing = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pedigree", "member_id"], name="one_member_id_per_pedigree")
        ]
        ordering = ["pedigree", "position"]

    def __str__(self) -> str:
        return self.member_id


class ProfileRevision(models.Model):
    """A sample's earlier profile, kept when a re-analysis replaced it (``store_lab_profiles`` with
    ``reanalysis``): the screening results and decisions made on it can still be traced to the data they
    rest on. Append-only by use: nothing updates or deletes a revision."""

    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="profile_revisions")
    profile = EncryptedTextField("earlier genotype profile (JSON)")
    status = models.CharField(max_length=20)
    replaced_at = models.DateTimeField(default=timezone.now)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(max_length=200, blank=True)
    file = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["sample", "replaced_at"]

    def __str__(self) -> str:
        return f"{self.sample} profile replaced {self.replaced_at:%Y-%m-%d}"


class LabUpload(models.Model):
    """A large genotype file from the lab console, stored for the worker (a web request would run past
    the server's timeout): ``store_lab_profiles`` runs on it in the background, all or nothing, and the
    outcome is kept for the lab to read. The file itself (encrypted at rest) is emptied once read."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        REFUSED = "refused", "refused"
        FAILED = "failed", "failed"

    labs = models.ManyToManyField(Organisation, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(max_length=200)
    content = EncryptedTextField(blank=True)
    size = models.PositiveBigIntegerField(default=0)
    reanalysis = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stored = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    markers = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    run = models.ForeignKey(ScreeningRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"lab upload {self.pk} {self.filename} ({self.status})"
