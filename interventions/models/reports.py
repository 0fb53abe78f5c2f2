from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Community
from geo.models import AddressField, Asset, Support

from .categories import Category


class ReportSource(models.TextChoices):
    AGENT = "agent", _("Field agent")
    CITIZEN = "citizen", _("Citizen")
    PARTNER = "partner", _("Partner application")
    STAFF = "staff", _("Staff")


class ReportStatus(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")


class Report(models.Model):
    """A signalement: someone saw something to fix at a place."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="reports")
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.NEW
    )
    source = models.CharField(
        _("source"), max_length=16, choices=ReportSource.choices, default=ReportSource.STAFF
    )
    description = models.TextField(_("description"), blank=True, default="")
    address = AddressField()
    support = models.CharField(_("support"), max_length=16, choices=Support.choices, blank=True, default="")
    offensive = models.BooleanField(_("offensive content"), default=False)
    priority = models.PositiveSmallIntegerField(_("priority"), default=2)  # 1 urgent … 3 low
    asset = models.ForeignKey(Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, default="")
    # Idempotency key made by an offline client; a replay with the same key creates nothing.
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    geom = models.PointField(_("position"), srid=settings.RONDE_SRID, spatial_index=False)
    # Web Mercator copy for vector tiles, kept in sync by PostgreSQL (a per-row
    # ST_Transform costs 30–50 % of tile time).
    geom_3857 = models.GeneratedField(
        expression=Transform("geom", 3857),
        output_field=models.PointField(srid=3857),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-reported_at"]
        indexes = [
            GistIndex(name="report_geom_gist", fields=["geom"]),
            GistIndex(name="report_geom_3857_gist", fields=["geom_3857"]),
            models.Index(fields=["community", "status", "reported_at"], name="report_community_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_valid"),
            models.CheckConstraint(condition=Q(source__in=ReportSource.values), name="report_source_valid"),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=3), name="report_priority_range"
            ),
            models.CheckConstraint(
                condition=Q(support__in=[*Support.values, ""]), name="report_support_valid"
            ),
            models.UniqueConstraint(
                fields=["community", "external_id"],
                condition=~Q(external_id=""),
                name="report_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} #{self.pk}"
