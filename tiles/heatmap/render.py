"""Kernel-density heatmap rasters: 256×256 transparent PNG tiles and GeoTIFF exports.

A raster is: points binned into pixels (weight count, m² or returns), masked to a district
when asked, blurred by a Gaussian kernel of SIGMA_PX pixels (two matrix products for tiles,
scipy.ndimage for larger exports), then coloured
on a log ramp whose top (vmax) depends on the zoom. Pixel values before colouring are the
kernel-weighted sum of weights around each pixel (a lone point of weight 1 peaks at 1), so
the legend reads "about N interventions here".

Points come from the worker's in-memory store (store.py), binned by bins.py; filters it
cannot answer (reports, statuses other than done) fall back to SQL binning (sql/bins.sql),
which produces the same grid. What to draw is a filters.HeatmapFilters.
"""

import datetime as dt
import hashlib
import json
import math
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from django.contrib.gis.geos import GEOSGeometry
from scipy import ndimage
from threadpoolctl import ThreadpoolController

from core.geometry import transformed
from core.palette import HEAT_ALPHA, HEAT_RAMP, LAND, over
from core.sql import run_sql, sql_path
from geo.models import Zone

from ..tilemath import HALF, tile_size
from .bins import PAD, SIGMA_PX, TILE, Window, bin_memory, bin_sql, tile_window
from .filters import HeatmapFilterError, HeatmapFilters
from .points import ZREF, Points
from .store import STORE

MAX_ZOOM = ZREF
# Below this kernel-weighted value a pixel stays transparent (the tail of the kernel).
FLOOR = 0.05
# The ramp, low → high, and its opacity (core/palette.py: every step at 3:1 on the base map).
RAMP = HEAT_RAMP
# In every ETag: new colours are new tiles, never an old PNG revalidated by a browser.
RAMP_TAG = hashlib.blake2b(repr((RAMP, HEAT_ALPHA)).encode(), digest_size=4).hexdigest()


@lru_cache(maxsize=256)  # keyed by the zone's version: bounded, or every edit would stay in memory
def _zone_3857(zone_id: int, updated: dt.datetime) -> GEOSGeometry:
    return transformed(Zone.objects.get(pk=zone_id).geom, 3857)


def zone_mask(zone_id: int, win: Window) -> np.ndarray:
    """1 inside the district, 0 outside, on the padded window grid (pixel centres)."""
    from affine import Affine
    from rasterio import features

    zone = Zone.objects.only("updated_at").get(pk=zone_id)
    geom = _zone_3857(zone_id, zone.updated_at)
    minx, _miny, _maxx, maxy = win.bounds_3857()
    w, h = win.width + 2 * win.pad, win.height + 2 * win.pad
    affine = Affine(win.res, 0.0, minx, 0.0, -win.res, maxy)
    return features.rasterize(
        [(json.loads(geom.json), 1)], out_shape=(h, w), transform=affine, fill=0, dtype="uint8"
    )


def density(
    community_id: int, win: Window, filters: HeatmapFilters, points: Points | None = None
) -> np.ndarray:
    """Kernel-weighted sums on the (unpadded) window: a lone point of weight 1 peaks at 1."""
    if filters.in_memory:
        grid = bin_memory(points if points is not None else STORE.get(community_id), win, filters)
    else:
        grid = bin_sql(community_id, win, filters)
    if filters.zone:
        grid *= zone_mask(filters.zone, win)
    if not grid.any():
        return np.zeros((win.height, win.width), dtype=np.float32)
    if win.pad == PAD and max(win.width, win.height) <= MATRIX_BLUR_MAX:
        # Tiles: the separable Gaussian as two small matrix products (BLAS), which also
        # crop the padding: 2 ms against 5–7 ms for ndimage on a 292x292 grid, same kernel.
        # One BLAS thread: a worker shares its cores with the others (and OpenBLAS's own
        # threads, spinning on a loaded machine, made it 10x slower).
        with _blas().limit(limits=1, user_api="blas"):
            return _blur_matrix(win.height) @ grid @ _blur_matrix(win.width).T
    blurred = ndimage.gaussian_filter(grid, SIGMA_PX, mode="constant", truncate=3.0)
    blurred /= _kernel_peak()  # a lone point's peak reads 1
    p = win.pad
    return blurred[p : p + win.height, p : p + win.width]


# Windows up to this many pixels a side are blurred by matrix products (a side of n pixels
# costs an n x (n + 2 PAD) float32 matrix: 0.6 MB at 512).
MATRIX_BLUR_MAX = 512


