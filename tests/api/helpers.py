"""Small helpers for API tests: positions around Poitiers in EPSG:4326."""

from typing import Any

from django.contrib.gis.geos import Point

from tests.factories import POITIERS


def lonlat(x: float = POITIERS[0], y: float = POITIERS[1]) -> tuple[float, float]:
    """Lambert-93 metres -> (lon, lat) degrees."""
    point = Point(x, y, srid=2154)
    point.transform(4326)
    return (point.x, point.y)


def point(x: float = POITIERS[0], y: float = POITIERS[1]) -> dict[str, Any]:
    """A GeoJSON Point (EPSG:4326) at Lambert-93 (x, y)."""
    return {"type": "Point", "coordinates": list(lonlat(x, y))}


def square_4326(cx: float, cy: float, half: float) -> dict[str, Any]:
    """A GeoJSON Polygon (EPSG:4326) around Lambert-93 (cx, cy), side 2*half metres."""
    corners = [(cx - half, cy - half), (cx + half, cy - half), (cx + half, cy + half), (cx - half, cy + half)]
    ring = [list(lonlat(x, y)) for x, y in corners]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "Feature", "properties": properties}
    if geometry is not None:
        body["geometry"] = geometry
    return body
