"""TileJSON documents and the MapLibre style of the offline base map and the data layers.

No glyphs and no sprite: the style has no text labels (no font PBFs ship with MapLibre or
an npm package we vendor), so it needs nothing from the internet. An upstream raster base map
is added under everything only when settings.RONDE_UPSTREAM_RASTER_URL is set.
"""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Community
from geo.selectors import streets_from_openstreetmap
from interventions.models import InterventionStatus

from .filters import TileFilters
from .layers import DATA_LAYERS, LAYERS, Layer

TILEJSON_VERSION = "3.0.0"
# ODbL: a map drawing OpenStreetMap data credits it, with a link to the copyright page.
OSM_ATTRIBUTION = '<a href="https://www.openstreetmap.org/copyright">© OpenStreetMap contributors</a>'
# The layers whose tiles hold street geometry.
STREET_LAYERS = frozenset({"streets", "basemap"})


def attribution(community: Community, layer_id: str) -> str | None:
    """The credit a layer's tiles need: OpenStreetMap's when the streets came from it."""
    if layer_id in STREET_LAYERS and streets_from_openstreetmap(community=community):
        return OSM_ATTRIBUTION
    return None


# One colour per data layer (legend and style); interventions are coloured by status.
COLORS = {
    "zones": "#6a3d9a",
    "streets": "#5a5a5a",
    "missions": "#1f78b4",
    "assets": "#00838f",  # teal: never the green of a done intervention
    "reports": "#d95f02",
    "interventions": "#c62828",
}
INTERVENTION_COLORS = {
    InterventionStatus.TODO: "#c62828",
    InterventionStatus.SCHEDULED: "#ad1457",
    InterventionStatus.IN_PROGRESS: "#ef6c00",
    InterventionStatus.DONE: "#2e7d32",
    InterventionStatus.NOT_DONE: "#546e7a",
}
# Base map road classes, widest first (OSM highway values; anything else is "minor").
ROADS = [
    ("motorway", "#e892a2", 3.0),
    ("trunk", "#f9b29c", 3.0),
    ("primary", "#fcd6a4", 2.6),
    ("secondary", "#f7fabf", 2.2),
    ("tertiary", "#ffffff", 2.0),
    ("residential", "#ffffff", 1.6),
    ("living_street", "#ffffff", 1.4),
    ("service", "#ffffff", 1.0),
    ("footway", "#c9a27e", 0.8),
    ("pedestrian", "#dddde8", 1.4),
    ("cycleway", "#7f9fd0", 0.8),
    ("path", "#c9a27e", 0.8),
]


def _tiles_base(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("tiles:style")).removesuffix("style.json")


def _query(request: HttpRequest, filters: TileFilters | None = None) -> str:
    params = dict(filters.given) if filters else {}
    if request.GET.get("community"):
        params["community"] = request.GET["community"]
    return f"?{urlencode(sorted(params.items()))}" if params else ""


def community_bounds(community: Community) -> tuple[list[float], list[float]]:
    """[west, south, east, north] and [lon, lat] of the territory (EPSG:4326)."""
    territory = community.territory.transform(4326, clone=True)
    west, south, east, north = territory.extent
    return [west, south, east, north], [(west + east) / 2, (south + north) / 2]


def _vector_layers(layer: type[Layer]) -> list[dict[str, Any]]:
    out = []
    for source in layer.sources:
        fields = dict(source.fields)
        if layer.low_zoom == "grid":
            fields["count"] = "Number"
        out.append(
            {
                "id": source.name,
                "fields": fields,
                "minzoom": layer.minzoom,
                "maxzoom": layer.maxzoom,
                "description": str(layer.description),
            }
        )
    return out


def tilejson_document(
    request: HttpRequest, layer: type[Layer], community: Community, filters: TileFilters | None = None
) -> dict[str, Any]:
    bounds, center = community_bounds(community)
    if layer.low_zoom == "grid":
        note = _("Below zoom %(z)d, points are counted in cells of %(px)d px (property count).") % {
            "z": layer.detail_zoom,
            "px": 256 // layer.grid_cells,
        }
    else:
        note = _("At most %(cap)d features per tile (header X-Tile-Capped when reached).") % {
            "cap": layer.feature_cap
        }
    return {
        "tilejson": TILEJSON_VERSION,
        "name": str(layer.title),
        "description": f"{layer.description} {note}",
        "scheme": "xyz",
        "tiles": [f"{_tiles_base(request)}{layer.id}/{{z}}/{{x}}/{{y}}.mvt{_query(request, filters)}"],
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "bounds": bounds,
        "center": [*center, 13],
        "vector_layers": _vector_layers(layer),
        "feature_cap": layer.feature_cap,
        "detail_zoom": layer.detail_zoom if layer.low_zoom == "grid" else None,
    } | ({"attribution": credit} if (credit := attribution(community, layer.id)) else {})


