"""Heatmap PNG tiles: pixels, transparency, filters, refresh, ETag, tenancy, GeoTIFF."""

import io
import math

import numpy as np
import pytest
from django.contrib.gis.geos import MultiPolygon
from django.test import override_settings
from PIL import Image

from accounts.models import Role
from interventions.models import InterventionStatus
from tests.dashboards.helpers import cleaning, point, surface_site
from tests.factories import POITIERS, CategoryFactory, TeamFactory, ZoneFactory, member, square
from tiles.heatmap.bins import tile_window
from tiles.heatmap.filters import HeatmapFilters
from tiles.heatmap.render import density
from tiles.heatmap.store import STORE
from tiles.tilemath import HALF

Z = 16


@pytest.fixture(autouse=True)
def fresh_store():
    STORE.forget()
    yield
    STORE.forget()


def pixel_of(geom, z=Z):
    """(tile x, tile y, column, row) of a point at zoom z, computed independently."""
    merc = geom.transform(3857, clone=True)
    scale = 256 * 2**z / (2 * HALF)
    px, py = (merc.x + HALF) * scale, (HALF - merc.y) * scale
    return int(px // 256), int(py // 256), int(math.floor(px)) % 256, int(math.floor(py)) % 256


@pytest.fixture
def viewer(client, community):
    client.force_login(member(community, Role.VIEWER))
    return client


def get_png(client, z, x, y, **query):
    response = client.get(f"/tiles/heatmap/{z}/{x}/{y}.png", query)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/png"
    return response, np.asarray(Image.open(io.BytesIO(response.content)).convert("RGBA"))


def test_a_single_point_lands_in_its_pixel(viewer, community):
    tag = CategoryFactory(community=community)
    removal = cleaning(community, tag, day="2025-01-10", dx=37.3, dy=-12.9)
    tx, ty, col, row = pixel_of(removal.geom)
    response, image = get_png(viewer, Z, tx, ty, vmax="1.5")
    alpha = image[:, :, 3]
    # The palette index rises with the value (the colours and alpha are core/palette.py's).
    index = np.asarray(Image.open(io.BytesIO(response.content)))
    assert np.unravel_index(index.argmax(), index.shape) == (row, col)
    assert alpha[row, col] > 0 and alpha[(row + 60) % 256, (col + 60) % 256] == 0
    assert response["X-Heatmap-Engine"] == "memory"
    values = density(community.pk, tile_window(Z, tx, ty), HeatmapFilters())
    assert values[row, col] == pytest.approx(1.0, rel=1e-3)  # a lone point peaks at 1


def test_empty_tile_is_transparent(viewer, community):
    tag = CategoryFactory(community=community)
    removal = cleaning(community, tag, day="2025-01-10")
    tx, ty, _col, _row = pixel_of(removal.geom)
    _response, image = get_png(viewer, Z, tx + 3, ty)
    assert image.shape == (256, 256, 4) and not image[:, :, 3].any()


def test_sql_fallback_draws_the_same_tile(viewer, community):
    tag = CategoryFactory(community=community)
    for i in range(5):
        cleaning(community, tag, day="2025-01-10", dx=8 * i, dy=3 * i, surface_m2=i + 1)
    tx, ty, _c, _r = pixel_of(point(16, 6))
    for weight in ("count", "m2"):
        memory = density(community.pk, tile_window(Z, tx, ty), HeatmapFilters(weight=weight, engine="memory"))
        sql = density(community.pk, tile_window(Z, tx, ty), HeatmapFilters(weight=weight, engine="sql"))
        assert memory.sum() > 0 and np.allclose(memory, sql, atol=1e-4)
    _response, image = get_png(viewer, Z, tx, ty, source="reports")
    assert not image[:, :, 3].any()  # no reports: answered by SQL, empty


def test_filters_select_points(viewer, community):
    tag, other = CategoryFactory(community=community), CategoryFactory(community=community)
    team = TeamFactory(community=community)
    inside = ZoneFactory(community=community, geom=MultiPolygon(square(POITIERS[0], POITIERS[1], 20)))
    cleaning(community, tag, day="2025-01-10", team=team)
    cleaning(community, other, day="2025-03-10", dx=60)
    tx, ty, _c, _r = pixel_of(point())

    def total(**kw):
        return density(community.pk, tile_window(Z, tx, ty), HeatmapFilters(**kw)).sum()

    both = total()
    assert total(categories=(tag.pk,)) == pytest.approx(both / 2, rel=0.05)
    assert total(team=team.pk) == pytest.approx(both / 2, rel=0.05)
    import datetime as dt

    assert total(date_from=dt.date(2025, 3, 1)) == pytest.approx(both / 2, rel=0.05)
    assert total(date_to=dt.date(2025, 1, 1)) == 0
    # A period is [date_from, date_to), as on the dashboards: 10 January is in up to the 11th.
    assert total(date_to=dt.date(2025, 1, 10)) == 0
    assert total(date_to=dt.date(2025, 1, 11)) == pytest.approx(both / 2, rel=0.05)
    # The query string's date_to is the last day shown, in memory and in SQL alike.
    for engine in ("memory", "sql"):
        last_day = {"date_to": "2025-01-10", "engine": engine, "vmax": "1.5"}
        _response, image = get_png(viewer, Z, tx, ty, **last_day)
        assert image[:, :, 3].any(), engine
        _response, image = get_png(viewer, Z, tx, ty, **(last_day | {"date_to": "2025-01-09"}))
        assert not image[:, :, 3].any(), engine
    assert total(zone=inside.pk) == pytest.approx(both / 2, rel=0.05)
    # Redrawing the district changes the tile's identity (ETag), not only its pixels.
    before = viewer.get(f"/tiles/heatmap/{Z}/{tx}/{ty}.png", {"zone": inside.pk})
    inside.geom = MultiPolygon(square(POITIERS[0] + 60, POITIERS[1], 20))
    inside.save()
    after = viewer.get(
        f"/tiles/heatmap/{Z}/{tx}/{ty}.png", {"zone": inside.pk}, HTTP_IF_NONE_MATCH=before["ETag"]
    )
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    # Through HTTP, a bad filter is a 400 naming it.
    response = viewer.get(f"/tiles/heatmap/{Z}/{tx}/{ty}.png", {"weight": "kg"})
    assert response.status_code == 400 and response.json()["field"] == "weight"
    response = viewer.get(f"/tiles/heatmap/{Z}/{tx}/{ty}.png", {"colour": "red"})
    assert response.status_code == 400 and response.json()["field"] == "colour"


def test_filters_written_as_a_query_read_back_the_same(community):
    """Other pages (the dashboards) write tile URLs from HeatmapFilters: the query string's
    date_to is the last day shown, the filters' the day after (a half-open period)."""
    import datetime as dt
    from dataclasses import replace

    from tiles.heatmap.filters import HeatmapFilterError, parse_heatmap_filters

    zone, team = ZoneFactory(community=community), TeamFactory(community=community)
    march = HeatmapFilters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 4, 1))
    assert march.query() == {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    every = HeatmapFilters(
        weight="m2",
        categories=(3, 7),
        date_from=dt.date(2025, 3, 1),
        date_to=dt.date(2025, 4, 1),
        zone=zone.pk,
        team=team.pk,
        statuses=(InterventionStatus.DONE, InterventionStatus.SCHEDULED),
        vmax=2.5,
        engine="sql",
    )
    for filters in (march, every, HeatmapFilters(source="reports")):
        again = parse_heatmap_filters(filters.query(), community_id=community.pk)
        assert replace(again, given={}) == filters
    with pytest.raises(HeatmapFilterError) as err:
        parse_heatmap_filters({"date_to": "9999-12-31"}, community_id=community.pk)
    assert err.value.name == "date_to"


def test_returns_weight_counts_only_returns(community):
    tag = CategoryFactory(community=community)
    from tests.dashboards.helpers import surface_site

    site = surface_site(community)
    cleaning(community, tag, day="2025-01-10", site=site)
    cleaning(community, tag, day="2025-02-10", site=site)
    cleaning(community, tag, day="2025-02-10", dx=80)
    tx, ty, _c, _r = pixel_of(point())
    values = density(community.pk, tile_window(Z, tx, ty), HeatmapFilters(weight="returns"))
    assert values.max() == pytest.approx(1.0, rel=1e-3)  # one return, on the site


def test_new_intervention_shows_after_refresh(viewer, community):
    tag = CategoryFactory(community=community)
    first = cleaning(community, tag, day="2025-01-10")
    tx, ty, col, row = pixel_of(first.geom)
    second_geom = point(dx=40)
    _tx, _ty, col2, row2 = pixel_of(second_geom)
    response, image = get_png(viewer, Z, tx, ty)
    etag = response["ETag"]
    assert viewer.get(f"/tiles/heatmap/{Z}/{tx}/{ty}.png", HTTP_IF_NONE_MATCH=etag).status_code == 304
    second = cleaning(community, tag, day="2025-01-11", dx=40)
    with override_settings(RONDE_HEATMAP_REFRESH_S=3600):
        _r, stale = get_png(viewer, Z, tx, ty)
    assert stale[row2, col2, 3] == 0  # not yet: this worker refreshes at most every hour here
    with override_settings(RONDE_HEATMAP_REFRESH_S=0):
        response, image = get_png(viewer, Z, tx, ty)
        assert image[row2, col2, 3] > 0 and response["ETag"] != etag
        second.status = InterventionStatus.NOT_DONE
        second.save()
        _r, image = get_png(viewer, Z, tx, ty)
        assert image[row2, col2, 3] == 0 and image[row, col, 3] > 0


def test_tiles_are_per_community(client, community, other_community):
    other_tag = CategoryFactory(community=other_community)
    removal = cleaning(other_community, other_tag, day="2025-01-10")
    tx, ty, _c, _r = pixel_of(removal.geom)
    assert client.get(f"/tiles/heatmap/{Z}/{tx}/{ty}.png").status_code == 401
    client.force_login(member(community, Role.VIEWER))
    _response, image = get_png(client, Z, tx, ty)
    assert not image[:, :, 3].any()  # the other community's tag is not drawn
    foreign_zone = ZoneFactory(community=other_community)
    response = client.get(f"/tiles/heatmap/{Z}/{tx}/{ty}.png", {"zone": foreign_zone.pk})
    assert response.status_code == 400 and response.json()["field"] == "zone"


def test_legend_and_geotiff(viewer, community):
    import rasterio
    from rasterio.io import MemoryFile

    tag = CategoryFactory(community=community)
    removal = cleaning(community, tag, day="2025-01-10")
    legend = viewer.get("/tiles/heatmap/legend.json", {"z": 14}).json()
    assert len(legend["stops"]) == 5 and legend["stops"][-1]["value"] > legend["stops"][0]["value"]
    response = viewer.get("/tiles/heatmap.tif", {"z": 14})
    assert response.status_code == 200 and response["Content-Type"] == "image/tiff"
    with MemoryFile(response.content) as memfile, memfile.open() as dataset:
        assert dataset.crs.to_epsg() == 3857 and dataset.count == 1
        band = dataset.read(1)
        merc = removal.geom.transform(3857, clone=True)
        row, col = dataset.index(merc.x, merc.y)
        assert band.max() == pytest.approx(1.0, rel=1e-3) and band[row, col] == band.max()
    assert rasterio.__version__


def test_low_zoom_tiles_cut_from_the_town_grid_match_direct_binning(community):
    import datetime as dt

    from tiles.heatmap.bins import bin_memory
    from tiles.heatmap.store import points_load

    tag, other = CategoryFactory(community=community), CategoryFactory(community=community)
    for i in range(40):
        cleaning(
            community, tag if i % 3 else other, day=f"2025-0{1 + i % 5}-10", dx=97 * i - 2000, dy=53 * i - 900
        )
    points = points_load(community.pk)
    for z in (10, 12, 13, 14, 15):
        tx, ty, _c, _r = pixel_of(point(), z)
        for dx in (-1, 0, 1):
            win = tile_window(z, tx + dx, ty)
            for filters in (
                HeatmapFilters(),
                HeatmapFilters(categories=(tag.pk,), date_from=dt.date(2025, 2, 1)),
            ):
                direct = bin_memory(points, win, filters, pyramid=False)
                cut = bin_memory(points, win, filters)
                assert np.array_equal(direct, cut), (z, dx, filters)
    tx, ty, _c, _r = pixel_of(point(), 10)  # the whole 4-km line of points is in this z10 tile
    assert bin_memory(points, tile_window(10, tx, ty), HeatmapFilters()).sum() == 40


def _synthetic_points(n, rng):
    """n points spread over ~6 zoom-16 columns and rows around Poitiers (zoom-22 pixels)."""
    from tiles.heatmap.points import Points, points_order

    x0, y0 = 527_000_000, 373_000_000  # ~ Poitiers at zoom 22 (2^30 px across the world)
    x = (x0 + rng.integers(0, 6 * 2**14, n)).astype(np.uint32)
    y = (y0 + rng.integers(0, 6 * 2**14, n)).astype(np.uint32)
    order = points_order(x, y)
    zeros = np.zeros(n, dtype=np.int32)
    return Points(
        id=np.arange(n, dtype=np.int64), x=x[order], y=y[order], day=np.full(n, 9000, dtype=np.uint16),
        cat=zeros + 1, team=zeros, asset=zeros, m2=np.ones(n, dtype=np.float32), tag=np.ones(n, dtype=bool),
        ret=np.zeros(n, dtype=bool), high_water=0.0,
    )  # fmt: skip


def test_column_index_bins_exactly_the_points_of_the_window():
    """Windows straddling zoom-16 columns, at every zoom the column search serves (z14–20),
    bin the same points as a brute-force histogram over all of them."""
    from tiles.heatmap.bins import bin_memory, window_rows

    rng = np.random.default_rng(3)
    points = _synthetic_points(20_000, rng)
    for z in (14, 15, 16, 18, 20):
        shift = 22 - z
        for _ in range(6):
            px = int(rng.integers(points.x.min(), points.x.max())) >> shift
            py = int(rng.integers(points.y.min(), points.y.max())) >> shift
            win = tile_window(z, px // 256, py // 256)
            grid = bin_memory(points, win, HeatmapFilters(), pyramid=False)
            cols = (points.x >> shift).astype(np.int64) - (win.px0 - win.pad)
            rows = (points.y >> shift).astype(np.int64) - (win.py0 - win.pad)
            w = win.width + 2 * win.pad
            inside = (cols >= 0) & (cols < w) & (rows >= 0) & (rows < w)
            expected = np.zeros((w, w), dtype=np.float32)
            np.add.at(expected, (rows[inside], cols[inside]), 1)
            assert np.array_equal(grid, expected), (z, win)
    # A window over every column reads them as one slice: same rows as the searches.
    everything = window_rows(points, 0, 2**30, 0, 2**30)
    assert np.array_equal(np.sort(everything), np.arange(len(points)))


def test_matrix_blur_is_the_gaussian_kernel():
    from scipy import ndimage

    from tiles.heatmap.bins import PAD, SIGMA_PX
    from tiles.heatmap.render import _blur_matrix, _kernel_peak

    rng = np.random.default_rng(4)
    grid = np.zeros((256 + 2 * PAD, 256 + 2 * PAD), dtype=np.float32)
    np.add.at(grid, tuple(rng.integers(0, grid.shape[0], (2, 300))), 1.0)
    reference = ndimage.gaussian_filter(grid, SIGMA_PX, mode="constant", truncate=3.0) / _kernel_peak()
    blurred = _blur_matrix(256) @ grid @ _blur_matrix(256).T
    assert np.allclose(blurred, reference[PAD:-PAD, PAD:-PAD], atol=1e-4)


def test_tiles_are_palette_pngs_served_again_from_the_cache(viewer, community):
    from tiles.heatmap.render import PNG_CACHE, colourise

    PNG_CACHE.clear()
    tag = CategoryFactory(community=community)
    for i in range(6):
        cleaning(community, tag, day="2025-01-10", dx=11 * i, dy=-7 * i)
    tx, ty, _c, _r = pixel_of(point())
    first, image = get_png(viewer, Z, tx, ty)
    assert Image.open(io.BytesIO(first.content)).mode == "P"  # 1 byte a pixel, tRNS alpha
    values = density(community.pk, tile_window(Z, tx, ty), HeatmapFilters())
    expected = colourise(values, HeatmapFilters().vmax_at(Z))
    assert np.array_equal(image, expected)  # the decoded PNG is the coloured density
    assert PNG_CACHE.size > 0
    again, _image = get_png(viewer, Z, tx, ty)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    # A new removal changes the store version, hence the ETag: no stale picture.
    cleaning(community, tag, day="2025-01-11", dx=30)
    with override_settings(RONDE_HEATMAP_REFRESH_S=0):
        fresh, _image = get_png(viewer, Z, tx, ty)
    assert fresh["ETag"] != first["ETag"] and fresh.content != first.content


def test_cold_start_reads_the_snapshot_and_merges_later_changes(community):
    """A worker that loads from the interventions stores the columns; the next cold start
    reads them back plus what changed since, and the result is what a full load gives."""
    import datetime as dt

    from django.utils import timezone

    from interventions.models import Intervention
    from tiles.heatmap.store import points_load
    from tiles.models import HeatmapSnapshot

    tag = CategoryFactory(community=community)
    site = surface_site(community)
    first = [
        cleaning(community, tag, day=f"2025-01-{10 + i}", dx=9 * i, site=site if i < 2 else None)
        for i in range(4)
    ]
    # Last changed two hours ago, the mark an hour ago: older than the overlap the merge
    # re-reads behind the mark (OVERLAP_S), so only later changes are merged.
    Intervention.objects.filter(pk__in=[i.pk for i in first[:3]]).update(
        updated_at=timezone.now() - dt.timedelta(hours=2)
    )
    Intervention.objects.filter(pk=first[3].pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    loaded = points_load(community.pk)
    snapshot = HeatmapSnapshot.objects.get(community_id=community.pk)
    assert snapshot.rows == 4 and snapshot.high_water == loaded.high_water
    # Mark the stored m² (the interventions say 2 m²): a load that shows the mark read the snapshot.
    marked = loaded.m2.astype("<f4").copy()
    marked[:] = 77.0
    data = bytearray(bytes(snapshot.columns))
    offset = len(loaded) * (8 + 4 + 4 + 2 + 4 + 4 + 4)  # id, x, y, day, cat, team, asset
    data[offset : offset + marked.nbytes] = marked.tobytes()
    HeatmapSnapshot.objects.filter(pk=community.pk).update(columns=bytes(data))
    # Changes after the snapshot: a new removal at the site (a return), one no longer done.
    cleaning(community, tag, day="2025-02-01", site=site)
    first[3].status = InterventionStatus.NOT_DONE
    first[3].save()

    warm = points_load(community.pk)
    full = points_load(community.pk, use_snapshot=False)
    w, f = np.argsort(warm.id), np.argsort(full.id)  # rows on one pixel may come in any order
    assert np.array_equal(warm.id[w], full.id[f]) and len(full) == 4
    for name in ("x", "y", "day", "asset", "ret"):
        assert np.array_equal(getattr(warm, name)[w], getattr(full, name)[f]), name
    assert full.ret.sum() == 2  # the 2nd and 3rd removals at the site
    assert sorted(warm.m2) == [2.0, 77.0, 77.0, 77.0]  # three rows from the snapshot, one merged
    assert warm.high_water > loaded.high_water
    # A snapshot older than RONDE_HEATMAP_RELOAD_S is not used.
    HeatmapSnapshot.objects.filter(pk=community.pk).update(loaded_at=timezone.now() - dt.timedelta(days=1))
    assert sorted(points_load(community.pk).m2) == [2.0] * 4
