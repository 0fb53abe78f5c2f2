from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community


class ZoneKind(models.TextChoices):
    DISTRICT = "district", _("District")
    SECTOR = "sector", _("Sector")
    OTHER = "other", _("Other")


class Zone(models.Model):
    """A named area of the territory (quartier, secteur) used for filters and statistics."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ZoneKind.choices, default=ZoneKind.DISTRICT)
    external_id = models.CharField(_("external id"), max_length=100, blank=True, default="")
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    geom = models.MultiPolygonField(_("geometry"), srid=settings.RONDE_SRID, spatial_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["name"]
        indexes = [GistIndex(name="zone_geom_gist", fields=["geom"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ZoneKind.values), name="zone_kind_valid"),
            models.UniqueConstraint(
                fields=["community", "external_id"],
                condition=~Q(external_id=""),
                name="zone_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name