def _source(request: HttpRequest, layer: type[Layer], bounds: list[float]) -> dict[str, Any]:
    return {
        "type": "vector",
        "tiles": [f"{_tiles_base(request)}{layer.id}/{{z}}/{{x}}/{{y}}.mvt{_query(request)}"],
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "bounds": bounds,
    }


def _basemap_layers() -> list[dict[str, Any]]:
    highway = ["get", "highway"]
    color: list[Any] = ["match", highway]
    width: list[Any] = ["match", highway]
    for name, road_color, road_width in ROADS:
        color += [name, road_color]
        width += [name, road_width]
    color.append("#ffffff")
    width.append(1.2)
    meta = {"ronde:layer": "basemap"}
    return [
        {"id": "background", "type": "background", "paint": {"background-color": "#e9e6df"}},
        {
            "id": "basemap-territory",
            "type": "fill",
            "source": "basemap",
            "source-layer": "territory",
            "paint": {"fill-color": "#f7f5f0"},
            "metadata": meta,
        },
        {
            "id": "basemap-green",
            "type": "fill",
            "source": "basemap",
            "source-layer": "green",
            "filter": ["==", ["geometry-type"], "Polygon"],
            "paint": {"fill-color": "#cfe8c4"},
            "metadata": meta,
        },
        {
            "id": "basemap-zones",
            "type": "fill",
            "source": "basemap",
            "source-layer": "zones",
            "paint": {"fill-color": "#ece8f3", "fill-opacity": 0.5},
            "metadata": meta,
        },
        {
            "id": "basemap-streets-casing",
            "type": "line",
            "source": "basemap",
            "source-layer": "streets",
            "layout": {"line-cap": "round", "line-join": "round"},
            "paint": {
                "line-color": "#b5b0a6",
                "line-width": [
                    "interpolate",
                    ["exponential", 1.6],
                    ["zoom"],
                    12,
                    1,
                    18,
                    ["+", 4, ["*", width, 6]],
                ],
            },
            "metadata": meta,
        },
        {
            "id": "basemap-streets",
            "type": "line",
            "source": "basemap",
            "source-layer": "streets",
            "layout": {"line-cap": "round", "line-join": "round"},
            "paint": {
                "line-color": color,
                "line-width": ["interpolate", ["exponential", 1.6], ["zoom"], 12, 0.5, 18, ["*", width, 6]],
            },
            "metadata": meta,
        },
        {
            "id": "basemap-territory-outline",
            "type": "line",
            "source": "basemap",
            "source-layer": "territory",
            "paint": {"line-color": "#3c3c3c", "line-width": 2, "line-dasharray": [3, 2]},
            "metadata": meta,
        },
    ]


def _grid_circle(layer_id: str, color: str) -> dict[str, Any]:
    """Aggregated cells (low zooms): a circle whose radius grows with the count."""
    return {
        "id": f"{layer_id}-grid",
        "type": "circle",
        "source": layer_id,
        "source-layer": layer_id,
        "filter": ["has", "count"],
        "paint": {
            "circle-color": color,
            "circle-opacity": 0.55,
            "circle-stroke-color": "#ffffff",
            "circle-stroke-width": 1,
            "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 3, 30, 14, 300, 30],
        },
        "metadata": {"ronde:layer": layer_id},
    }


def _point_circle(layer_id: str, color: Any) -> dict[str, Any]:
    return {
        "id": f"{layer_id}-points",
        "type": "circle",
        "source": layer_id,
        "source-layer": layer_id,
        "filter": ["!", ["has", "count"]],
        "paint": {
            "circle-color": color,
            "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 2, 16, 5, 19, 8],
            "circle-stroke-color": "#ffffff",
            "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 12, 0, 16, 1],
        },
        "metadata": {"ronde:layer": layer_id},
    }


