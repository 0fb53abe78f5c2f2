"""Web imports: upload → preview → confirm → a background job that reports its progress."""

import re
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django_tasks import task

from accounts.models import Community, User
from core.progress import ProgressWriter
from geo.io.errors import ImportReport, without_paths
from geo.io.preview import import_preview
from geo.models import ImportJob, ImportStatus
from geo.services.imports import geodata_import

UPLOAD_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".csv", ".txt", ".kml", ".xlsx", ".ods")


class UploadError(ValueError):
    """The upload is refused before anything is stored (wrong type, too big)."""


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "upload"
    return stem[:120]


def import_job_create(*, community: Community, user: User, upload: UploadedFile, into: str) -> ImportJob:
    """Store the uploaded file under MEDIA_ROOT/imports/<community>/<uuid>/ and open a job."""
    name = upload.name or "upload"
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise UploadError(f"{name}: unsupported file type (expected {', '.join(UPLOAD_SUFFIXES)})")
    limit = settings.RONDE_IMPORT_MAX_UPLOAD_MB * 1024 * 1024
    if upload.size is not None and upload.size > limit:
        raise UploadError(f"{name}: larger than {settings.RONDE_IMPORT_MAX_UPLOAD_MB} MB")
    folder = Path(settings.MEDIA_ROOT) / "imports" / str(community.pk) / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _safe_name(name)
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return ImportJob.objects.create(
        community=community, created_by=user, file_path=str(path), original_name=name[:255], into=into
    )


def import_job_confirm(*, job: ImportJob, options: dict[str, Any]) -> ImportJob:
    """Save the chosen options and queue the import (django-tasks, run by `db_worker`)."""
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.FAILED):
        return job
    # The worker writes the report's problems in the language of whoever confirmed the import.
    job.options = {**options, "language": translation.get_language() or settings.LANGUAGE_CODE}
    job.status = ImportStatus.QUEUED
    job.progress_done = 0
    job.report = {}
    job.save(update_fields=["options", "status", "progress_done", "report", "updated_at"])
    result = run_import_job.enqueue(job.pk)
    # The immediate backend (tests) has already run the job: do not overwrite its outcome.
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


# Up to this many features the preview runs the whole import as a dry run (same reader, same
# checks, rolled back): it counts the features outside the territory and lists the category
# values before anything is written. Bigger layers get that count from the import itself.
PREVIEW_DRY_RUN_MAX = 50_000  # ~1 s per 10,000 points measured: a few seconds at most


def import_job_preview(*, job: ImportJob, options: dict[str, Any]) -> dict[str, Any]:
    """The preview of `job` with `options`; `check` is the dry run's report (or None). A file
    that cannot be read marks the job failed with the reason (the list shows it)."""
    preview = import_preview(job.file_path, into=job.into, community_id=job.community_id, options=options)
    preview["check"] = None
    if preview["error"]:
        import_job_fail(job=job, reason=f"{preview['file']}: {preview['error']}")
        return preview
    if job.status == ImportStatus.FAILED and job.finished_at is None:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.UPLOADED, report={})
        job.refresh_from_db()
    if preview["total"] <= PREVIEW_DRY_RUN_MAX:
        preview["check"] = _dry_run(job, options, layer=preview["layer"], srid=preview.get("srid"))
    return preview


def _dry_run(job: ImportJob, options: dict[str, Any], *, layer: str, srid: int | None) -> ImportReport:
    return geodata_import(
        community=job.community,
        path=job.file_path,
        into=job.into,
        layer=layer or None,
        category=options.get("category") or None,
        mapping=options.get("mapping") or {},
        external_id=options.get("external_id") or None,
        srid=srid,
        dry_run=True,
        create_categories=True,
        category_map=options.get("category_map") or {},
    )


def import_job_fail(*, job: ImportJob, reason: str) -> ImportJob:
    """Mark a job that cannot go on (unreadable upload) failed, with its reason."""
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DONE):
        return job
    job.status = ImportStatus.FAILED
    job.report = {"ok": False, "lines": [without_paths(reason)], "problems": []}
    job.save(update_fields=["status", "report", "updated_at"])
    return job


class ImportProgress:
    """Features done / total of an import, written on the side (core.progress)."""

    def __init__(self, job_id: int) -> None:
        self.writer = ProgressWriter(table="geo_importjob", job_id=job_id)

    def __call__(self, done: int, total: int) -> None:
        self.writer.write(force=done >= total, progress_done=done, progress_total=total)

    def close(self) -> None:
        self.writer.close()


@task()
def run_import_job(job_id: int) -> str:
    """The background side of a web import; returns the final status."""
    job = ImportJob.objects.select_related("community").get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, updated_at=timezone.now())
    options = job.options or {}
    writer = ImportProgress(job.pk)
    try:
        with translation.override(options.get("language") or settings.LANGUAGE_CODE):
            report = geodata_import(
                community=job.community,
                path=job.file_path,
                into=job.into,
                layer=options.get("layer") or None,
                category=options.get("category") or None,
                mapping=options.get("mapping") or {},
                external_id=options.get("external_id") or None,
                srid=options.get("srid") or None,
                progress=writer,
                # The web mapping step: values mapped to a code, the others get a new category.
                create_categories=True,
                category_map=options.get("category_map") or {},
            )
        data = report.as_dict()
        status = ImportStatus.DONE if report.ok else ImportStatus.FAILED
    except Exception as exc:  # the job must end in a state the page can show
        data = {"ok": False, "lines": [f"{job.original_name}: unexpected error ({without_paths(str(exc))})"]}
        status = ImportStatus.FAILED
    finally:
        writer.close()
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(
            status=status,
            report=data,
            progress_done=data.get("total", 0),
            progress_total=data.get("total", 0),
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    return str(status)
