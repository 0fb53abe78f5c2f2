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
from tests.dashboards.helpers import cleaning, point
from tests.factories import POITIERS, CategoryFactory, TeamFactory, ZoneFactory, member, square
from tiles.heatmap_store import STORE
from tiles.heatmaps import HALF, HeatmapFilters, density, tile_window

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
    assert np.unravel_index(alpha.argmax(), alpha.shape) == (row, col)
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
    assert total(date_to=dt.date(2024, 12, 31)) == 0
    assert total(zone=inside.pk) == pytest.approx(both / 2, rel=0.05)
    # Through HTTP, a bad filter is a 400 naming it.
    response = viewer.get(f"/tiles/heatmap/{Z}/{tx}/{ty}.png", {"weight": "kg"})
    assert response.status_code == 400 and response.json()["field"] == "weight"
    response = viewer.get(f"/tiles/heatmap/{Z}/{tx}/{ty}.png", {"colour": "red"})
    assert response.status_code == 400 and response.json()["field"] == "colour"


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

    from tiles.heatmap_bins import bin_memory
    from tiles.heatmap_store import points_load

    tag, other = CategoryFactory(community=community), CategoryFactory(community=community)
    for i in range(40):
        cleaning(
            community, tag if i % 3 else other, day=f"2025-0{1 + i % 5}-10", dx=97 * i - 2000, dy=53 * i - 900
        )
    points = points_load(community.pk)
    for z in (10, 12, 13):
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
