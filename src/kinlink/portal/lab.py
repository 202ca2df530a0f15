"""The lab console: samples by barcode only. No names, no case numbers, no relatives' contact details."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kinlink.identification.actions import (
    SampleError,
    queue_lab_upload,
    register_reference_samples,
    register_sample,
    store_lab_profiles,
)
from kinlink.identification.models import LabUpload
from kinlink.identification.relationships import RELATIONSHIP_LABELS, accepted_relationships
from kinlink.portal import fragments, pagecache
from kinlink.portal.forms import CSVUploadForm, PedigreeUploadForm, ProfileUploadForm, SampleForm
from kinlink.portal.roles import lab_required, labs_of
from kinlink.registry.models import Sample
from kinlink.registry.services import audit
from kinlink.registry.services.bulk import ImportRefused

MAX_CSV_BYTES = 20 * 1024 * 1024
#: Samples per page of the lab's list.
SAMPLE_PAGE_SIZE = 50


def _lab_page(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    labs = labs_of(request.user)
    samples = Sample.objects.filter(lab__in=labs)
    # a page of the newest samples; the profile (encrypted, and never shown in the list) is not read
    shown = Paginator(samples.defer("profile").order_by("-created", "-pk"), SAMPLE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for sample in shown:
        sample.relationship_label = str(  # type: ignore[attr-defined]
            RELATIONSHIP_LABELS.get(sample.relationship, sample.relationship)
        )
    counts = fragments.cached(
        "lab-counts",
        (",".join(str(lab.pk) for lab in labs),),
        lambda: list(samples.order_by("status").values_list("status").annotate(n=Count("id"))),
    )
    context = {
        "labs": labs,
        "samples": shown,
        "counts": [{"status": Sample.Status(status).label, "n": n} for status, n in counts],
        "statuses": dict(Sample.Status.choices),
        "sample_form": extra.get("sample_form") or SampleForm(),
        "profile_form": extra.get("profile_form") or ProfileUploadForm(prefix="profiles"),
        "reference_form": extra.get("reference_form") or CSVUploadForm(prefix="references"),
        "pedigree_form": extra.get("pedigree_form") or PedigreeUploadForm(prefix="pedigrees"),
        "problems": extra.get("problems", []),
        "relationships": accepted_relationships(),
        "large_uploads": LabUpload.objects.filter(labs__in=labs).distinct().order_by("-created")[:10],
    }
    return render(request, "portal/lab/home.html", context, status=status)


@lab_required
def lab_home(request: HttpRequest) -> HttpResponse:
    # kept for its reader while nothing changed (portal.pagecache), as the case page is
    return pagecache.serve(request, "lab", lambda: _lab_page(request))


def _first_lab(request: HttpRequest) -> Any:
    labs = labs_of(request.user)
    if not labs:
        raise PermissionDenied
    return labs[0]


@require_POST
@lab_required
def lab_register_sample(request: HttpRequest) -> HttpResponse:
    form = SampleForm(request.POST)
    if form.is_valid():
        try:
            register_sample(request.user, _first_lab(request), **form.cleaned_data)
        except SampleError as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(
                request, _("Sample %(code)s was registered.") % {"code": form.cleaned_data["code"]}
            )
            return HttpResponseRedirect(reverse("portal:lab_home"))
    return _lab_page(request, status=400, sample_form=form)


def _csv_bytes(form: CSVUploadForm) -> tuple[str, bytes] | None:
    """The uploaded file's name and bytes (the action decodes them and reports a bad byte's place)."""
    upload = form.cleaned_data["csv_file"]
    if upload.size > MAX_CSV_BYTES:
        form.add_error("csv_file", _("The file is larger than 20 MB."))
        return None
    return Path(upload.name or "upload.csv").name, upload.read()


@require_POST
@lab_required
def lab_upload_profiles(request: HttpRequest) -> HttpResponse:
    form = ProfileUploadForm(request.POST, request.FILES, prefix="profiles")
    if form.is_valid() and (read := _csv_bytes(form)) is not None:
        if len(read[1]) > settings.KINLINK_LAB_BACKGROUND_BYTES:  # longer than a web request may take
            try:
                queue_lab_upload(
                    request.user, labs_of(request.user), *read, reanalysis=form.cleaned_data["reanalysis"]
                )
            except ImportRefused as exc:
                return _lab_page(
                    request, status=400, profile_form=form, problems=[str(p) for p in exc.errors]
                )
            messages.success(
                request,
                _(
                    "The file is large: it was queued and is stored in the background, all or nothing. "
                    "Its outcome is listed under “Large uploads”."
                ),
            )
            return HttpResponseRedirect(reverse("portal:lab_home"))
        try:
            result = store_lab_profiles(
                request.user, labs_of(request.user), *read, reanalysis=form.cleaned_data["reanalysis"]
            )
        except ImportRefused as exc:
            return _lab_page(request, status=400, profile_form=form, problems=[str(p) for p in exc.errors])
        messages.success(
            request,
            ngettext(
                "Profiles stored for %(stored)d sample (%(unchanged)d unchanged).",
                "Profiles stored for %(stored)d samples (%(unchanged)d unchanged).",
                len(result.stored),
            )
            % {"stored": len(result.stored), "unchanged": len(result.unchanged)},
        )
        if result.run is not None:
            messages.success(request, _("A screening against the registry's families was queued."))
        return HttpResponseRedirect(reverse("portal:lab_home"))
    return _lab_page(request, status=400, profile_form=form)


@require_POST
@lab_required
def lab_upload_references(request: HttpRequest) -> HttpResponse:
    form = CSVUploadForm(request.POST, request.FILES, prefix="references")
    if form.is_valid() and (read := _csv_bytes(form)) is not None:
        try:
            created = register_reference_samples(request.user, _first_lab(request), *read)
        except ImportRefused as exc:
            return _lab_page(request, status=400, reference_form=form, problems=[str(p) for p in exc.errors])
        messages.success(
            request,
            ngettext(
                "%(count)d reference sample was registered.",
                "%(count)d reference samples were registered.",
                len(created),
            )
            % {"count": len(created)},
        )
        return HttpResponseRedirect(reverse("portal:lab_home"))
    return _lab_page(request, status=400, reference_form=form)


@require_POST
@lab_required
def lab_upload_pedigrees(request: HttpRequest) -> HttpResponse:
    """Family pedigrees (CSV or .fam) naming the lab's own reference samples by barcode."""
    from kinlink.identification.pedigrees import import_pedigree_file

    form = PedigreeUploadForm(request.POST, request.FILES, prefix="pedigrees")
    if not form.is_valid():
        return _lab_page(request, status=400, pedigree_form=form)
    upload = form.cleaned_data["pedigree_file"]
    if upload.size > MAX_CSV_BYTES:
        form.add_error("pedigree_file", _("The file is larger than 20 MB."))
        return _lab_page(request, status=400, pedigree_form=form)
    name = Path(upload.name or "pedigree.csv").name
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("upload.fam" if name.lower().endswith(".fam") else "upload.csv")
        path.write_bytes(upload.read())
        try:
            result = import_pedigree_file(
                path,
                request=form.cleaned_data["request_number"].strip() or None,
                missing=form.cleaned_data["missing"].strip() or None,
                hypothesis=form.cleaned_data["hypothesis"].strip() or None,
                user=request.user,  # type: ignore[arg-type]
                filename=name,
                labs=labs_of(request.user),
            )
        except ImportRefused as exc:
            return _lab_page(request, status=400, pedigree_form=form, problems=[str(e) for e in exc.errors])
    messages.success(
        request,
        _("Pedigrees: %(created)d created, %(replaced)d replaced, %(unchanged)d unchanged.")
        % {
            "created": len(result.created),
            "replaced": len(result.replaced),
            "unchanged": len(result.unchanged),
        },
    )
    if result.profiles_loaded:
        messages.success(
            request,
            ngettext(
                "Genotypes from the file were stored for %(count)d reference sample.",
                "Genotypes from the file were stored for %(count)d reference samples.",
                len(result.profiles_loaded),
            )
            % {"count": len(result.profiles_loaded)},
        )
    return HttpResponseRedirect(reverse("portal:lab_home"))


@lab_required
def lab_sample(request: HttpRequest, pk: int) -> HttpResponse:
    sample = get_object_or_404(Sample.objects.filter(lab__in=labs_of(request.user)), pk=pk)
    audit.record(request.user, "view_dna", sample)
    profile: dict[str, list[str]] = json.loads(sample.profile) if sample.profile else {}
    return render(
        request,
        "portal/lab/sample.html",
        {"sample": sample, "profile": sorted(profile.items())},
    )
