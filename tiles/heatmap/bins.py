"""Binning points into heatmap pixel windows: from the worker's store (numpy) or in SQL.

render.py blurs and colours the grids made here.
"""

import datetime as dt
import math
import threading
from dataclasses import dataclass

import numpy as np

from core.sql import run_sql, sql_path

from ..tilemath import HALF, tile_size
from .filters import HeatmapFilters
from .points import COL_SHIFT, ZREF, Points

TILE = 256
SIGMA_PX = 6.0  # Gaussian kernel (pixels); render.py blurs with it
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


Rows = np.ndarray | slice  # row numbers, or a range of rows (a view: no gather)


def _weights(points: Points, index: Rows, weight: str) -> np.ndarray | None:
    if weight == "m2":
        return points.m2[index]
    if weight == "returns":
        return points.ret[index].astype(np.float32)
    return None


def _point_mask(points: Points, index: Rows, filters: HeatmapFilters) -> np.ndarray:
    """Which of the rows `index` pass the date, category, team and weight filters."""
    mask = np.ones(points.x[index].shape[0], dtype=bool)  # a view for a slice, a gather else
    if filters.date_from or filters.date_to:
        days = points.day[index]
        if filters.date_from:
            mask &= days >= (filters.date_from - dt.date(2000, 1, 1)).days
        if filters.date_to:  # exclusive
            mask &= days < (filters.date_to - dt.date(2000, 1, 1)).days
    if filters.categories:
        mask &= np.isin(points.cat[index], filters.categories)
    if filters.team:
        mask &= points.team[index] == filters.team
    if filters.weight == "returns":
        mask &= points.ret[index]
    return mask


def _unfiltered(filters: HeatmapFilters) -> bool:
    return not (filters.date_from or filters.date_to or filters.categories or filters.team) and (
        filters.weight != "returns"
    )


# Low zooms: a tile holds most of the town, so binning per tile redoes the same O(n) work.
# Bin the whole town once per (store version, filters) at the finest zoom up to
# TOWN_GRID_MAX_ZOOM whose grid has at most TOWN_GRID_CELLS pixels (4 MB of float32), derive
# every coarser zoom by summing 2×2 pixels (a pixel at zoom z - 1 is exactly its four
# children), and cut tiles out of these grids; at most TOWN_GRIDS pyramids kept per worker.
# One pass instead of one per zoom: at 10M points a pass costs ~0.3 s, and the first tile
# of each zoom used to pay it (first-pass p95 417 ms through HTTP at 10M).
# Up to zoom TOWN_GRID_MAX_ZOOM: a 5-km town is 0.7 Mpx at z15 (2.8 MB), 2.8 Mpx at z16 (11 MB).
# A finer grid is worth it when it has fewer pixels than there are points: hence at most
# max(TOWN_GRID_CELLS, points / TOWN_POINTS_PER_CELL) pixels. At 1M points the town stops
# at z15 (a z16 tile is ~60k points: binned directly in a few ms); at 10M it goes to z16,
# whose tiles held up to ~600k points each (binning them was 80 % of a z16 tile's time).
TOWN_GRID_CELLS = 1 << 20
TOWN_POINTS_PER_CELL = 2
TOWN_GRID_MAX_ZOOM = 16
TOWN_GRIDS = 4
# Points binned per chunk of this many rows: small temporaries (a few MB, not ~300 MB at 10M
# points, which a worker would keep resident), and views of the columns when unfiltered.
TOWN_CHUNK = 1 << 20
Town = tuple[np.ndarray, int, int]  # (grid, col0, row0): float32, world pixel of grid[0, 0]
_town_grids: dict[tuple, dict[int, Town]] = {}
_town_lock = threading.Lock()


def _pool(town: tuple[np.ndarray, int, int]) -> tuple[np.ndarray, int, int]:
    """The same sums one zoom out (float64): each pixel the sum of its 2×2 children."""
    grid, x0, y0 = town
    left, top = x0 & 1, y0 & 1  # align the grid's origin on even pixels
    h, w = grid.shape[0] + top, grid.shape[1] + left
    padded = np.zeros((h + (h & 1), w + (w & 1)), dtype=grid.dtype)
    padded[top : top + grid.shape[0], left : left + grid.shape[1]] = grid
    pooled = padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2).sum(axis=(1, 3))
    return pooled, x0 >> 1, y0 >> 1


# The finest town grid: (zoom, float64 sums (rows southwards), world pixel of [0, 0]).
Finest = tuple[int, np.ndarray, int, int]


