"""Reads of the geo app, always scoped to one community."""

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import QuerySet

from accounts.models import Community

from .functions import PointGeoJSONFrom3857
from .models import Asset, AssetCategory, Zone

# Decimal places of API coordinates in degrees: 7 ≈ 1 cm, finer than any GPS.
API_PRECISION = 7
# Name of the annotation holding a row's geometry as GeoJSON text in EPSG:4326.
GEOJSON_ANNOTATION = "geom_geojson"


def geojson_4326(field: str = "geom") -> AsGeoJSON:
    """SQL rendering `field` as GeoJSON text in EPSG:4326 (every API read goes through it)."""
    return AsGeoJSON(Transform(field, settings.RONDE_API_SRID), precision=API_PRECISION)


def point_geojson_4326(field: str = "geom_3857") -> PointGeoJSONFrom3857:
    """The same for point layers with a stored Web Mercator copy: no PROJ call per row."""
    return PointGeoJSONFrom3857(field)


def zones_for_community(*, community: Community) -> QuerySet[Zone]:
    return (
        Zone.objects.filter(community=community)
        .annotate(**{GEOJSON_ANNOTATION: geojson_4326()})
        .order_by("name", "id")
    )


def assets_for_community(*, community: Community) -> QuerySet[Asset]:
    return (
        Asset.objects.filter(community=community)
        .select_related("category")
        .annotate(**{GEOJSON_ANNOTATION: geojson_4326()})
        .order_by("id")
    )


def asset_categories_for_community(*, community: Community) -> QuerySet[AssetCategory]:
    return AssetCategory.objects.filter(community=community).order_by("name", "id")
