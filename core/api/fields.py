"""GeoJSON geometries at the API edge: EPSG:4326 outside, settings.RONDE_SRID inside."""

import json
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from pyproj import Transformer
from rest_framework import serializers

from core.geometry import NotProjectable, transform_in_place, transformed
from core.per_thread import per_thread

# Decimal places of API coordinates in degrees: 7 ≈ 1 cm, finer than any GPS.
API_PRECISION = 7
# The annotation selectors put a feature's geometry in, already as GeoJSON text (EPSG:4326).
GEOJSON_ANNOTATION = "geom_geojson"


def geojson_4326(field: str = "geom") -> AsGeoJSON:
    """SQL rendering `field` as GeoJSON text in EPSG:4326 (every API read goes through it)."""
    return AsGeoJSON(Transform(field, settings.RONDE_API_SRID), precision=API_PRECISION)


def _points_to_api() -> Transformer:
    """Storage SRID -> EPSG:4326 for bare points, built once per thread; other shapes go
    through core.geometry's per-thread transformation."""
    return per_thread(
        "points_to_api",
        None,
        lambda: Transformer.from_crs(settings.RONDE_SRID, settings.RONDE_API_SRID, always_xy=True),
        limit=1,
    )


def geojson_out(geom: GEOSGeometry | None) -> dict[str, Any] | None:
    """A geometry built in Python (storage SRID) as a GeoJSON dict in EPSG:4326.

    The transformation is built once per thread and points skip GEOS/OGR: building one per
    geometry took ~9 ms, so the 300 stops of a mission took 5 s to serialise (now ~0.1 s).
    """
    if geom is None:
        return None
    if geom.srid == settings.RONDE_API_SRID:
        return json.loads(geom.json)
    if isinstance(geom, Point) and geom.srid == settings.RONDE_SRID:
        x, y = _points_to_api().transform(geom.x, geom.y)
        return {"type": "Point", "coordinates": [x, y]}
    return json.loads(transformed(geom, settings.RONDE_API_SRID).json)


# Names of EPSG:4326 / OGC CRS84 that a GeoJSON `crs` member may carry (RFC 7946 dropped
# `crs`; old clients still send it). Axis order is lon,lat for all of them in GeoJSON.
ACCEPTED_CRS = {
    "EPSG:4326",
    "urn:ogc:def:crs:EPSG::4326",
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "OGC:CRS84",
    "CRS84",
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
}


def _crs_name(crs: Any) -> str | None:
    if isinstance(crs, dict):
        props = crs.get("properties")
        if isinstance(props, dict):
            name = props.get("name") or props.get("code")
            return str(name) if name is not None else None
    return None


@extend_schema_field(OpenApiTypes.OBJECT)
class GeoJSONGeometryField(serializers.Field):
    """A GeoJSON geometry object in EPSG:4326, stored in the storage SRID.

    Reads use the `geom_geojson` annotation made by the selectors (PostGIS renders it,
    so the fast list path and this serializer give byte-identical geometry); writes
    are checked here: CRS, type, coordinate range, validity. Whether the geometry lies
    in the community's territory is the services' business.
    """

    default_error_messages = {
        "not_geojson": _("Expected a GeoJSON geometry object with 'type' and 'coordinates'."),
        "wrong_crs": _("wrong CRS: geometries must be in EPSG:4326 (lon, lat in degrees); got '{crs}'."),
        "wrong_type": _("Expected a {expected} geometry, got {got}."),
        "unparsable": _("Not a readable GeoJSON geometry: {reason}."),
        "empty": _("The geometry is empty."),
        "out_of_range": _(
            "Coordinates out of range for EPSG:4326 (longitude -180..180, latitude -90..90): "
            "projected coordinates must be converted to lon/lat first."
        ),
        "invalid": _("Invalid geometry: {reason}."),
    }

    def __init__(self, *, geom_types: tuple[str, ...], annotation: str = GEOJSON_ANNOTATION, **kwargs: Any):
        self.geom_types = geom_types
        self.annotation = annotation
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        annotated = getattr(instance, self.annotation, None)
        if annotated is not None:
            return annotated
        return super().get_attribute(instance)

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value)
        # Not annotated (should not happen on API paths): transform in Python.
        geom = transformed(value, settings.RONDE_API_SRID)
        return json.loads(geom.json)

    def to_internal_value(self, data: Any) -> GEOSGeometry:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("not_geojson")
        if not isinstance(data, dict) or "type" not in data or "coordinates" not in data:
            self.fail("not_geojson")
        if "crs" in data:
            name = _crs_name(data["crs"])
            if name not in ACCEPTED_CRS:
                self.fail("wrong_crs", crs=name if name is not None else json.dumps(data["crs"])[:80])
        gtype = data["type"]
        if gtype not in self.geom_types:
            self.fail("wrong_type", expected=" or ".join(self.geom_types), got=str(gtype)[:40])
        try:
            geom = GEOSGeometry(json.dumps({"type": gtype, "coordinates": data["coordinates"]}))
        except (GEOSException, GDALException, ValueError, TypeError) as exc:
            self.fail("unparsable", reason=str(exc)[:200] or "bad coordinates")
        if geom.empty:
            self.fail("empty")
        minx, miny, maxx, maxy = geom.extent
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            self.fail("out_of_range")
        geom.srid = settings.RONDE_API_SRID
        if not geom.valid:
            self.fail("invalid", reason=geom.valid_reason)
        try:
            transform_in_place(geom, settings.RONDE_SRID)
        except NotProjectable as exc:  # within -180..180, -90..90, yet not on the map (a pole)
            raise serializers.ValidationError(exc.text, code="not_projectable") from exc
        if isinstance(geom, Polygon) and "MultiPolygon" in self.geom_types:
            # Zones are stored as MultiPolygons; a single Polygon is accepted as one part.
            geom = MultiPolygon(geom, srid=geom.srid)
        return geom
