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
from core.geometry import transformed
from core.palette import DISTRICTS, LAND, MARKS, OUTSIDE, PARK, STATUS_MARK
from geo.selectors import streets_from_openstreetmap

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


# The data layers' marks (core/palette.py): the kind each layer draws, for style and legend.
LAYER_MARKS = {
    "zones": "zone",
    "streets": "streets",
    "missions": "mission_zone",
    "assets": "asset",
    "reports": "report",
    "interventions": "todo",
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
    territory = transformed(community.territory, 4326)
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
        {"id": "background", "type": "background", "paint": {"background-color": OUTSIDE}},
        {
            "id": "basemap-territory",
            "type": "fill",
            "source": "basemap",
            "source-layer": "territory",
            "paint": {"fill-color": LAND},
            "metadata": meta,
        },
        {
            "id": "basemap-green",
            "type": "fill",
            "source": "basemap",
            "source-layer": "green",
            "filter": ["==", ["geometry-type"], "Polygon"],
            "paint": {"fill-color": PARK},
            "metadata": meta,
        },
        {
            "id": "basemap-zones",
            "type": "fill",
            "source": "basemap",
            "source-layer": "zones",
            "paint": {"fill-color": DISTRICTS, "fill-opacity": 0.5},
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


def _colour(layer_id: str) -> str:
    return MARKS[LAYER_MARKS[layer_id]].colour


def _icon_layout(image: Any, size: Any) -> dict[str, Any]:
    """Icons "mark-<kind>" (static/js/marks.js draws them from core/palette.py): every
    point is drawn, none hidden by label placement."""
    return {"icon-image": image, "icon-size": size, "icon-allow-overlap": True, "icon-ignore-placement": True}


def _grid_marks(layer_id: str) -> dict[str, Any]:
    """Aggregated cells (low zooms): the layer's mark, larger as the count grows."""
    size = ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 0.45, 30, 1.4, 300, 3]
    return {
        "id": f"{layer_id}-grid",
        "type": "symbol",
        "source": layer_id,
        "source-layer": layer_id,
        "filter": ["has", "count"],
        "layout": _icon_layout(f"mark-{LAYER_MARKS[layer_id]}", size),
        "paint": {"icon-opacity": 0.9},
        "metadata": {"ronde:layer": layer_id},
    }


def _point_marks(layer_id: str, image: Any) -> dict[str, Any]:
    return {
        "id": f"{layer_id}-points",
        "type": "symbol",
        "source": layer_id,
        "source-layer": layer_id,
        "filter": ["!", ["has", "count"]],
        "layout": _icon_layout(image, ["interpolate", ["linear"], ["zoom"], 10, 0.45, 16, 0.8, 19, 1.1]),
        "metadata": {"ronde:layer": layer_id},
    }


def _data_layers() -> list[dict[str, Any]]:
    status_image: list[Any] = ["match", ["get", "status"]]
    for status, kind in STATUS_MARK.items():
        status_image += [status, f"mark-{kind}"]
    status_image.append("mark-todo")
    polygon = ["==", ["geometry-type"], "Polygon"]
    return [
        {
            "id": "zones-fill",
            "type": "fill",
            "source": "zones",
            "source-layer": "zones",
            "paint": {"fill-color": _colour("zones"), "fill-opacity": 0.06},
            "metadata": {"ronde:layer": "zones"},
        },
        {
            "id": "zones-line",
            "type": "line",
            "source": "zones",
            "source-layer": "zones",
            "paint": {"line-color": _colour("zones"), "line-width": 2},
            "metadata": {"ronde:layer": "zones", "ronde:mark": "zone"},
        },
        {
            "id": "streets-line",
            "type": "line",
            "source": "streets",
            "source-layer": "streets",
            "paint": {"line-color": _colour("streets"), "line-width": 1.2},
            "layout": {"visibility": "none"},  # the base map already draws them
            "metadata": {"ronde:layer": "streets", "ronde:mark": "streets"},
        },
        {
            "id": "missions-fill",
            "type": "fill",
            "source": "missions",
            "source-layer": "missions",
            "paint": {"fill-color": _colour("missions"), "fill-opacity": 0.08},
            "metadata": {"ronde:layer": "missions"},
        },
        {
            "id": "missions-line",
            "type": "line",
            "source": "missions",
            "source-layer": "missions",
            "paint": {"line-color": _colour("missions"), "line-width": 2.5, "line-dasharray": [2, 1]},
            "metadata": {"ronde:layer": "missions", "ronde:mark": "mission_zone"},
        },
        {
            "id": "assets-fill",
            "type": "fill",
            "source": "assets",
            "source-layer": "assets",
            "filter": polygon,
            "paint": {"fill-color": _colour("assets"), "fill-opacity": 0.15},
            "metadata": {"ronde:layer": "assets"},
        },
        {
            # A surface's outline carries its colour at 3:1 (the light fill alone does not).
            "id": "assets-outline",
            "type": "line",
            "source": "assets",
            "source-layer": "assets",
            "filter": polygon,
            "paint": {"line-color": _colour("assets"), "line-width": 2, "line-dasharray": [1, 1]},
            "metadata": {"ronde:layer": "assets", "ronde:mark": "asset"},
        },
        _grid_marks("assets"),
        {
            **_point_marks("assets", "mark-asset"),
            "filter": ["all", ["!", ["has", "count"]], ["==", ["geometry-type"], "Point"]],
        },
        _grid_marks("reports"),
        _point_marks("reports", "mark-report"),
        _point_marks("interventions", status_image),
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
    """The layer switcher and legend of the map page, in drawing order (top first): each
    layer's mark kinds (interventions: one per status)."""
    kinds = {"interventions": list(STATUS_MARK.values())}
    api = {"assets", "zones", "reports", "interventions", "missions"}
    return [
        {
            "id": name,
            "title": LAYERS[name].title,
            "marks": " ".join(kinds.get(name, [LAYER_MARKS[name]])),
            "visible": name != "streets",
            "api": f"/api/v1/{name}/" if name in api else "",
            "list": f"{reverse('map-list')}?layer={name}" if name in api else "",
        }
        for name in reversed(DATA_LAYERS)
    ]
