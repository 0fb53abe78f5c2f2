"""core.api.fields.geojson_out: storage SRID -> GeoJSON in EPSG:4326, as GEOS/GDAL would give it,
with the transformation built once per thread (a mission's 300 stops serialised in seconds before)."""

import json
import threading

import pytest
from django.contrib.gis.geos import LineString, MultiLineString, Point, Polygon

from core.api.fields import geojson_out
from tests.factories import POITIERS


def reference(geom):
    return json.loads(geom.transform(4326, clone=True).json)


def test_points_lines_and_polygons_match_the_plain_transform():
    point = Point(*POITIERS, srid=2154)  # Poitiers centre, Lambert-93
    out = geojson_out(point)
    assert out["type"] == "Point"
    assert out["coordinates"] == pytest.approx(reference(point)["coordinates"], abs=1e-9)
    route = MultiLineString(LineString(POITIERS, (POITIERS[0] + 120, POITIERS[1] + 80)), srid=2154)
    assert geojson_out(route) == reference(route)
    zone = Polygon.from_bbox((POITIERS[0], POITIERS[1], POITIERS[0] + 300, POITIERS[1] + 200))
    zone.srid = 2154
    assert geojson_out(zone) == reference(zone)
    assert point.srid == 2154 and route.srid == 2154  # the inputs are left as they were
    assert geojson_out(None) is None
    already = Point(0.34, 46.58, srid=4326)
    assert geojson_out(already) == {"type": "Point", "coordinates": [0.34, 46.58]}


def test_another_thread_gets_its_own_transformation():
    results = []
    thread = threading.Thread(target=lambda: results.append(geojson_out(Point(*POITIERS, srid=2154))))
    thread.start()
    thread.join()
    assert results == [geojson_out(Point(*POITIERS, srid=2154))]
