from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community


class StreetKind(models.TextChoices):
    WALK = "walk", _("Pedestrians only")
    DRIVE = "drive", _("Vehicles only")
    BOTH = "both", _("Pedestrians and vehicles")


class StreetSegment(models.Model):
    """One edge of the street network, between two intersections (routing graph)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="street_segments")
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    # OSM-like class: primary, residential, footway, service… (drives the base map style).
    highway = models.CharField(_("road class"), max_length=32, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=8, choices=StreetKind.choices, default=StreetKind.BOTH)
    # One-way for vehicles in the digitised direction of geom; pedestrians ignore it.
    oneway = models.BooleanField(_("one-way"), default=False)
    length_m = models.FloatField(_("length (m)"))
    external_id = models.CharField(_("external id"), max_length=100, blank=True, default="")
    # Graph vertices, filled by the routing topology build (pgRouting), null until then.
    source = models.BigIntegerField(null=True, blank=True)
    target = models.BigIntegerField(null=True, blank=True)
    geom = models.LineStringField(_("geometry"), srid=settings.RONDE_SRID, spatial_index=False)
    # Web Mercator copy for vector tiles, kept in sync by PostgreSQL (a per-row
    # ST_Transform costs 30–50 % of tile time).
    geom_3857 = models.GeneratedField(
        expression=Transform("geom", 3857),
        output_field=models.LineStringField(srid=3857),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("street segment")
        verbose_name_plural = _("street segments")
        indexes = [
            GistIndex(name="street_segment_geom_gist", fields=["geom"]),
            GistIndex(name="street_segment_geom_3857_gist", fields=["geom_3857"]),
            models.Index(fields=["community", "source"], name="street_segment_source"),
            models.Index(fields=["community", "target"], name="street_segment_target"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=StreetKind.values), name="street_kind_valid"),
            models.CheckConstraint(condition=Q(length_m__gt=0), name="street_length_positive"),
        ]

    def __str__(self) -> str:
        return self.name or f"segment {self.pk}"