def _kernel_1d() -> np.ndarray:
    """ndimage.gaussian_filter's 1-D weights (sigma SIGMA_PX, truncated at 3 sigma), float64."""
    radius = int(3.0 * SIGMA_PX + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi = np.exp(-0.5 / SIGMA_PX**2 * x**2)
    return phi / phi.sum()


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


@cache
def _kernel_peak() -> np.float32:
    """The centre value of the discrete 2-D kernel (≈ 1 / 2πσ²)."""
    return np.float32(_kernel_1d()[PAD] ** 2)


@cache
def _blur_matrix(n: int) -> np.ndarray:
    """(n, n + 2 PAD) float32: output pixel i = the kernel over padded pixels i … i + 2 PAD,
    scaled so that a lone point's peak reads 1 after both passes."""
    kernel = _kernel_1d()
    assert kernel.shape[0] == 2 * PAD + 1
    kernel = kernel / kernel[PAD]  # two passes: peak = (k[PAD] / k[PAD])² = 1
    out = np.zeros((n, n + 2 * PAD), dtype=np.float32)
    for i in range(n):
        out[i, i : i + 2 * PAD + 1] = kernel
    return out


# ---------------------------------------------------------------- colour, PNG


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@cache
def _lut() -> np.ndarray:
    """256 RGBA entries: the ramp, alpha rising from HEAT_ALPHA[0] to HEAT_ALPHA[1]."""
    stops = np.array([_hex(c) for c in RAMP], dtype=np.float32)
    t = np.linspace(0, 1, 256)
    pos = np.linspace(0, 1, len(RAMP))
    rgb = np.stack([np.interp(t, pos, stops[:, k]) for k in range(3)], axis=1)
    alpha = (HEAT_ALPHA[0] + (HEAT_ALPHA[1] - HEAT_ALPHA[0]) * t) * 255
    return np.concatenate([rgb, alpha[:, None]], axis=1).round().astype(np.uint8)


@cache
def _palette() -> np.ndarray:
    """The PNG palette (256 RGBA): entry 0 transparent, 1–255 the ramp (as _lut, 255 steps)."""
    out = np.zeros((256, 4), dtype=np.uint8)
    out[1:] = _lut()[np.round(np.linspace(0, 255, 255)).astype(np.int64)]
    return out


def ramp_index(values: np.ndarray, vmax: float) -> np.ndarray:
    """uint8 palette indexes: 0 below FLOOR (transparent), else 1 + log1p(v)/log1p(vmax) × 254."""
    scaled = np.log1p(values, dtype=np.float32) * np.float32(254 / math.log1p(vmax))
    index = np.clip(scaled, 0, 254).astype(np.uint8) + np.uint8(1)
    index[values < FLOOR] = 0
    return index


def colourise(values: np.ndarray, vmax: float) -> np.ndarray:
    """RGBA uint8 image: log1p(value)/log1p(vmax) on the ramp; below FLOOR transparent."""
    return _palette()[ramp_index(values, vmax)]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_indexed(index: np.ndarray) -> bytes:
    """An 8-bit palette PNG (PLTE + tRNS) of palette indexes: a quarter of the bytes of RGBA
    to filter and deflate, written directly (no filter search: mostly runs of zeros)."""
    height, width = index.shape
    palette = _palette()
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # each row: filter type 0, pixels
    rows[:, 1:] = index
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)),
            _chunk(b"PLTE", palette[:, :3].tobytes()),
            _chunk(b"tRNS", palette[:, 3].tobytes()),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_LEVEL)),
            _chunk(b"IEND", b""),
        )
    )


# zlib level of tile PNGs: level 1 is ~3x faster than 6 for ~10 % more bytes on these tiles.
PNG_LEVEL = 1


@cache
def empty_png() -> bytes:
    return png_indexed(np.zeros((TILE, TILE), dtype=np.uint8))


def legend(filters: HeatmapFilters, z: int, steps: int = 5) -> list[dict[str, object]]:
    """Colour stops with the values they stand for at zoom z (for the legend)."""
    vmax = filters.vmax_at(z)
    out = []
    for i in range(steps):
        t = i / (steps - 1)
        value = math.expm1(t * math.log1p(vmax))
        r, g, b, a = (int(v) for v in _palette()[1 + min(int(t * 254), 254)])
        out.append(
            {
                "value": round(value, 1),
                "colour": (colour := f"#{r:02x}{g:02x}{b:02x}"),
                "alpha": round(a / 255, 2),
                # As seen on the base map's land (the legend's swatch).
                "seen": over(colour, a / 255, LAND),
            }
        )
    return out