def _data_layers() -> list[dict[str, Any]]:
    status_color: list[Any] = ["match", ["get", "status"]]
    for status, status_hex in INTERVENTION_COLORS.items():
        status_color += [str(status), status_hex]
    status_color.append(COLORS["interventions"])
    polygon = ["==", ["geometry-type"], "Polygon"]
    return [
        {
            "id": "zones-fill",
            "type": "fill",
            "source": "zones",
            "source-layer": "zones",
            "paint": {"fill-color": COLORS["zones"], "fill-opacity": 0.06},
            "metadata": {"ronde:layer": "zones"},
        },
        {
            "id": "zones-line",
            "type": "line",
            "source": "zones",
            "source-layer": "zones",
            "paint": {"line-color": COLORS["zones"], "line-width": 2},
            "metadata": {"ronde:layer": "zones"},
        },
        {
            "id": "streets-line",
            "type": "line",
            "source": "streets",
            "source-layer": "streets",
            "paint": {"line-color": COLORS["streets"], "line-width": 1.2, "line-opacity": 0.7},
            "layout": {"visibility": "none"},  # the base map already draws them
            "metadata": {"ronde:layer": "streets"},
        },
        {
            "id": "missions-fill",
            "type": "fill",
            "source": "missions",
            "source-layer": "missions",
            "paint": {"fill-color": COLORS["missions"], "fill-opacity": 0.12},
            "metadata": {"ronde:layer": "missions"},
        },
        {
            "id": "missions-line",
            "type": "line",
            "source": "missions",
            "source-layer": "missions",
            "paint": {"line-color": COLORS["missions"], "line-width": 2.5, "line-dasharray": [2, 1]},
            "metadata": {"ronde:layer": "missions"},
        },
        {
            "id": "assets-fill",
            "type": "fill",
            "source": "assets",
            "source-layer": "assets",
            "filter": polygon,
            "paint": {"fill-color": COLORS["assets"], "fill-opacity": 0.25},
            "metadata": {"ronde:layer": "assets"},
        },
        _grid_circle("assets", COLORS["assets"]),
        {
            **_point_circle("assets", COLORS["assets"]),
            "filter": ["all", ["!", ["has", "count"]], ["==", ["geometry-type"], "Point"]],
        },
        _grid_circle("reports", COLORS["reports"]),
        _point_circle("reports", COLORS["reports"]),
        _point_circle("interventions", status_color),
    ]


def style_document(request: HttpRequest, community: Community) -> dict[str, Any]:
    """The MapLibre style (spec v8) of the community: base map + every data layer."""
    bounds, center = community_bounds(community)
    sources: dict[str, Any] = {
        name: _source(request, LAYERS[name], bounds) for name in ("basemap", *DATA_LAYERS)
    }
    if streets_from_openstreetmap(community=community):
        for name in STREET_LAYERS:
            sources[name]["attribution"] = OSM_ATTRIBUTION  # shown by MapLibre's attribution control
    layers = _basemap_layers()
    upstream = getattr(settings, "RONDE_UPSTREAM_RASTER_URL", "")
    if upstream:
        sources["upstream"] = {
            "type": "raster",
            "tiles": [upstream],
            "tileSize": 256,
            "attribution": getattr(settings, "RONDE_UPSTREAM_RASTER_ATTRIBUTION", ""),
        }
        layers.insert(
            1, {"id": "upstream", "type": "raster", "source": "upstream", "paint": {"raster-opacity": 0.9}}
        )
    return {
        "version": 8,
        "name": f"Ronde — {community.name}",
        "center": center,
        "zoom": 13,
        "sources": sources,
        "layers": layers + _data_layers(),
        "metadata": {"ronde:bounds": bounds, "ronde:community": community.slug},
    }


def map_legend() -> list[dict[str, Any]]:
    """The layer switcher and legend of the map page, in drawing order (top first)."""
    statuses = {"interventions": [(s.label, INTERVENTION_COLORS[s]) for s in InterventionStatus]}
    api = {"assets", "zones", "reports", "interventions", "missions"}
    return [
        {
            "id": name,
            "title": LAYERS[name].title,
            "color": COLORS[name],
            "entries": statuses.get(name, []),
            "visible": name != "streets",
            "api": f"/api/v1/{name}/" if name in api else "",
            "list": f"{reverse('map-list')}?layer={name}" if name in api else "",
        }
        for name in reversed(DATA_LAYERS)
    ]
