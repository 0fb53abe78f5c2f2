"""The published collections, declared as data (like tiles/layers.py): id, source rows, properties, time.

Every collection holds one geometry type: GDAL types a layer from its first features, so a
layer mixing points and polygons makes `ogr2ogr` write a non-conformant GeoPackage.
Assets are offered twice: `assets-points`, `assets-lines`, `assets-polygons` (every category,
with a `category` property: the whole registry, what an export or a join wants) and one
`assets-<category code>` per asset category (what a GIS user loads: a homogeneous layer per
kind of furniture, with its own extent and count). A category whose rows mix geometry types
(data from before the import refused it) is split the same way: `assets-<code>-points`…
Multi-geometries get their own collections (`assets-multipolygons`) when there are any.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db.models import F, Model, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import Community
from geo.functions import GeometryType
from geo.models import Asset, AssetCategory, Zone
from geo.selectors import asset_geometry_types
from interventions.models import Intervention, Report


@dataclass(frozen=True)
class Collection:
    id: str
    title: Any  # str or lazy translation
    description: str
    # Rows of one community, with every join the properties need.
    rows: Callable[[Community], QuerySet[Any]]
    # Output property name -> ORM path (read with .values()).
    properties: dict[str, str]
    # ORM path of the instant that `datetime` filters on, or None (datetime is then ignored).
    temporal: str | None = None
    # The id a community lists in settings["publish_ogc"] to open it to anonymous callers.
    publish_id: str = ""
    # The one geometry type of every feature ("Point", "LineString", "Polygon", "MultiPolygon"),
    # which WFS declares and GDAL types its layer with; None: mixed.
    geometry_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# PostGIS GeometryType() -> (collection id suffix, GeoJSON/OGC geometry type).
GEOMETRY_SUFFIX = {
    "POINT": ("points", "Point"),
    "LINESTRING": ("lines", "LineString"),
    "POLYGON": ("polygons", "Polygon"),
    "MULTIPOINT": ("multipoints", "MultiPoint"),
    "MULTILINESTRING": ("multilines", "MultiLineString"),
    "MULTIPOLYGON": ("multipolygons", "MultiPolygon"),
}
ASSET_TYPE_TITLES = {
    "POINT": _("Assets – points"),
    "LINESTRING": _("Assets – lines"),
    "POLYGON": _("Assets – polygons"),
    "MULTIPOINT": _("Assets – multipoints"),
    "MULTILINESTRING": _("Assets – multilines"),
    "MULTIPOLYGON": _("Assets – multipolygons"),
}
# Offered whether or not the registry holds any: stable ids for the layers GIS users expect.
BASIC_TYPES = ("POINT", "LINESTRING", "POLYGON")


def _assets(
    community: Community, category_code: str | None = None, postgis_type: str | None = None
) -> QuerySet[Asset]:
    qs = Asset.objects.filter(community=community).select_related("category")
    if category_code:
        qs = qs.filter(category__code=category_code)
    if postgis_type:
        qs = qs.alias(geometry_type=GeometryType("geom")).filter(geometry_type=postgis_type)
    return qs


ASSET_PROPERTIES = {
    "name": "name",
    "category": "category__code",
    "category_name": "category__name",
    "kind": "category__kind",
    "support": "support",
    "external_id": "external_id",
    "attributes": "attributes",
    "updated_at": "updated_at",
}

STATIC_COLLECTIONS = [
    Collection(
        id="zones",
        title=_("Zones"),
        description="Districts and sectors of the territory.",
        rows=lambda c: Zone.objects.filter(community=c),
        properties={"name": "name", "kind": "kind", "external_id": "external_id", "updated_at": "updated_at"},
        publish_id="zones",
        geometry_type="MultiPolygon",
    ),
    Collection(
        id="reports",
        title=_("Reports"),
        description="Reports (signalements): something to fix at a place.",
        rows=lambda c: Report.objects.filter(community=c).select_related("category"),
        properties={
            "category": "category__code",
            "category_name": "category__name",
            "status": "status",
            "source": "source",
            "description": "description",
            "address": "address",
            "support": "support",
            "offensive": "offensive",
            "priority": "priority",
            "reported_at": "reported_at",
        },
        temporal="reported_at",
        publish_id="reports",
        geometry_type="Point",
    ),
    Collection(
        id="interventions",
        title=_("Interventions"),
        description="Work done or planned at one place (a tag removed, a bench repaired).",
        # The instant of an intervention: when it ended, else when it was recorded.
        rows=lambda c: (
            Intervention.objects.filter(community=c)
            .select_related("category", "team")
            .annotate(when=Coalesce(F("ended_at"), F("created_at")))
        ),
        properties={
            "category": "category__code",
            "category_name": "category__name",
            "status": "status",
            "support": "support",
            "surface_m2": "surface_m2",
            "method": "method",
            "priority": "priority",
            "team": "team__name",
            "report_id": "report_id",
            "asset_id": "asset_id",
            "planned_date": "planned_date",
            "started_at": "started_at",
            "ended_at": "ended_at",
        },
        temporal="when",
        publish_id="interventions",
        geometry_type="Point",
    ),
]


def _asset_type_collection(postgis_type: str) -> Collection:
    suffix, geometry_type = GEOMETRY_SUFFIX[postgis_type]
    return Collection(
        id=f"assets-{suffix}",
        title=ASSET_TYPE_TITLES[postgis_type],
        description=f"The asset registry, every category: its {geometry_type} features.",
        rows=lambda c: _assets(c, postgis_type=postgis_type),
        properties=ASSET_PROPERTIES,
        publish_id="assets",
        geometry_type=geometry_type,
    )


def _asset_category_collections(category: AssetCategory, postgis_types: list[str]) -> list[Collection]:
    """`assets-<code>`, typed by its rows' one geometry type; split by type when they mix."""
    code = category.code
    description = f"Assets of the category “{category.name}” ({category.get_kind_display()})."
    if len(postgis_types) <= 1:
        only = postgis_types[0] if postgis_types else None
        return [
            Collection(
                id=f"assets-{code}",
                title=category.name,
                description=description,
                rows=lambda c: _assets(c, code),
                properties=ASSET_PROPERTIES,
                publish_id="assets",
                geometry_type=GEOMETRY_SUFFIX[only][1] if only in GEOMETRY_SUFFIX else None,
            )
        ]
    out = []
    for postgis_type in postgis_types:
        suffix, geometry_type = GEOMETRY_SUFFIX.get(postgis_type, (postgis_type.lower(), None))
        out.append(
            Collection(
                id=f"assets-{code}-{suffix}",
                title=f"{category.name} ({suffix})",
                description=f"{description} Its {geometry_type or postgis_type} features.",
                rows=partial(_assets, category_code=code, postgis_type=postgis_type),
                properties=ASSET_PROPERTIES,
                publish_id="assets",
                geometry_type=geometry_type,
            )
        )
    return out


