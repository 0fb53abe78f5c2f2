"""PostGIS expressions Django lacks, each a small GeoFunc or Func with a one-line docstring."""

from django.db.models import Func, TextField

# WGS84 semi-major axis (m): the sphere radius of Web Mercator (EPSG:3857).
MERCATOR_RADIUS = 6378137.0


class PointGeoJSONFrom3857(Func):
    """GeoJSON text of a Web Mercator point in EPSG:4326, by the inverse spherical Mercator.

    ST_Transform costs ~30 µs a point through PROJ (Lambert-93 -> 4326), 30 ms for a
    1,000-feature page; this arithmetic costs ~2 µs and is exact (3857 is defined on
    WGS84 lon/lat), so hot point layers read their stored `geom_3857` through it.
    """

    template = (
        "CASE WHEN %(expressions)s IS NULL THEN NULL ELSE "
        '\'{"type":"Point","coordinates":[\' '
        f"|| degrees(ST_X(%(expressions)s) / {MERCATOR_RADIUS}) || ',' "
        f"|| degrees(2 * atan(exp(ST_Y(%(expressions)s) / {MERCATOR_RADIUS})) - pi() / 2) "
        "|| ']}' END"
    )
    output_field = TextField()
    arity = 1


class GeometryType(Func):
    """PostGIS's GeometryType(geom): 'POINT', 'LINESTRING', 'MULTIPOLYGON'… (upper case)."""

    function = "GeometryType"
    output_field = TextField()
    arity = 1
