"""Low-zoom heatmap tiles cut from one town pyramid: each level is the direct binning."""

import datetime as dt

import numpy as np
import pytest

from tiles.heatmap import bins
from tiles.heatmap.bins import bin_memory, tile_window, town_pyramid
from tiles.heatmap.filters import HeatmapFilters
from tiles.heatmap.points import Points, points_order
from tiles.heatmap.store import STORE


def _points(n: int, seed: int, *, spread: int) -> Points:
    """n points around Poitiers (zoom-22 pixels), `spread` pixels wide, clustered like a town."""
    rng = np.random.default_rng(seed)
    x0, y0 = 527_000_123, 373_000_457  # odd origins: the 2×2 sums must align on even pixels
    x = (x0 + np.abs(rng.normal(0, spread / 4, n)) % spread).astype(np.uint32)
    y = (y0 + np.abs(rng.normal(0, spread / 4, n)) % spread).astype(np.uint32)
    order = points_order(x, y)
    return Points(
        id=np.arange(n, dtype=np.int64), x=x[order], y=y[order],
        day=rng.integers(9000, 9100, n).astype(np.uint16)[order],
        cat=rng.integers(1, 4, n).astype(np.int32)[order], team=np.zeros(n, dtype=np.int32),
        asset=np.zeros(n, dtype=np.int32), m2=(rng.integers(1, 2000, n) / 100).astype(np.float32)[order],
        tag=np.ones(n, dtype=bool), ret=np.zeros(n, dtype=bool), high_water=float(seed),
    )  # fmt: skip


def _tiles_over(points: Points, z: int) -> list[tuple[int, int, int]]:
    shift = 22 - z + 8
    xs = range(int(points.x.min()) >> shift, (int(points.x.max()) >> shift) + 1)
    ys = range(int(points.y.min()) >> shift, (int(points.y.max()) >> shift) + 1)
    return [(z, x, y) for x in xs for y in ys]


FILTERS = [
    HeatmapFilters(),
    HeatmapFilters(categories=(2,), date_from=dt.date(2024, 9, 20)),
    HeatmapFilters(weight="m2"),
]


@pytest.mark.parametrize("filters", FILTERS)
def test_every_level_is_the_direct_binning(filters, monkeypatch):
    monkeypatch.setattr(bins, "TOWN_CHUNK", 7_000)  # binned in three chunks, the last one short
    points = _points(20_000, 1, spread=3 * 2**14)  # ~3 zoom-16 tiles wide
    pyramid = town_pyramid(points, filters)
    assert set(pyramid) == set(range(0, bins.TOWN_GRID_MAX_ZOOM + 1))
    for z in (8, 10, 12, 13, 14, 15):
        for t in _tiles_over(points, z):
            direct = bin_memory(points, tile_window(*t), filters, pyramid=False)
            cut = bin_memory(points, tile_window(*t), filters)
            if filters.weight == "count":
                assert np.array_equal(direct, cut), t  # counts are exact
            else:
                assert np.allclose(direct, cut, rtol=1e-6), t
    every = np.arange(len(points))
    passing = every[bins._point_mask(points, every, filters)]
    weight = len(passing) if filters.weight == "count" else float(points.m2[passing].astype(np.float64).sum())
    assert pyramid[0][0].shape == (1, 1) and pyramid[0][0][0, 0] == pytest.approx(weight, rel=1e-6)


def test_a_town_too_big_for_the_finest_grid_starts_lower(monkeypatch):
    monkeypatch.setattr(bins, "TOWN_GRID_CELLS", 5_000)
    points = _points(5_000, 2, spread=2**17)  # ~8 zoom-16 tiles wide: 4 Mpx at z15
    pyramid = town_pyramid(points, HeatmapFilters())
    finest = max(pyramid)
    assert finest < bins.TOWN_GRID_MAX_ZOOM and pyramid[finest][0].size <= 5_000
    for z in (finest - 1, finest, finest + 1):
        for t in _tiles_over(points, z):
            direct = bin_memory(points, tile_window(*t), HeatmapFilters(), pyramid=False)
            assert np.array_equal(direct, bin_memory(points, tile_window(*t), HeatmapFilters())), t


def test_the_store_bins_the_default_pyramid_with_the_load(community):
    from tests.dashboards.helpers import cleaning
    from tests.factories import CategoryFactory

    tag = CategoryFactory(community=community)
    for i in range(5):
        cleaning(community, tag, day="2025-01-10", dx=40 * i)
    STORE.forget()
    points = STORE.get(community.pk, max_age=0)
    key = (id(points), points.version, "count", (), None, None, None)
    assert key in bins._town_grids  # no low-zoom tile will pay the pass over the points
    assert bins._town_grids[key][10][0].sum() == 5
    STORE.forget()


@pytest.mark.parametrize("filters", FILTERS)
def test_binning_column_ranges_is_binning_row_numbers(filters, monkeypatch):
    """High zooms bin each zoom-16 column's rows as a slice; the same grid as gathering rows."""
    points = _points(20_000, 3, spread=3 * 2**14)
    tiles = [t for z in (14, 15, 16, 17) for t in _tiles_over(points, z)]
    ranged = [bin_memory(points, tile_window(*t), filters, pyramid=False) for t in tiles]
    monkeypatch.setattr(bins, "MAX_SEARCHED_COLUMNS", 0)  # every window: row numbers, masked
    for t, grid in zip(tiles, ranged, strict=True):
        assert np.array_equal(grid, bin_memory(points, tile_window(*t), filters, pyramid=False)), t
    assert sum(float(g.sum()) for g in ranged) > 0


def test_a_dense_store_gets_finer_town_grids(monkeypatch):
    """More points than pixels: the grid is worth a finer zoom (at 10M points, z16 tiles
    are cut from it instead of binning ~600k points each)."""
    monkeypatch.setattr(bins, "TOWN_GRID_CELLS", 5_000)
    spread = 2**17  # 128 px at z12 (16k cells), 256 at z13 (65k), 512 at z14 (262k)
    sparse = town_pyramid(_points(5_000, 4, spread=spread), HeatmapFilters())
    dense_points = _points(200_000, 4, spread=spread)  # room for 100k cells
    dense = town_pyramid(dense_points, HeatmapFilters())
    assert max(sparse) == 11 and max(dense) == 13
    for t in _tiles_over(dense_points, 13):
        direct = bin_memory(dense_points, tile_window(*t), HeatmapFilters(), pyramid=False)
        assert np.array_equal(direct, bin_memory(dense_points, tile_window(*t), HeatmapFilters())), t
