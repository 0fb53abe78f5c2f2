from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .missions import Mission


class OptimizationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


ACTIVE_OPTIMIZATION_STATUSES = (OptimizationStatus.QUEUED, OptimizationStatus.RUNNING)


class OptimizationStage(models.TextChoices):
    """Where the round's optimisation is; `progress` (%) is the share of the usual time spent
    before the stage (measured on 300-job zones: the matrix and the solver take most of it)."""

    WAITING = "waiting", _("Waiting for the calculation server")
    NETWORK = "network", _("Preparing the street network")
    DISTANCES = "distances", _("Computing the distances")
    SOLVE = "solve", _("Optimising")
    ROUTE = "route", _("Drawing the route")
    STORE = "store", _("Saving")
    FINISHED = "finished", _("Finished")


class MissionOptimization(models.Model):
    """One request to optimise a mission's round, run by the background worker (db_worker)
    so that no web request waits for it; the dispatcher's board polls its progress."""

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="optimizations")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OptimizationStatus.choices, default=OptimizationStatus.QUEUED
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=OptimizationStage.choices, default=OptimizationStage.WAITING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    # The per-call options (fixed first stop, position, time, windows), JSON (storage SRID).
    options = models.JSONField(_("options"), default=dict, blank=True)
    # interventions.services.optimize.mission_optimize's summary, once done.
    plan = models.JSONField(_("plan"), default=dict, blank=True)
    # {field: [messages]} when it failed (e.g. the start far from every street).
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("round optimisation")
        verbose_name_plural = _("round optimisations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Two presses never run two optimisations of the same mission at once.
            models.UniqueConstraint(
                fields=["mission"],
                condition=Q(status__in=["queued", "running"]),
                name="mission_optimization_one_active",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OptimizationStatus.values), name="mission_optimization_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=OptimizationStage.values), name="mission_optimization_stage_valid"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="mission_optimization_progress_max"),
        ]

    def __str__(self) -> str:
        return f"{self.mission} ({self.status})"
