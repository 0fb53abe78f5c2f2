"""Web Mercator tile arithmetic (EPSG:3857, metres; XYZ scheme, y grows southwards)."""

import math

HALF = 20_037_508.342789244  # half the width of the EPSG:3857 world square, metres
MAX_ZOOM = 24


def tile_size(z: int) -> float:
    """Width of one tile at zoom z, in EPSG:3857 metres."""
    return 2 * HALF / (1 << z)


def tile_origin(z: int, x: int, y: int) -> tuple[float, float]:
    """The south-west corner (minx, miny) of tile z/x/y, EPSG:3857 metres."""
    size = tile_size(z)
    return -HALF + x * size, HALF - (y + 1) * size


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def url_int(text: str) -> int | None:
    """A non-negative integer as written in a URL ("12"), else None (no signs, spaces or "١٢")."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def parse_tile(z: str, x: str, y: str) -> tuple[int, int, int] | None:
    """z/x/y of a tile URL as integers, or None when they are not a tile."""
    zi, xi, yi = url_int(z), url_int(x), url_int(y)
    if zi is None or xi is None or yi is None or not valid_tile(zi, xi, yi):
        return None
    return zi, xi, yi


def tile_ranges(
    bbox: tuple[float, float, float, float], zooms: range, margin: float
) -> list[tuple[int, int, int, int, int]]:
    """(z, x0, x1, y0, y1) of the tiles whose envelope, widened by `margin` (a fraction of a
    tile, the MVT buffer), meets `bbox` (minx, miny, maxx, maxy in EPSG:3857)."""
    minx, miny, maxx, maxy = bbox
    ranges = []
    for z in zooms:
        size = tile_size(z)
        last = (1 << z) - 1
        pad = margin * size

        def clamp(v: float, last: int = last) -> int:
            return min(max(int(math.floor(v)), 0), last)

        x0, x1 = clamp((minx - pad + HALF) / size), clamp((maxx + pad + HALF) / size)
        y0, y1 = clamp((HALF - maxy - pad) / size), clamp((HALF - miny + pad) / size)
        ranges.append((z, x0, x1, y0, y1))
    return ranges


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile containing a WGS84 point at zoom z."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)
