"""The published collections, declared (CONVENTIONS §14): id, source rows, properties, time.

Assets are offered twice: one `assets` collection with a `category` property (one layer for
the whole registry, what an export or a join wants) and one `assets-<category code>` per
asset category (what a GIS user loads: a homogeneous layer per kind of furniture, the way
QGIS and GDAL list an OGC API, with its own extent and count). Both read the same rows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Model, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import Community
from geo.models import Asset, AssetCategory, Zone
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


def _assets(community: Community, category_code: str | None = None) -> QuerySet[Asset]:
    qs = Asset.objects.filter(community=community).select_related("category")
    return qs.filter(category__code=category_code) if category_code else qs


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
        id="assets",
        title=_("Assets"),
        description="The asset registry (street furniture, green spaces, surfaces), every category.",
        rows=lambda c: _assets(c),
        properties=ASSET_PROPERTIES,
        publish_id="assets",
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


def _asset_category_collection(category: AssetCategory) -> Collection:
    code = category.code
    return Collection(
        id=f"assets-{code}",
        title=category.name,
        description=f"Assets of the category “{category.name}” ({category.get_kind_display()}).",
        rows=lambda c: _assets(c, code),
        properties=ASSET_PROPERTIES,
        publish_id="assets",
    )


def collections_for(community: Community) -> list[Collection]:
    """Every collection the community has (before any access check)."""
    categories = AssetCategory.objects.filter(community=community).order_by("code")
    return [*STATIC_COLLECTIONS, *(_asset_category_collection(c) for c in categories)]


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
