"""Queryables (OGC API – Features Part 3): the properties of a collection a client may filter
on, as a JSON Schema, and their equality filters on /items (`?category=wall&status=done`).

Types come from the model fields behind each property's ORM path; JSON properties
(`attributes`) are not queryable.
"""

from typing import Any

from django.db import models
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Community

from .collections import Collection, model_of
from .errors import OgcError

GEOMETRY_FORMAT = {
    "Point": "geometry-point",
    "LineString": "geometry-linestring",
    "Polygon": "geometry-polygon",
    "MultiPoint": "geometry-multipoint",
    "MultiLineString": "geometry-multilinestring",
    "MultiPolygon": "geometry-multipolygon",
}


def _field(model: type[models.Model], path: str) -> Any:
    field: Any = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return field


def _schema(field: Any) -> dict[str, Any] | None:
    """The JSON Schema of a model field's values; None: not queryable."""
    if isinstance(field, models.JSONField):
        return None
    if isinstance(field, models.ForeignKey):
        return {"type": "integer"}
    if isinstance(field, models.BooleanField):
        schema: dict[str, Any] = {"type": "boolean"}
    elif isinstance(field, models.IntegerField | models.AutoField):
        schema = {"type": "integer"}
    elif isinstance(field, models.FloatField | models.DecimalField):
        schema = {"type": "number"}
    elif isinstance(field, models.DateTimeField):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(field, models.DateField):
        schema = {"type": "string", "format": "date"}
    else:
        schema = {"type": "string"}
    if field.choices:
        schema["enum"] = [value for value, _label in field.choices]
    if getattr(field, "verbose_name", ""):
        schema["title"] = str(field.verbose_name)
    return schema


def queryable_properties(collection: Collection, community: Community) -> dict[str, dict[str, Any]]:
    """Property name -> JSON Schema, for the properties a client may filter on."""
    model = model_of(collection, community)
    out = {}
    for name, path in collection.properties.items():
        schema = _schema(_field(model, path))
        if schema is not None:
            out[name] = schema
    return out


def queryables_document(collection: Collection, community: Community, url: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if collection.geometry_type in GEOMETRY_FORMAT:
        properties["geometry"] = {"format": GEOMETRY_FORMAT[collection.geometry_type]}
    properties |= queryable_properties(collection, community)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": str(collection.title),
        "properties": properties,
        "additionalProperties": False,
    }


def _value(name: str, raw: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        raise OgcError(400, "InvalidParameterValue", f"{name}: a {kind} is expected.") from None
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise OgcError(400, "InvalidParameterValue", f"{name}: true or false.")
        return raw == "true"
    if schema.get("format") in ("date", "date-time"):
        parsed = parse_date(raw) if schema["format"] == "date" else None
        try:
            parsed = parsed or parse_datetime(raw)
        except ValueError:
            parsed = None
        if parsed is None:
            raise OgcError(
                400, "InvalidParameterValue", f"{name}: an RFC 3339 {schema['format']} is expected."
            )
        return parsed
    if "enum" in schema and raw not in schema["enum"]:
        raise OgcError(400, "InvalidParameterValue", f"{name}: one of {', '.join(map(str, schema['enum']))}.")
    if "\x00" in raw:
        raise OgcError(400, "InvalidParameterValue", f"{name}: a NUL character is not a value.")
    return raw


def property_filters(collection: Collection, community: Community, query: Any) -> dict[str, Any]:
    """ORM lookups for the `<queryable>=<value>` parameters of an items request."""
    queryables = queryable_properties(collection, community)
    lookups = {}
    for name, schema in queryables.items():
        raw = query.get(name)
        if raw is not None:
            lookups[collection.properties[name]] = _value(name, raw, schema)
    return lookups
