"""The published tile layers, declared: one small class per layer (a stable id, explicit fields, zooms).

A layer names its id, the .sql files that select its rows (tiles/sql/layer_<id>.sql: one
SELECT of `id`, `geom` in EPSG:3857, `updated_at` and the declared fields, scoped by
%(community)s and bound filters, with the && index predicate on the tile envelope), its zoom
range and what happens at low zooms:

- `low_zoom = "cap"`: every zoom sends features, at most `feature_cap` per tile (stated in
  TileJSON and in the X-Tile-Capped response header when reached);
- `low_zoom = "grid"`: below `detail_zoom` the points are counted in a grid of
  `grid_cells` × `grid_cells` cells per tile, one feature per non-empty cell with `count`.

tiles/statements.py composes the declared sources into ONE SQL statement per tile.
"""

from dataclasses import dataclass
from typing import ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from interventions.models import InterventionStatus, MissionStatus, ReportStatus

ALL_ROLES = (Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.VIEWER)


@dataclass(frozen=True)
class Source:
    """One source-layer inside the MVT and the .sql file that selects its rows."""

    name: str
    sql: str
    # property name -> TileJSON type (String, Number, Boolean); `id` is the feature id.
    fields: dict[str, str]
    # False when the rows have no updated_at: the ETag then hashes the tile bytes.
    stamped: bool = True


class Layer:
    id: ClassVar[str]
    title: ClassVar[str | Promise]
    description: ClassVar[str | Promise] = ""
    sources: ClassVar[tuple[Source, ...]]
    minzoom: ClassVar[int] = 8
    maxzoom: ClassVar[int] = 20
    low_zoom: ClassVar[str] = "cap"  # "cap" or "grid"
    detail_zoom: ClassVar[int] = 0  # grid layers aggregate below this zoom
    grid_cells: ClassVar[int] = 16  # per tile side: 16 px cells on a 256 px tile
    feature_cap: ClassVar[int] = 10_000  # features per tile, every zoom
    # Whitelisted query parameters (see tiles/filters.py) and the statuses `status` accepts.
    filters: ClassVar[frozenset[str]] = frozenset()
    statuses: ClassVar[tuple[str, ...]] = ()
    read_roles: ClassVar[tuple[str, ...]] = ALL_ROLES
    # Roles that read only their own teams' rows, as the API shows them (the view adds the
    # teams to the filters, hence to the cache key; the hit shortcut leaves them to the view).
    team_scoped_roles: ClassVar[tuple[str, ...]] = ()
    # Points only: grid mode reads the bbox centre of each row.
    points: ClassVar[bool] = False
    # Every row's geometry is a Point (a PointField, not a point "mostly", as assets are):
    # tiles/sql/tile_points.sql places them in the tile without ST_AsMVTGeom.
    point_rows: ClassVar[bool] = False

    @classmethod
    def grid_at(cls, z: int) -> bool:
        return cls.low_zoom == "grid" and z < cls.detail_zoom

    @classmethod
    def stamped(cls) -> bool:
        return all(source.stamped for source in cls.sources)


class AssetsLayer(Layer):
    id = "assets"
    title = _("Assets")
    description = _("The asset registry: street furniture, green spaces, surfaces.")
    sources = (
        Source(
            "assets",
            "layer_assets.sql",
            {"category": "Number", "kind": "String", "name": "String", "support": "String"},
        ),
    )
    low_zoom = "grid"
    detail_zoom = 14
    filters = frozenset({"category"})
    points = True


class ReportsLayer(Layer):
    id = "reports"
    title = _("Reports")
    description = _("Reports (signalements) by status and category.")
    sources = (
        Source(
            "reports",
            "layer_reports.sql",
            {"status": "String", "category": "Number", "priority": "Number", "date": "String"},
        ),
    )
    low_zoom = "grid"
    detail_zoom = 13
    filters = frozenset({"category", "status", "date_from", "date_to"})
    statuses = tuple(ReportStatus.values)
    points = True
    point_rows = True


class InterventionsLayer(Layer):
    id = "interventions"
    title = _("Interventions")
    description = _("Interventions by status; at most 10,000 per tile.")
    sources = (
        Source(
            "interventions",
            "layer_interventions.sql",
            {
                "status": "String",
                "category": "Number",
                "priority": "Number",
                "team": "Number",
                "mission": "Number",
            },
        ),
    )
    # A million rows: a grid would read them all at z10; the cap reads at most 10,000.
    low_zoom = "cap"
    filters = frozenset({"category", "status", "date_from", "date_to", "team", "mission"})
    statuses = tuple(InterventionStatus.values)
    points = True
    point_rows = True


class MissionsLayer(Layer):
    id = "missions"
    title = _("Missions")
    description = _("Mission zones (tournées) with their team, date and status.")
    sources = (
        Source(
            "missions",
            "layer_missions.sql",
            {"name": "String", "status": "String", "date": "String", "team": "Number"},
        ),
    )
    feature_cap = 2_000
    filters = frozenset({"status", "date_from", "date_to", "team", "mission"})
    statuses = tuple(MissionStatus.values)
    # interventions.selectors_missions.missions_for_membership: agents see their teams' missions.
    team_scoped_roles = (Role.AGENT,)


class ZonesLayer(Layer):
    id = "zones"
    title = _("Zones")
    description = _("Districts and sectors of the territory.")
    sources = (Source("zones", "layer_zones.sql", {"name": "String", "kind": "String"}),)
    feature_cap = 2_000


class StreetsLayer(Layer):
    id = "streets"
    title = _("Streets")
    description = _("The street network (routing graph) by road class.")
    sources = (
        Source(
            "streets",
            "layer_streets.sql",
            {"name": "String", "highway": "String", "kind": "String", "oneway": "Boolean"},
            stamped=False,
        ),
    )
    feature_cap = 20_000


class BasemapLayer(Layer):
    """The offline base map: drawn from the community's own data, no internet needed."""

    id = "basemap"
    title = _("Base map")
    description = _("Territory outline, zones, green spaces and streets by road class.")
    sources = (
        Source("territory", "layer_basemap_territory.sql", {}),
        Source("zones", "layer_basemap_zones.sql", {"kind": "String"}),
        Source("green", "layer_basemap_green.sql", {}),
        Source("streets", "layer_basemap_streets.sql", {"highway": "String"}, stamped=False),
    )
    minzoom = 6
    feature_cap = 20_000


LAYERS: dict[str, type[Layer]] = {
    layer.id: layer
    for layer in (
        AssetsLayer,
        ReportsLayer,
        InterventionsLayer,
        MissionsLayer,
        ZonesLayer,
        StreetsLayer,
        BasemapLayer,
    )
}
# The data layers the map page offers in its layer switcher, bottom to top.
DATA_LAYERS = ("zones", "streets", "missions", "assets", "reports", "interventions")
