from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Transform
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community

from .addresses import AddressField


class AssetKind(models.TextChoices):
    FURNITURE = "furniture", _("Street furniture")
    GREEN = "green", _("Green space")
    SURFACE = "surface", _("Surface (wall, door, shutter)")
    OTHER = "other", _("Other")


class Support(models.TextChoices):
    """What a tag is painted on (the paper sheets' « support »)."""

    WALL = "wall", _("Wall")
    DOOR = "door", _("Door")
    SHUTTER = "shutter", _("Shutter")
    FURNITURE = "furniture", _("Street furniture")
    GROUND = "ground", _("Ground")
    OTHER = "other", _("Other")


class AssetCategory(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="asset_categories")
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=AssetKind.choices, default=AssetKind.OTHER)
    # An inactive category keeps its assets but takes no new ones (forms, imports, the API).
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("asset category")
        verbose_name_plural = _("asset categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="asset_category_code_unique"),
            models.CheckConstraint(condition=Q(kind__in=AssetKind.values), name="asset_category_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Asset(models.Model):
    """An item of the registry (patrimoine): a bench, a park, a wall where tags recur."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="assets")
    category = models.ForeignKey(
        AssetCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="assets"
    )
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    external_id = models.CharField(_("external id"), max_length=100, blank=True, default="")
    support = models.CharField(_("support"), max_length=16, choices=Support.choices, blank=True, default="")
    # Nearest BAN address or street, filled by PostgreSQL on write (geo_fill_address trigger).
    address = AddressField()
    # Free attributes from the source registry (material, install date, …).
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # Point, line or polygon, storage SRID.
    geom = models.GeometryField(_("geometry"), srid=settings.RONDE_SRID, spatial_index=False)
    # Web Mercator copy for vector tiles, kept in sync by PostgreSQL (a per-row
    # ST_Transform costs 30–50 % of tile time).
    geom_3857 = models.GeneratedField(
        expression=Transform("geom", 3857),
        output_field=models.GeometryField(srid=3857),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [
            GistIndex(name="asset_geom_gist", fields=["geom"]),
            GistIndex(name="asset_geom_3857_gist", fields=["geom_3857"]),
            models.Index(fields=["community", "category"], name="asset_community_category"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "external_id"],
                condition=~Q(external_id=""),
                name="asset_external_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(support__in=[*Support.values, ""]), name="asset_support_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.category} #{self.pk}"
