"""The plain Django endpoints in the OpenAPI document (a drf-spectacular postprocessing hook):
/health/, the vector tiles, TileJSON and style of /tiles/, and the geodata export download.
They are not DRF views (tiles answer before the middleware stack when cached, exports
stream files), so drf-spectacular cannot see them; their contract is written here, beside
the URL wiring, from the apps' own declarations (layers, filters, export formats)."""

from typing import Any

from geo.io.export_queries import FORMATS
from geo.io.targets import export_target_names
from tiles.layers import LAYERS

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
COMMUNITY = {
    "name": "community",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "For a member of several communities: which one (or the X-Ronde-Community header).",
}
TILE_FILTERS = {
    "category": {"type": "string", "description": "Category code(s), comma-separated."},
    "status": {"type": "string", "description": "Status value(s), comma-separated."},
    "date_from": {"type": "string", "format": "date"},
    "date_to": {"type": "string", "format": "date"},
    "team": {"type": "integer"},
    "mission": {"type": "integer"},
}


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "Bad input (the body names the parameter).", 401: "No or unknown credentials.",
             403: "Your role or community does not allow this.", 404: "Unknown layer or object."}  # fmt: skip
    return {str(code): {"description": words[code], "content": ERROR} for code in codes}


def _path(name: str, description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
        "description": description,
    }


def _tile_filter_parameters() -> list[dict[str, Any]]:
    names = sorted({f for layer in LAYERS.values() for f in layer.filters})
    return [
        {
            "name": n,
            "in": "query",
            "required": False,
            "schema": TILE_FILTERS.get(n, {"type": "string"}),
            "description": "Only for the layers that declare it (tiles/layers.py); else a 400.",
        }  # fmt: skip
        for n in names
    ]


def plain_paths() -> dict[str, Any]:
    layer = {
        "name": "layer",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": sorted(LAYERS)},
    }
    tiles_tag, ops_tag, exports_tag = ["tiles"], ["ops"], ["exports"]
    return {
        "/health/": {
            "get": {
                "operationId": "health_retrieve",
                "tags": ops_tag,
                "summary": "Liveness and database check (load balancers, docker-compose).",
                "security": [{}],
                "responses": {
                    "200": {
                        "description": "The application and its database answer.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["status"],
                                    "properties": {"status": {"type": "string", "enum": ["ok"]}},
                                }
                            }
                        },
                    }
                },
            }
        },
        "/tiles/{layer}/{z}/{x}/{y}.mvt": {
            "get": {
                "operationId": "tiles_tile_retrieve",
                "tags": tiles_tag,
                "summary": "One Mapbox Vector Tile of a layer of the caller's community (XYZ, Web Mercator).",
                "description": "Members only (session, `Authorization: Token`, or HTTP Basic). Cached; "
                "ETag and `If-None-Match` (304); gzip when accepted.",
                "parameters": [
                    layer,
                    _path("z", "Zoom, within the layer's min/max zoom."),
                    _path("x"),
                    _path("y"),
                    *_tile_filter_parameters(),
                    COMMUNITY,
                ],
                "responses": {
                    "200": {
                        "description": "The tile (possibly empty).",
                        "content": {
                            "application/vnd.mapbox-vector-tile": {
                                "schema": {"type": "string", "format": "binary"}
                            }
                        },
                    },
                    "304": {"description": "Not modified (If-None-Match)."},
                    **_errors(400, 401, 403, 404),
                },
            }
        },
        "/tiles/{layer}.json": {
            "get": {
                "operationId": "tiles_tilejson_retrieve",
                "tags": tiles_tag,
                "summary": "TileJSON 3.0.0 of a layer (tile URL template, zooms, bounds, attribution).",
                "parameters": [layer, *_tile_filter_parameters(), COMMUNITY],
                "responses": {
                    "200": {
                        "description": "TileJSON 3.0.0.",
                        "content": {
                            "application/json": {"schema": {"type": "object", "additionalProperties": True}}
                        },
                    },
                    **_errors(400, 401, 403, 404),
                },
            }
        },
        "/tiles/style.json": {
            "get": {
                "operationId": "tiles_style_retrieve",
                "tags": tiles_tag,
                "summary": "MapLibre style of the community's layers.",
                "parameters": [COMMUNITY],
                "responses": {
                    "200": {
                        "description": "A MapLibre GL style (version 8).",
                        "content": {
                            "application/json": {"schema": {"type": "object", "additionalProperties": True}}
                        },
                    },
                    **_errors(401, 403),
                },
            }
        },
        "/geo/exports/download/": {
            "get": {
                "operationId": "geo_exports_download",
                "tags": exports_tag,
                "summary": "Export a layer of the community as a file, streamed.",
                "parameters": [
                    {
                        "name": "what",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "enum": list(export_target_names())},
                    },
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": list(FORMATS), "default": "geojson"},
                    },  # fmt: skip
                    {
                        "name": "crs",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "EPSG:4326 (default) or EPSG:2154.",
                    },  # fmt: skip
                    {"name": "category", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "status", "in": "query", "required": False, "schema": {"type": "string"}},
                    {
                        "name": "date_from",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "date"},
                    },
                    {
                        "name": "date_to",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "date"},
                    },
                    {
                        "name": "bbox",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "minx,miny,maxx,maxy in EPSG:4326.",
                    },  # fmt: skip
                    COMMUNITY,
                ],
                "responses": {
                    "200": {
                        "description": "The file (GeoJSON, GeoPackage, zipped Shapefile or CSV).",
                        "content": {
                            "application/geo+json": {"schema": {"type": "string", "format": "binary"}},
                            "application/geopackage+sqlite3": {
                                "schema": {"type": "string", "format": "binary"}
                            },
                            "application/zip": {"schema": {"type": "string", "format": "binary"}},
                            "text/csv": {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    **_errors(400, 401, 403),
                },
            }
        },
    }


def document_plain_views(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    result.setdefault("paths", {}).update(plain_paths())
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {"type": "object", "additionalProperties": True, "description": 'DRF error: {"detail": "..."}.'},
    )
    return result
