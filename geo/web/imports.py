"""Pages of the web import (community admins only): upload, preview, progress."""

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Membership, Role
from accounts.selectors import NoCommunity, membership_get_for_user
from core.params import ParamError
from core.progress import worker_stalled
from core.spreadsheet import csv_writer
from geo.io.export_queries import export_spec
from geo.io.mapping import target_spec
from geo.models import ImportJob, ImportStatus, ImportTarget
from geo.services.import_jobs import (
    UPLOAD_SUFFIXES,
    UploadError,
    import_job_confirm,
    import_job_create,
    import_job_preview,
)

# The CRS selector's usual French choices (any other EPSG code can be typed).
CRS_CHOICES = [
    (2154, "EPSG:2154 · Lambert-93"),
    (4326, "EPSG:4326 · WGS 84 (lon/lat)"),
    (3857, "EPSG:3857 · Web Mercator"),
    (27572, "EPSG:27572 · Lambert II étendu"),
    *((code, f"EPSG:{code} · Lambert CC{code - 3900}") for code in range(3942, 3951)),
]
SHOWN_PROBLEMS = 50  # on the job page; the CSV report has every one
SEVERITY_ORDER = {"error": 0, "skipped": 1, "note": 2}


def admin_membership(request: HttpRequest) -> Membership:
    """The caller's membership if they administer the community, else 403."""
    try:
        membership = membership_get_for_user(
            user=request.user,  # type: ignore[arg-type]
            community_slug=request.GET.get("community"),
        )
    except NoCommunity as exc:
        raise PermissionDenied("not a member of this community") from exc
    if membership.role != Role.ADMIN:
        raise PermissionDenied("only community administrators import data")
    return membership


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("GeoJSON, GeoPackage, zipped Shapefile, CSV or KML."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(UPLOAD_SUFFIXES)}),
    )
    into = forms.ChoiceField(label=_("Import into"), choices=ImportTarget.choices)


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    membership = admin_membership(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                community=membership.community,
                user=request.user,  # type: ignore[arg-type]
                upload=form.cleaned_data["file"],
                into=form.cleaned_data["into"],
            )
        except UploadError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("geodata:import-preview", job_id=job.pk)
    jobs = ImportJob.objects.filter(community=membership.community).select_related("created_by")[:20]
    return render(
        request, "geo/import_list.html", {"form": form, "jobs": jobs}, status=400 if form.errors else 200
    )


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    membership = admin_membership(request)
    return get_object_or_404(ImportJob, pk=job_id, community=membership.community)


def _options(data: Any, preview_fields: list[str]) -> dict[str, Any]:
    mapping = {f: data.get(f"map_{f}") for f in preview_fields if data.get(f"map_{f}")}
    srid = (data.get("srid") or "").strip()
    return {
        "layer": data.get("layer") or "",
        "category": data.get("category") or "",
        "external_id": data.get("external_id") or "",
        "srid": int(srid) if srid.isascii() and srid.isdigit() else None,
        "mapping": mapping,
        "category_map": _category_map(data),
    }


def _category_map(data: Any) -> dict[str, str]:
    """{value (lower-cased): code} from the mapping step's rows (catval_N = a value of the
    category column, catmap_N = the chosen code; empty = a new category for that value)."""
    out = {}
    n = 0
    while (value := data.get(f"catval_{n}")) is not None:
        if code := (data.get(f"catmap_{n}") or "").strip():
            out[value.strip().lower()] = code
        n += 1
    return out


def _field_labels(into: str, fields: list[str]) -> list[tuple[str, str]]:
    """(field, its label in the user's language): the model's verbose name, not "surface_m2"."""
    try:
        model = export_spec(into).model
    except ParamError:
        model = None
    out = []
    for name in fields:
        try:
            found = model._meta.get_field(name) if model is not None else None
            label = str(getattr(found, "verbose_name", "") or name)
        except FieldDoesNotExist:
            label = name
        out.append((name, capfirst(label)))
    return out


