"""Data for the dispatcher's tests: a street grid at Poitiers (Lambert-93, metres)."""

import json

from django.contrib.gis.geos import Point, Polygon

from tests.factories import POITIERS, square


def at(dx: float, dy: float) -> Point:
    """A point dx, dy metres from Poitiers centre (Lambert-93): the grids' south-west corner."""
    return Point(POITIERS[0] + dx, POITIERS[1] + dy, srid=2154)


def box_4326(x0: float, y0: float, x1: float, y1: float) -> dict:
    """A GeoJSON Polygon (EPSG:4326) of the rectangle between two offsets in metres."""
    polygon = Polygon.from_bbox((POITIERS[0] + x0, POITIERS[1] + y0, POITIERS[0] + x1, POITIERS[1] + y1))
    polygon.srid = 2154
    polygon.transform(4326)
    return json.loads(polygon.json)


def square_4326(cx: float, cy: float, half: float) -> dict:
    polygon = square(POITIERS[0] + cx, POITIERS[1] + cy, half)
    polygon.transform(4326)
    return json.loads(polygon.json)
