"""OpenAPI post-processing: document the error answers every endpoint can give.

drf-spectacular documents the success answer only, so a client (and schemathesis) sees a
400, 401, 403, 404 or 429 as a breach of contract. They are part of it: the body is DRF's error
format, ``{"detail": "..."}`` or ``{"<field>": ["<reason>", ...]}`` (see config/api.py).
"""

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": 'DRF error: {"detail": "..."} or {"<field>": ["<reason>", ...]}.',
    "additionalProperties": True,
}
FEATURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {"type": {"type": "string", "enum": ["Feature"]}},
}
# Nesting depth of `coordinates` per GeoJSON geometry type (RFC 7946): a Point is one
# position, a Polygon a list of rings of positions, and so on.
_COORDINATE_DEPTH = {"Point": 0, "LineString": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}
POSITION_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "number"},
    "minItems": 2,
    "maxItems": 3,
    "description": "longitude, latitude in degrees (EPSG:4326)",
}


def geojson_geometry_schema(geom_type: str) -> dict[str, Any]:
    """The OpenAPI schema of one GeoJSON geometry type in EPSG:4326 (e.g. "Polygon")."""
    coordinates = POSITION_SCHEMA
    for _ in range(_COORDINATE_DEPTH[geom_type]):
        coordinates = {"type": "array", "items": coordinates}
    return {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {"type": {"type": "string", "enum": [geom_type]}, "coordinates": coordinates},
    }


ERRORS = {
    "400": "Bad input: the body names each field and what is wrong with it.",
    "401": "No or unknown credentials (send `Authorization: Token <key>`).",
    "403": "Your role or community does not allow this.",
    "404": "Not found in your community.",
    "429": "Too many attempts (login throttling): wait and try again.",
}


def fix_geojson_pages(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Paginated GeoJSON lists: `features` is an array of Features, and it is required.

    rest_framework_gis's paginator schema renames `results` to `features` but keeps the
    list serializer's FeatureCollection object as its type and `results` in `required`,
    so every GeoJSON list answer broke its own schema.
    """
    schemas = result.get("components", {}).get("schemas", {})
    for schema in schemas.values():
        features = schema.get("properties", {}).get("features")
        if not isinstance(features, dict) or "results" not in schema.get("required", []):
            continue  # not a paginated GeoJSON list
        ref = features.get("$ref") or features.get("items", {}).get("$ref", "")
        target = schemas.get(ref.rsplit("/", 1)[-1], {})
        inner = target.get("properties", {}).get("features")
        if isinstance(inner, dict) and inner.get("type") == "array":
            schema["properties"]["features"] = inner
        elif "geometry" not in target.get("properties", {}):
            # Not a documented Feature (as the missions' are, interventions/api/mission_schema.py):
            # say no more than "GeoJSON Features".
            schema["properties"]["features"] = {"type": "array", "items": FEATURE_SCHEMA}
        schema["required"] = ["features" if r == "results" else r for r in schema["required"]]
    return result


URI_TOO_LONG = {
    "description": "The URL is longer than the web server accepts (gunicorn: a 4,094-byte request line).",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def document_errors(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Add the error answers (400/401/403/404/429, DRF's JSON error body; 414) to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            errors = dict(ERRORS)
            if "requestBody" in operation:
                errors["415"] = "The body's Content-Type is not one this operation reads."
            for code, description in errors.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
            # Answered by the HTTP server before Ronde sees the request (found by schemathesis:
            # a query string of 8 kB), so its body is the server's own page, not JSON.
            responses.setdefault("414", URI_TOO_LONG)
    return result
