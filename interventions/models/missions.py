from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, Team


class MissionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Mission(models.Model):
    """A tournée: a team's planned round for one date inside a zone."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="missions")
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    date = models.DateField(_("date"))
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="missions")
    status = models.CharField(
        _("status"), max_length=16, choices=MissionStatus.choices, default=MissionStatus.DRAFT
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    zone = models.PolygonField(_("zone"), srid=settings.RONDE_SRID)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["-date", "-created_at"]
        indexes = [
            GistIndex(name="mission_zone_gist", fields=["zone"]),
            models.Index(fields=["community", "date"], name="mission_community_date"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=MissionStatus.values), name="mission_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.team} {self.date}"