@login_required
@require_http_methods(["GET", "POST"])
def import_preview_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.FAILED):
        return redirect("geodata:import-job", job_id=job.pk)
    data = request.POST if request.method == "POST" else request.GET
    fields = [f.name for f in target_spec(job.into).fields] + ["category"]
    # The preview form re-posts itself (step=preview) when the admin changes the layer or mapping.
    options = _options(data, fields) if data.get("step") else dict(job.options or {})
    preview = import_job_preview(job=job, options=options)
    if request.method == "POST" and data.get("confirm") and not preview["error"]:
        options["layer"] = preview["layer"]
        options["srid"] = preview.get("srid")
        import_job_confirm(job=job, options=options)
        return redirect("geodata:import-job", job_id=job.pk)
    context = {
        "job": job,
        "preview": preview,
        "options": options,
        "check": preview["check"],
        "category_rows": _category_rows(preview, options),
        "crs_choices": CRS_CHOICES,
        "field_labels": _field_labels(job.into, preview.get("fields") or []),
    }
    return render(request, "geo/import_preview.html", context, status=400 if preview["error"] else 200)


@login_required
@require_GET
def import_job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    finished = job.finished_at is not None or job.status == ImportStatus.FAILED
    problems = (job.report or {}).get("problems") or []
    context = {
        "job": job,
        "finished": finished,
        "stalled": _stalled(job),
        # Errors first, then skipped, then repaired; the CSV has them all.
        "problems": sorted(problems, key=lambda p: SEVERITY_ORDER.get(p.get("severity"), 3))[:SHOWN_PROBLEMS],
        "more_problems": max(len(problems) - SHOWN_PROBLEMS, 0),
    }
    return render(request, "geo/import_job.html", context)


def _stalled(job: ImportJob) -> bool:
    """Queued for over RONDE_WORKER_STALLED_S: no `db_worker` has picked it up."""
    return job.status == ImportStatus.QUEUED and worker_stalled(queued_since=job.updated_at)


@login_required
@require_GET
def import_status(request: HttpRequest, job_id: int) -> JsonResponse:
    """Polled by the progress page: status, features done / total, report lines when finished."""
    job = _job(request, job_id)
    report = job.report or {}
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_label": str(job.get_status_display()),
            "done": job.progress_done,
            "total": job.progress_total,
            "finished": job.finished_at is not None,
            "stalled": _stalled(job),
            "ok": report.get("ok"),
            "created": report.get("created", 0),
            "updated": report.get("updated", 0),
            "skipped": report.get("skipped", 0),
            "lines": report.get("lines", []),
        }
    )


def _category_rows(preview: dict[str, Any], options: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per distinct value of the category column: its count and the chosen code
    (the user's choice, else the category whose code or name it matches, else "" = new)."""
    check = preview.get("check")
    if check is None or not check.category_values:
        return []
    by_key = {}
    for code, name in preview.get("categories") or []:
        by_key[str(name).lower()] = code
        by_key[code.lower()] = code
    chosen = options.get("category_map") or {}
    return [
        {"value": value, "count": count, "code": chosen.get(value.lower()) or by_key.get(value.lower(), "")}
        for value, count in check.category_values.items()
    ]


@login_required
@require_GET
def import_report_csv(request: HttpRequest, job_id: int) -> HttpResponse:
    """Every problem of a finished import (errors, skipped and repaired features) as CSV."""
    job = _job(request, job_id)
    report = job.report or {}
    severity = {
        "error": gettext_now("error"),
        "skipped": gettext_now("skipped"),
        "note": gettext_now("repaired"),
    }
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    response.write("\ufeff")  # a BOM: Excel then reads the accents as UTF-8
    writer = csv_writer(response, delimiter=";")
    writer.writerow(
        [gettext_now("severity"), gettext_now("feature"), gettext_now("id"), gettext_now("problem")]
    )
    problems = report.get("problems") or []
    for p in problems:
        index = p.get("index")
        writer.writerow(
            [
                severity.get(p.get("severity"), p.get("severity")),
                "" if index is None else index,
                p.get("feature_id") or "",
                p.get("shown") or p.get("problem"),
            ]
        )
    if not problems:  # a file refused as a whole (before any feature was read)
        for line in report.get("lines") or []:
            writer.writerow([severity["error"], "", "", line])
    return response
