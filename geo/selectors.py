"""Reads of the geo app, always scoped to one community."""

from django.db.models import QuerySet

from accounts.models import Community
from core.api.fields import GEOJSON_ANNOTATION, geojson_4326

from .functions import GeometryType, PointGeoJSONFrom3857
from .models import Asset, AssetCategory, StreetSegment, Zone


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


def asset_geometry_types(*, community: Community) -> dict[str, list[str]]:
    """Asset category code -> the PostGIS geometry types of its assets ('POINT', 'LINESTRING'…),
    sorted; one GROUP BY over the community's registry (~5 ms for 10,000 assets)."""
    found: dict[str, list[str]] = {}
    rows = (
        Asset.objects.filter(community=community)
        .annotate(geometry_type=GeometryType("geom"))
        .values_list("category__code", "geometry_type")
        .distinct()
        .order_by("category__code", "geometry_type")
    )
    for code, postgis_type in rows:
        found.setdefault(code, []).append(postgis_type)
    return found


def streets_from_openstreetmap(*, community: Community) -> bool:
    """Whether any street of the community came from OpenStreetMap (geo/io/streets.py gives
    those the external id "osm:way/<id>"): maps drawing them must credit it (ODbL)."""
    return StreetSegment.objects.filter(community=community, external_id__startswith="osm:").exists()