def collections_for(community: Community) -> list[Collection]:
    """Every collection the community has (before any access check)."""
    types = asset_geometry_types(community=community)
    present = {t for ts in types.values() for t in ts}
    by_type = [_asset_type_collection(t) for t in GEOMETRY_SUFFIX if t in BASIC_TYPES or t in present]
    categories = AssetCategory.objects.filter(community=community).order_by("code")
    per_category = [
        c
        for category in categories
        for c in _asset_category_collections(category, types.get(category.code, []))
    ]
    return [*STATIC_COLLECTIONS[:1], *by_type, *STATIC_COLLECTIONS[1:], *per_category]


def published_ids(community: Community) -> set[str] | None:
    """What anonymous callers may read: None for everything, else a set of publish ids.

    community.settings["publish_ogc"]: true (everything), or a list such as
    ["zones", "assets"]; missing or false publishes nothing (the default).
    """
    value = community.settings.get("publish_ogc", False)
    if value is True:
        return None
    if isinstance(value, list):
        return {str(v) for v in value}
    return set()


def is_published(community: Community) -> bool:
    published = published_ids(community)
    return published is None or bool(published)


def visible_collections(community: Community, *, member: bool) -> list[Collection]:
    collections = collections_for(community)
    if member:
        return collections
    published = published_ids(community)
    if published is None:
        return collections
    return [c for c in collections if c.publish_id in published]


def model_of(collection: Collection, community: Community) -> type[Model]:
    return collection.rows(community).model
