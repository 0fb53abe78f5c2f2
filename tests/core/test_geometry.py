"""core/geometry.py: the cached per-thread transformation gives what GDAL's own gives."""

import threading

import pytest
from django.contrib.gis.geos import GEOSException, Point, Polygon

from core.geometry import coord_transform, transform_in_place, transformed


def test_transformed_matches_gdal_and_keeps_the_original():
    point = Point(0.3404, 46.5802, srid=4326)  # Poitiers
    expected = point.transform(2154, clone=True)
    out = transformed(point, 2154)
    assert out.srid == 2154 and point.srid == 4326 and point.coords == (0.3404, 46.5802)
    assert out.distance(expected) < 1e-6
    # Lambert-93 puts Poitiers near x 497 km, y 6 614 km: lon/lat were not swapped.
    assert 490_000 < out.x < 505_000 and 6_600_000 < out.y < 6_630_000
    back = transformed(out, 4326)
    assert back.srid == 4326 and abs(back.x - 0.3404) < 1e-9 and abs(back.y - 46.5802) < 1e-9


def test_in_place_and_same_srid():
    square = Polygon.from_bbox((0.33, 46.57, 0.35, 46.59))
    square.srid = 4326
    copy = transformed(square, 4326)
    assert copy.equals(square) and copy is not square
    transform_in_place(square, 3857)
    assert square.srid == 3857 and 36_000 < square.extent[0] < 38_000


def test_no_srid_is_refused():
    with pytest.raises(GEOSException):
        transformed(Point(1, 2), 2154)


def test_one_transformation_per_thread_and_pair():
    first = coord_transform(4326, 2154)
    assert coord_transform(4326, 2154) is first
    others: list = []
    thread = threading.Thread(target=lambda: others.append(coord_transform(4326, 2154)))
    thread.start()
    thread.join()
    assert others[0] is not first