@dataclass(frozen=True)
class HeatTile:
    png: bytes
    etag: str
    engine: str
    empty: bool


class PngCache:
    """Rendered tiles by ETag, least recently used first out, within a byte budget per worker.

    The ETag holds the store version and the filters: a hit is the same picture, and a map
    panning back, a second viewer or a revalidation after a refresh that changed nothing
    costs a dict look-up instead of a render."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, png: bytes) -> None:
        if len(png) > self.budget // 8:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = png
            self.size += len(png)
            while self.size > self.budget:
                _key, old = self._items.popitem(last=False)
                self.size -= len(old)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


# 8 MB: ~1,000 typical tiles (2–20 kB each) per worker.
PNG_CACHE = PngCache(8 * 2**20)


def _etag(community_id: int, z: int, x: int, y: int, filters: HeatmapFilters, stamp: str) -> str:
    return hashlib.blake2b(
        f"heat|{RAMP_TAG}|{community_id}|{z}/{x}/{y}|{filters.key}|{stamp}".encode(), digest_size=16
    ).hexdigest()


def heatmap_tile(*, community_id: int, z: int, x: int, y: int, filters: HeatmapFilters) -> HeatTile:
    win = tile_window(z, x, y)
    points = STORE.get(community_id) if filters.in_memory else None
    engine = "memory" if points is not None else "sql"
    stamp = points.version if points is not None else _sql_stamp(community_id, win, filters)
    etag = _etag(community_id, z, x, y, filters, stamp)
    cached = PNG_CACHE.get(etag)
    if cached is not None:
        return HeatTile(png=cached, etag=etag, engine=engine, empty=cached == empty_png())
    values = density(community_id, win, filters, points)
    index = ramp_index(values, filters.vmax_at(z))
    empty = not index.any()
    png = empty_png() if empty else png_indexed(index)
    PNG_CACHE.put(etag, png)
    return HeatTile(png=png, etag=etag, engine=engine, empty=empty)


def heatmap_etag(*, community_id: int, z: int, x: int, y: int, filters: HeatmapFilters) -> str | None:
    """The tile's ETag without rendering it (memory engine only; None for SQL)."""
    if not filters.in_memory:
        return None
    return _etag(community_id, z, x, y, filters, STORE.get(community_id).version)


def _sql_stamp(community_id: int, win: Window, filters: HeatmapFilters) -> str:
    """count and max(updated_at) of the rows under the window (SQL-path ETags)."""
    minx, miny, maxx, maxy = win.bounds_3857()
    params = {"community": community_id, "source": filters.source, "minx": minx, "miny": miny}
    n, stamp = run_sql(sql_path(__file__, "stamp.sql"), {**params, "maxx": maxx, "maxy": maxy})[0]
    return f"{n}:{stamp.isoformat() if stamp else '-'}"


def heatmap_geotiff(
    *, community_id: int, filters: HeatmapFilters, bbox_3857: tuple[float, float, float, float], z: int = 15
) -> bytes:
    """The density surface over a bbox (EPSG:3857 metres) at zoom z's pixel size, as a
    float32 GeoTIFF (band 1 = kernel-weighted sum, as the tiles before colouring)."""
    from affine import Affine
    from rasterio.io import MemoryFile

    res = tile_size(z) / TILE
    minx, miny, maxx, maxy = bbox_3857
    px0 = int(math.floor((minx + HALF) / res))
    py0 = int(math.floor((HALF - maxy) / res))
    width = max(1, int(math.ceil((maxx + HALF) / res)) - px0)
    height = max(1, int(math.ceil((HALF - miny) / res)) - py0)
    if width * height > 25_000_000:
        raise HeatmapFilterError("z", f"the export would be {width}x{height} pixels: choose a lower zoom.")
    win = Window(z=z, px0=px0, py0=py0, width=width, height=height)
    values = density(community_id, win, filters)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:3857",
        "transform": Affine(res, 0.0, -HALF + px0 * res, 0.0, -res, HALF - py0 * res),
        "compress": "deflate",
        "nodata": None,
    }
    with MemoryFile() as memfile:
        with memfile.open(**profile) as dataset:
            dataset.write(values.astype(np.float32), 1)
            dataset.update_tags(1, weight=filters.weight, unit="kernel-weighted sum, sigma 6 px")
        return memfile.read()
