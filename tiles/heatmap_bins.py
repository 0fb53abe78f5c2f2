"""Binning points into heatmap pixel windows: from the worker's store (numpy) or in SQL.

Split from tiles/heatmaps.py (colouring, PNG, GeoTIFF, ETags).
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from config.sql import run_sql, sql_path

from .heatmap_store import ZREF, Points
from .tilemath import HALF, tile_size

if TYPE_CHECKING:
    from .heatmaps import HeatmapFilters

TILE = 256
SIGMA_PX = 6.0  # Gaussian kernel (pixels); heatmaps.py blurs with it
PAD = int(math.ceil(3 * SIGMA_PX))  # kernel truncated at 3 sigma: the margin binned around a window


@dataclass(frozen=True)
class Window:
    """A pixel window at zoom z: top-left world pixel (px0, py0), size, and padding."""

    z: int
    px0: int
    py0: int
    width: int
    height: int
    pad: int = PAD

    @property
    def res(self) -> float:
        """Pixel size, EPSG:3857 metres."""
        return tile_size(self.z) / TILE

    def bounds_3857(self, padded: bool = True) -> tuple[float, float, float, float]:
        pad = self.pad if padded else 0
        minx = -HALF + (self.px0 - pad) * self.res
        maxy = HALF - (self.py0 - pad) * self.res
        return minx, maxy - (self.height + 2 * pad) * self.res, minx + (self.width + 2 * pad) * self.res, maxy


def tile_window(z: int, x: int, y: int) -> Window:
    return Window(z=z, px0=x * TILE, py0=y * TILE, width=TILE, height=TILE)


def _weights(points: Points, index: np.ndarray, weight: str) -> np.ndarray | None:
    if weight == "m2":
        return points.m2[index]
    if weight == "returns":
        return points.ret[index].astype(np.float32)
    return None


def _point_mask(points: Points, lo: int, hi: int, filters: "HeatmapFilters") -> np.ndarray:
    """Which points of points[lo:hi] pass the date, category, team and weight filters."""
    mask = np.ones(hi - lo, dtype=bool)
    if filters.date_from or filters.date_to:
        days = points.day[lo:hi]
        if filters.date_from:
            mask &= days >= (filters.date_from - dt.date(2000, 1, 1)).days
        if filters.date_to:
            mask &= days <= (filters.date_to - dt.date(2000, 1, 1)).days
    if filters.categories:
        mask &= np.isin(points.cat[lo:hi], filters.categories)
    if filters.team:
        mask &= points.team[lo:hi] == filters.team
    if filters.weight == "returns":
        mask &= points.ret[lo:hi]
    return mask


# Low zooms: a tile holds most of the town, so binning per tile redoes the same O(n) work.
# Bin the whole town once per (store version, zoom, filters) and cut tiles out of it, for
# grids up to TOWN_GRID_CELLS (4 MB of float32); at most TOWN_GRIDS kept per worker.
TOWN_GRID_CELLS = 1 << 20
TOWN_GRIDS = 6
_town_grids: dict[tuple, tuple[np.ndarray, int, int] | None] = {}


def _town_grid(points: Points, z: int, filters: "HeatmapFilters") -> tuple[np.ndarray, int, int] | None:
    """(grid, col0, row0): the binned points of the whole store at zoom z, or None if too big."""
    key = (id(points), points.version, z, filters.weight, filters.categories, filters.team,
           filters.date_from, filters.date_to)  # fmt: skip
    if key in _town_grids:
        return _town_grids[key]
    shift = ZREF - z
    if len(points) == 0:
        return None
    x0, x1 = int(points.x[0]) >> shift, int(points.x[-1]) >> shift
    y0, y1 = int(points.y.min()) >> shift, int(points.y.max()) >> shift
    w, h = x1 - x0 + 1, y1 - y0 + 1
    found: tuple[np.ndarray, int, int] | None = None
    if w * h <= TOWN_GRID_CELLS:
        index = np.flatnonzero(_point_mask(points, 0, len(points), filters))
        cols = (points.x[index] >> shift).astype(np.int64) - x0
        rows = (points.y[index] >> shift).astype(np.int64) - y0
        flat = np.bincount(rows * w + cols, weights=_weights(points, index, filters.weight), minlength=w * h)
        found = (flat.astype(np.float32).reshape(h, w), x0, y0)
    while len(_town_grids) >= TOWN_GRIDS:
        _town_grids.pop(next(iter(_town_grids)))
    _town_grids[key] = found
    return found


def _cut(town: tuple[np.ndarray, int, int], win: Window) -> np.ndarray:
    grid, x0, y0 = town
    w, h = win.width + 2 * win.pad, win.height + 2 * win.pad
    out = np.zeros((h, w), dtype=np.float32)
    left, top = win.px0 - win.pad - x0, win.py0 - win.pad - y0  # window origin in the town grid
    c0, r0 = max(left, 0), max(top, 0)
    c1, r1 = min(left + w, grid.shape[1]), min(top + h, grid.shape[0])
    if c1 > c0 and r1 > r0:
        out[r0 - top : r1 - top, c0 - left : c1 - left] = grid[r0:r1, c0:c1]
    return out


def bin_memory(points: Points, win: Window, filters: "HeatmapFilters", *, pyramid: bool = True) -> np.ndarray:
    """Weighted counts on the padded window grid (float32, rows southwards)."""
    if pyramid and win.z <= 13 and win.width <= TILE:
        town = _town_grid(points, win.z, filters)
        if town is not None:
            return _cut(town, win)
    shift = ZREF - win.z
    w, h = win.width + 2 * win.pad, win.height + 2 * win.pad
    x_lo, y_lo = win.px0 - win.pad, win.py0 - win.pad
    lo = max(x_lo, 0) << shift
    hi = max(x_lo + w, 0) << shift
    i0, i1 = np.searchsorted(points.x, [lo, hi])
    grid = np.zeros(h * w, dtype=np.float32)
    if i1 <= i0:
        return grid.reshape(h, w)
    ys = points.y[i0:i1]
    mask = (ys >= (max(y_lo, 0) << shift)) & (ys < (max(y_lo + h, 0) << shift))
    mask &= _point_mask(points, int(i0), int(i1), filters)
    index = np.flatnonzero(mask) + i0
    if index.size == 0:
        return grid.reshape(h, w)
    cols = (points.x[index] >> shift).astype(np.int64) - x_lo
    rows = (points.y[index] >> shift).astype(np.int64) - y_lo
    weights = _weights(points, index, filters.weight)
    grid += np.bincount(rows * w + cols, weights=weights, minlength=h * w)[: h * w].astype(np.float32)
    return grid.reshape(h, w)


def bin_sql(community_id: int, win: Window, filters: "HeatmapFilters") -> np.ndarray:
    """The same grid as bin_memory, binned by PostgreSQL (reports, other statuses)."""
    w, h = win.width + 2 * win.pad, win.height + 2 * win.pad
    minx, _miny, _maxx, maxy = win.bounds_3857()
    date_from, date_to = filters.bounds()
    params = {
        "community": community_id,
        "source": filters.source,
        "weight": filters.weight,
        "minx": minx,
        "maxy": maxy,
        "res": win.res,
        "width": w,
        "height": h,
        "statuses": list(filters.statuses),
        "date_from": date_from,
        "date_to": date_to,
        "categories": list(filters.categories) or None,
        "team": filters.team,
    }
    rows = run_sql(sql_path(__file__, "heatmap_bins.sql"), params)
    grid = np.zeros((h, w), dtype=np.float32)
    if rows:
        data = np.array(rows, dtype=np.float64)
        c, r = data[:, 0].astype(np.int64), data[:, 1].astype(np.int64)
        ok = (c >= 0) & (c < w) & (r >= 0) & (r < h)
        np.add.at(grid, (r[ok], c[ok]), data[ok, 2].astype(np.float32))
    return grid
