"""Small helpers shared by the interop tests."""

from typing import Any
from xml.etree import ElementTree as ET  # noqa: S405 - parsing our own server's answers

from django.contrib.gis.geos import Point

from tests.factories import POITIERS


def wgs84(x: float = POITIERS[0], y: float = POITIERS[1]) -> tuple[float, float]:
    """(lat, long) of a Lambert-93 position."""
    point = Point(x, y, srid=2154)
    point.transform(4326)
    return point.y, point.x


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    return ET.fromstring(response.content)  # noqa: S314 - our own output
