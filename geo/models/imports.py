from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community


class ImportTarget(models.TextChoices):
    ASSETS = "assets", _("Assets")
    ZONES = "zones", _("Zones")
    REPORTS = "reports", _("Reports")
    INTERVENTIONS = "interventions", _("Interventions")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded, waiting for confirmation")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One web upload of a geodata file: preview, then a background import with progress."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Absolute path of the uploaded file on the server (under MEDIA_ROOT/imports/).
    file_path = models.CharField(_("file"), max_length=500)
    original_name = models.CharField(_("file name"), max_length=255)
    into = models.CharField(_("import into"), max_length=16, choices=ImportTarget.choices)
    # layer, category, mapping {field: column}, external_id, srid: as for import_geodata.
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    # Features handled so far / in the file; updated by the worker on its own connection.
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["community", "created_at"], name="importjob_community_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="importjob_status_valid"
            ),
            models.CheckConstraint(condition=Q(into__in=ImportTarget.values), name="importjob_into_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.into} ({self.status})"
