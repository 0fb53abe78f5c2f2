"""Reads of the geo app, always scoped to one community."""

from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import QuerySet

from accounts.models import Community
from core.api.fields import GEOJSON_ANNOTATION, geojson_4326
from core.sql import run_sql, sql_path

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


# Metres of streets kept around a mission zone: the agent may start from outside it.
WALK_MARGIN_M = 400.0
# A cap on what is shipped to a phone (~60 bytes a segment): a larger zone gets a partial
# network and the app falls back to straight lines where it finds no path.
WALK_MAX_EDGES = 30_000


def walking_network(
    *, community: Community, zone: GEOSGeometry, margin_m: float = WALK_MARGIN_M
) -> dict[str, Any]:
    """The pedestrian street network around `zone` (RONDE_SRID) for offline routing on a phone.

    {"edges": [[length_m, [[lon, lat], ...]], ...], "truncated": bool}; the app joins
    segments where their end coordinates meet (segments are split at intersections).
    """
    rows = run_sql(
        sql_path(__file__, "walking_network.sql"),
        {
            "community_id": community.pk,
            "zone": zone.ewkt,
            "margin_m": margin_m,
            "max_edges": WALK_MAX_EDGES,
        },
    )
    edges = [[length, coords] for length, coords in rows]
    return {"edges": edges, "truncated": len(edges) >= WALK_MAX_EDGES}
