"""Helpers for tile tests: where Poitiers falls in the XYZ grid, decoding, SQL counts."""

import gzip
from typing import Any, cast

import mapbox_vector_tile
from django.contrib.gis.geos import Point
from django.db import connection

from tests.factories import POITIERS
from tiles.tilemath import lonlat_to_tile

MARGIN = 64 / 4096  # the MVT buffer as a fraction of a tile


def at(dx: float = 0.0, dy: float = 0.0) -> Point:
    """A point dx, dy metres from Poitiers centre (Lambert-93)."""
    return Point(POITIERS[0] + dx, POITIERS[1] + dy, srid=2154)


def tile_of(point: Point, z: int) -> tuple[int, int, int]:
    wgs = cast(Point, point.transform(4326, clone=True))
    lon, lat = wgs.x, wgs.y
    x, y = lonlat_to_tile(lon, lat, z)
    return z, x, y


def url(layer: str, tile: tuple[int, int, int], query: str = "") -> str:
    z, x, y = tile
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt" + (f"?{query}" if query else "")


def decode(response: Any) -> dict[str, Any]:
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return mapbox_vector_tile.decode(body) if body else {}


def sql_count(table: str, community_id: int, tile: tuple[int, int, int], margin: float = MARGIN) -> int:
    """Rows of `table` whose geom_3857 meets the tile envelope widened by `margin` (the tile's rule)."""
    z, x, y = tile
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {table} WHERE community_id = %s "  # noqa: S608 (test constants)
            "AND geom_3857 && ST_TileEnvelope(%s, %s, %s, margin => %s)",
            [community_id, z, x, y, margin],
        )
        return cursor.fetchone()[0]
