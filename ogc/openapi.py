"""The OpenAPI 3.0 description of /ogc/, self-contained (no reference outside this document)."""

from typing import Any

from .features import DEFAULT_LIMIT, MAX_LIMIT, SUPPORTED_CRS


def _param(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **extra,
    }


F = _param("f", "Output format.", {"type": "string", "enum": ["json", "html"]})
COMMUNITY = _param(
    "community",
    "Community (slug) to read; also the X-Ronde-Community header. Needed for a user in several communities.",
    {"type": "string"},
)
CRS = _param(
    "crs", "CRS of the output geometries (OGC API Part 2).", {"type": "string", "enum": list(SUPPORTED_CRS)}
)
BBOX_CRS = _param(
    "bbox-crs", "CRS of bbox (OGC API Part 2).", {"type": "string", "enum": list(SUPPORTED_CRS)}
)
# Written inline (not as $ref): GDAL reads the page size from this parameter's maximum.
LIMIT = _param(
    "limit",
    "Maximum number of features in the page.",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    style="form",
    explode=False,
)
OFFSET = _param(
    "offset",
    "Features to skip (paging; follow the `next` link).",
    {"type": "integer", "minimum": 0, "default": 0},
)
BBOX = _param(
    "bbox",
    "minx,miny,maxx,maxy in CRS84 (or bbox-crs).",
    {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    style="form",
    explode=False,
)
DATETIME = _param(
    "datetime",
    "Instant or interval (RFC 3339, '..' for an open end): reports by reported_at, "
    "interventions by ended_at (else created_at); ignored by zones and assets.",
    {"type": "string"},
    style="form",
    explode=False,
)
COLLECTION_ID = {"name": "collectionId", "in": "path", "required": True, "schema": {"type": "string"}}
FEATURE_ID = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "integer"}}


def _responses(media: str, schema_ref: str) -> dict[str, Any]:
    return {
        "200": {"description": "OK", "content": {media: {"schema": {"$ref": schema_ref}}, "text/html": {}}},
        "400": {
            "description": "Invalid or unknown parameter",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}},
        },
        "404": {
            "description": "Not found",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}},
        },
    }


def _get(
    operation_id: str, summary: str, parameters: list[dict[str, Any]], media: str, schema: str
) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["OGC API – Features"],
            "parameters": parameters,
            "responses": _responses(media, f"#/components/schemas/{schema}"),
        }
    }


LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {k: {"type": "string"} for k in ("href", "rel", "type", "title", "hreflang")},
}
LINKS = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}


def openapi_document(server_url: str) -> dict[str, Any]:
    json_ = "application/json"
    geojson = "application/geo+json"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Ronde – OGC API Features",
            "version": "1.0.0",
            "description": "Assets, zones, reports and interventions of a community (read only). "
            "Members authenticate with `Authorization: Token <key>` or a session; "
            "anonymous callers see what the community publishes.",
            "license": {"name": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/": _get("getLandingPage", "Landing page", [F, COMMUNITY], json_, "landingPage"),
            "/conformance": _get(
                "getConformance", "Conformance classes", [F, COMMUNITY], json_, "confClasses"
            ),
            "/api": _get(
                "getApi",
                "This document",
                [F, COMMUNITY],
                "application/vnd.oai.openapi+json;version=3.0",
                "any",
            ),
            "/collections": _get("getCollections", "Collections", [F, COMMUNITY], json_, "collections"),
            "/collections/{collectionId}": _get(
                "describeCollection", "One collection", [COLLECTION_ID, F, COMMUNITY], json_, "collection"
            ),
            "/collections/{collectionId}/queryables": _get(
                "getQueryables",
                "The properties a client may filter on (JSON Schema); each is also an items parameter",
                [COLLECTION_ID, F, COMMUNITY],
                "application/schema+json",
                "any",
            ),
            "/collections/{collectionId}/items": _get(
                "getFeatures",
                "Features of a collection",
                [COLLECTION_ID, LIMIT, OFFSET, BBOX, BBOX_CRS, DATETIME, CRS, F, COMMUNITY],
                geojson,
                "featureCollectionGeoJSON",
            ),
            "/collections/{collectionId}/items/{featureId}": _get(
                "getFeature",
                "One feature",
                [COLLECTION_ID, FEATURE_ID, CRS, F, COMMUNITY],
                geojson,
                "featureGeoJSON",
            ),
        },
        "components": {
            "schemas": {
                "any": {"type": "object"},
                "link": LINK,
                "exception": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
                },
                "landingPage": {
                    "type": "object",
                    "required": ["links"],
                    "properties": {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "links": LINKS,
                    },
                },
                "confClasses": {
                    "type": "object",
                    "required": ["conformsTo"],
                    "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
                },
                "collection": {
                    "type": "object",
                    "required": ["id", "links"],
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "links": LINKS,
                        "extent": {"type": "object"},
                        "itemType": {"type": "string"},
                        "crs": {"type": "array", "items": {"type": "string"}},
                        "storageCrs": {"type": "string"},
                    },
                },
                "collections": {
                    "type": "object",
                    "required": ["links", "collections"],
                    "properties": {
                        "links": LINKS,
                        "collections": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/collection"},
                        },
                    },
                },
                "geometryGeoJSON": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"type": "string"}},
                },
                "featureGeoJSON": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"type": "string", "enum": ["Feature"]},
                        "id": {"type": "integer"},
                        "geometry": {"$ref": "#/components/schemas/geometryGeoJSON"},
                        "properties": {"type": "object", "nullable": True},
                        "links": LINKS,
                    },
                },
                "featureCollectionGeoJSON": {
                    "type": "object",
                    "required": ["type", "features"],
                    "properties": {
                        "type": {"type": "string", "enum": ["FeatureCollection"]},
                        "features": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/featureGeoJSON"},
                        },
                        "links": LINKS,
                        "timeStamp": {"type": "string", "format": "date-time"},
                        "numberMatched": {"type": "integer", "minimum": 0},
                        "numberReturned": {"type": "integer", "minimum": 0},
                    },
                },
            }
        },
    }
