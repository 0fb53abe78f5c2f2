from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.contrib.postgres.indexes import GistIndex
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, Team
from geo.models import AddressField, Asset, Support

from .categories import Category
from .reports import Report
from .softdelete import LiveManager, deleted_at_field, deleted_by_field


class InterventionStatus(models.TextChoices):
    TODO = "todo", _("To do")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_DONE = "not_done", _("Not done")


class Method(models.TextChoices):
    HYDRO = "hydro", _("Hydro-blasting (hydrogommage)")
    WASHING = "washing", _("Washing")
    PAINTING = "painting", _("Painting over")
    OTHER = "other", _("Other")


class NotDoneReason(models.TextChoices):
    INACCESSIBLE = "inaccessible", _("Inaccessible")
    ALREADY_CLEAN = "already_clean", _("Already clean")
    CONTRACTOR = "contractor", _("Needs a contractor")
    UNSAFE = "unsafe", _("Unsafe")
    OTHER = "other", _("Other")


class Intervention(models.Model):
    """One piece of work at one place (a tag removed, a bench repaired)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="interventions")
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="interventions"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=InterventionStatus.choices, default=InterventionStatus.TODO
    )
    not_done_reason = models.CharField(
        _("reason not done"), max_length=16, choices=NotDoneReason.choices, blank=True, default=""
    )
    report = models.ForeignKey(
        Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="interventions"
    )
    # The site: for tags, the surface asset where they recur.
    asset = models.ForeignKey(
        Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="interventions"
    )
    mission = models.ForeignKey(
        "interventions.Mission",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interventions",
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="interventions"
    )
    agents = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="interventions")
    # The agents' ids, sorted, also kept on the row by PostgreSQL (column agent_ids, not a model
    # field: interventions/sql/agent_ids_triggers.sql); the API's list reads them from there.
    many_ids_columns = {"agents": "agent_ids"}
    support = models.CharField(_("support"), max_length=16, choices=Support.choices, blank=True, default="")
    # Nearest BAN address or street, filled by PostgreSQL on write (geo_fill_address trigger).
    address = AddressField()
    surface_m2 = models.DecimalField(_("surface (m²)"), max_digits=8, decimal_places=2, null=True, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices, blank=True, default="")
    product = models.CharField(_("product"), max_length=120, blank=True, default="")
    offensive = models.BooleanField(_("offensive content"), default=False)
    priority = models.PositiveSmallIntegerField(_("priority"), default=2)  # 1 urgent … 3 low
    notes = models.TextField(_("notes"), blank=True, default="")
    planned_date = models.DateField(_("planned date"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, default="")
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)
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
    # Soft delete (interventions/models/softdelete.py): hidden everywhere, restorable by an admin.
    deleted_at = deleted_at_field()
    deleted_by = deleted_by_field()

    objects = LiveManager()
    all_objects = models.Manager()

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["-created_at"]
        indexes = [
            GistIndex(name="intervention_geom_gist", fields=["geom"]),
            GistIndex(name="intervention_geom_3857_gist", fields=["geom_3857"]),
            models.Index(fields=["community", "status", "planned_date"], name="intervention_comm_status"),
            models.Index(fields=["community", "ended_at"], name="intervention_comm_ended"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InterventionStatus.values), name="intervention_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(ended_at__gte=F("started_at")),
                name="intervention_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(surface_m2__isnull=True) | Q(surface_m2__gt=0),
                name="intervention_surface_positive",
            ),
            models.CheckConstraint(
                condition=Q(method__in=[*Method.values, ""]), name="intervention_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(support__in=[*Support.values, ""]), name="intervention_support_valid"
            ),
            models.CheckConstraint(
                condition=Q(not_done_reason__in=[*NotDoneReason.values, ""]),
                name="intervention_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=3), name="intervention_priority_range"
            ),
            models.UniqueConstraint(
                fields=["community", "external_id"],
                condition=~Q(external_id=""),
                name="intervention_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} #{self.pk}"