def town_finest(points: Points, filters: HeatmapFilters) -> Finest | None:
    """The finest town grid that fits (one binning pass over the points); None if empty."""
    if not len(points):
        return None
    xmin, xmax, ymin, ymax = (
        int(points.x.min()),
        int(points.x.max()),
        int(points.y.min()),
        int(points.y.max()),
    )
    z, cells = TOWN_GRID_MAX_ZOOM, max(TOWN_GRID_CELLS, len(points) // TOWN_POINTS_PER_CELL)
    while (
        z >= 0
        and ((xmax >> (ZREF - z)) - (xmin >> (ZREF - z)) + 1)
        * ((ymax >> (ZREF - z)) - (ymin >> (ZREF - z)) + 1)
        > cells
    ):
        z -= 1
    if z < 0:
        return None
    shift = ZREF - z
    x0, y0 = xmin >> shift, ymin >> shift
    w, h = (xmax >> shift) - x0 + 1, (ymax >> shift) - y0 + 1
    sums = np.zeros(w * h, dtype=np.float64)
    for start in range(0, len(points), TOWN_CHUNK):
        rows: Rows = slice(start, start + TOWN_CHUNK)
        if not _unfiltered(filters):
            rows = np.flatnonzero(_point_mask(points, rows, filters)) + start
        # int32 pixel offsets (the grid has at most TOWN_GRID_CELLS pixels).
        col = (points.x[rows] >> np.uint32(shift)).view(np.int32)
        col -= np.int32(x0)
        flat = (points.y[rows] >> np.uint32(shift)).view(np.int32)
        flat -= np.int32(y0)
        flat *= np.int32(w)
        flat += col
        weights = _weights(points, rows, filters.weight)
        sums += np.bincount(flat, weights=weights, minlength=w * h)
    return z, sums.reshape(h, w), x0, y0


def town_pyramid(points: Points, filters: HeatmapFilters, *, finest: Finest | None = None) -> dict[int, Town]:
    """Town grids by zoom (0 … the finest that fits), from one binning pass over the store,
    or from `finest` (town_finest's result, stored with the snapshot file: no pass)."""
    key = (id(points), points.version, filters.weight, filters.categories, filters.team,
           filters.date_from, filters.date_to)  # fmt: skip
    found = _town_grids.get(key)
    if found is not None:
        return found
    pyramid: dict[int, Town] = {}
    if finest is None:
        finest = town_finest(points, filters)
    if finest is not None:
        z, grid, x0, y0 = finest
        level = (grid, x0, y0)
        for zoom in range(z, -1, -1):  # float64 sums: counts stay exact at any size
            pyramid[zoom] = (level[0].astype(np.float32), level[1], level[2])
            if zoom:
                level = _pool(level)
    with _town_lock:
        while len(_town_grids) >= TOWN_GRIDS:
            _town_grids.pop(next(iter(_town_grids)))
        _town_grids[key] = pyramid
    return pyramid


def town_forget(points: Points) -> None:
    """Drop the town grids of points that are being replaced (a store swapping in a new
    version): at 10M points a pyramid is ~15 MB, kept otherwise until TOWN_GRIDS newer ones."""
    with _town_lock:
        for key in [key for key in _town_grids if key[0] == id(points)]:
            del _town_grids[key]


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


# A window spanning more zoom-16 columns than this reads their rows as one slice and masks y
# (a binary search per column costs more than the mask then).
MAX_SEARCHED_COLUMNS = 16


def window_rows(points: Points, x_lo: int, x_hi: int, y_lo: int, y_hi: int) -> np.ndarray:
    """Row numbers of the points with x_lo <= x < x_hi and y_lo <= y < y_hi (zoom-22 px)."""
    if len(points) == 0 or x_hi <= x_lo or y_hi <= y_lo:
        return np.zeros(0, dtype=np.int64)
    first, starts = points.columns
    c0 = max((x_lo >> COL_SHIFT) - first, 0)
    c1 = min(((x_hi - 1) >> COL_SHIFT) - first, starts.shape[0] - 2)  # inclusive
    if c1 < c0:
        return np.zeros(0, dtype=np.int64)
    if c1 - c0 >= MAX_SEARCHED_COLUMNS:
        lo, hi = int(starts[c0]), int(starts[c1 + 1])
        ys = points.y[lo:hi]
        rows = np.flatnonzero((ys >= y_lo) & (ys < y_hi)) + lo
    else:
        pieces = []
        for c in range(c0, c1 + 1):
            lo, hi = int(starts[c]), int(starts[c + 1])
            i, j = np.searchsorted(points.y[lo:hi], [y_lo, y_hi])
            if j > i:
                pieces.append(np.arange(lo + i, lo + j))
        if not pieces:
            return np.zeros(0, dtype=np.int64)
        rows = np.concatenate(pieces)
    xs = points.x[rows]  # the first and last columns may stick out of the window
    return rows[(xs >= x_lo) & (xs < x_hi)]


def window_ranges(points: Points, x_lo: int, x_hi: int, y_lo: int, y_hi: int) -> list[tuple[int, int]] | None:
    """The rows of window_rows as ranges (one per zoom-16 column, y inside; the first and
    last columns' x may stick out), or None when the window spans too many columns."""
    if len(points) == 0 or x_hi <= x_lo or y_hi <= y_lo:
        return []
    first, starts = points.columns
    c0 = max((x_lo >> COL_SHIFT) - first, 0)
    c1 = min(((x_hi - 1) >> COL_SHIFT) - first, starts.shape[0] - 2)  # inclusive
    if c1 - c0 >= MAX_SEARCHED_COLUMNS:
        return None
    out = []
    for c in range(c0, c1 + 1):
        lo, hi = int(starts[c]), int(starts[c + 1])
        i, j = np.searchsorted(points.y[lo:hi], [y_lo, y_hi])
        if j > i:
            out.append((lo + int(i), lo + int(j)))
    return out


def _bin_ranges(
    points: Points, ranges: list[tuple[int, int]], win: Window, filters: HeatmapFilters
) -> np.ndarray:
    """bin_memory over row ranges: the columns read as views (slices), no row numbers made
    nor gathered (at 10M points a zoom-16 tile holds up to ~10^5 of them)."""
    shift = np.uint32(ZREF - win.z)
    w, h = win.width + 2 * win.pad, win.height + 2 * win.pad
    x_lo, y_lo = win.px0 - win.pad, win.py0 - win.pad
    flats, weights = [], []
    for lo, hi in ranges:
        rows = slice(lo, hi)
        # Pixel column and row in int32 (x >> shift < 2^30; a window is < 2^31 pixels).
        col = (points.x[rows] >> shift).view(np.int32)
        col -= np.int32(x_lo)
        flat = (points.y[rows] >> shift).view(np.int32)
        flat -= np.int32(y_lo)  # within [0, h): the range was searched on y
        flat *= np.int32(w)
        flat += col
        keep = (col >= 0) & (col < w)  # the first and last columns stick out in x
        if not _unfiltered(filters):
            keep &= _point_mask(points, rows, filters)
        weight = _weights(points, rows, filters.weight)
        if not keep.all():
            flat = flat[keep]
            weight = None if weight is None else weight[keep]
        flats.append(flat)
        if weight is not None:
            weights.append(weight)
    if not flats:
        return np.zeros((h, w), dtype=np.float32)
    flat = np.concatenate(flats) if len(flats) > 1 else flats[0]
    weight = (np.concatenate(weights) if len(weights) > 1 else weights[0]) if weights else None
    return np.bincount(flat, weights=weight, minlength=h * w)[: h * w].astype(np.float32).reshape(h, w)


def bin_memory(points: Points, win: Window, filters: HeatmapFilters, *, pyramid: bool = True) -> np.ndarray:
    """Weighted counts on the padded window grid (float32, rows southwards)."""
    if pyramid and win.z <= TOWN_GRID_MAX_ZOOM and win.width <= TILE:
        town = town_pyramid(points, filters).get(win.z)
        if town is not None:
            return _cut(town, win)
    shift = ZREF - win.z
    w, h = win.width + 2 * win.pad, win.height + 2 * win.pad
    x_lo, y_lo = win.px0 - win.pad, win.py0 - win.pad
    bounds = (
        max(x_lo, 0) << shift,
        max(x_lo + w, 0) << shift,
        max(y_lo, 0) << shift,
        max(y_lo + h, 0) << shift,
    )
    ranges = window_ranges(points, *bounds)
    if ranges is not None:
        return _bin_ranges(points, ranges, win, filters)
    index = window_rows(points, *bounds)
    if index.size and not _unfiltered(filters):
        index = index[_point_mask(points, index, filters)]
    if index.size == 0:
        return np.zeros((h, w), dtype=np.float32)
    cols = (points.x[index] >> shift).astype(np.int64) - x_lo
    rows = (points.y[index] >> shift).astype(np.int64) - y_lo
    weights = _weights(points, index, filters.weight)
    flat = np.bincount(rows * w + cols, weights=weights, minlength=h * w)[: h * w]
    return flat.astype(np.float32).reshape(h, w)


def bin_sql(community_id: int, win: Window, filters: HeatmapFilters) -> np.ndarray:
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
    rows = run_sql(sql_path(__file__, "bins.sql"), params)
    grid = np.zeros((h, w), dtype=np.float32)
    if rows:
        data = np.array(rows, dtype=np.float64)
        c, r = data[:, 0].astype(np.int64), data[:, 1].astype(np.int64)
        ok = (c >= 0) & (c < w) & (r >= 0) & (r < h)
        np.add.at(grid, (r[ok], c[ok]), data[ok, 2].astype(np.float32))
    return grid
