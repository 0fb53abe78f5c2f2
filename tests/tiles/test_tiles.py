"""Vector tiles as a client sees them: decoded with mapbox-vector-tile and checked against SQL."""

import datetime as dt
import gzip

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon, Point
from django.db import connection

from accounts.models import Role
from interventions.models import Intervention, InterventionStatus
from tests.factories import (
    AssetFactory,
    CategoryFactory,
    InterventionFactory,
    MissionFactory,
    ReportFactory,
    StreetSegmentFactory,
    TeamFactory,
    ZoneFactory,
    square,
)
from tests.tiles.helpers import at, decode, sql_count, tile_of, url
from tiles.layers import LAYERS
from tiles.tilemath import HALF, tile_size

pytestmark = pytest.mark.django_db

Z = 16  # ~420 m tiles at Poitiers' latitude


def spread(factory, community, n: int, step: float = 37.0, **kwargs):
    """n rows on a grid around the centre (metres, Lambert-93), across several z16 tiles."""
    side = int(n**0.5) + 1
    return [
        factory(community=community, geom=at((i % side) * step - 300, (i // side) * step - 300), **kwargs)
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("layer", "table", "factory"),
    [
        ("interventions", "interventions_intervention", InterventionFactory),
        ("reports", "interventions_report", ReportFactory),
        ("assets", "geo_asset", AssetFactory),
    ],
)
def test_point_tile_has_the_layer_fields_and_the_sql_count(api_as, community, layer, table, factory):
    spread(factory, community, 120)
    client = api_as(community, Role.AGENT)
    tile = tile_of(at(), Z)
    response = client.get(url(layer, tile))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    decoded = decode(response)
    assert list(decoded) == [layer]
    assert decoded[layer]["extent"] == 4096
    features = decoded[layer]["features"]
    assert len(features) == sql_count(table, community.id, tile) > 0
    declared = set(LAYERS[layer].sources[0].fields)
    assert all(set(f["properties"]) <= declared for f in features)
    assert "status" in features[0]["properties"] or layer == "assets"


def test_polygon_and_line_layers(api_as, community):
    ZoneFactory(community=community, name="Centre-ville")
    MissionFactory(community=community, name="Tournée du lundi")
    StreetSegmentFactory(community=community, highway="primary")
    client = api_as(community, Role.VIEWER)
    tile = tile_of(at(), Z)
    zones = decode(client.get(url("zones", tile)))["zones"]["features"]
    missions = decode(client.get(url("missions", tile)))["missions"]["features"]
    streets = decode(client.get(url("streets", tile)))["streets"]["features"]
    assert [f["properties"]["name"] for f in zones] == ["Centre-ville"]
    assert zones[0]["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert [f["properties"]["name"] for f in missions] == ["Tournée du lundi"]
    assert streets[0]["properties"]["highway"] == "primary"
    assert streets[0]["geometry"]["type"] == "LineString"


def test_basemap_has_territory_zones_green_and_streets(api_as, community):
    ZoneFactory(community=community)
    StreetSegmentFactory(community=community, highway="residential")
    AssetFactory(community=community, category__kind="green", geom=square(*at(50, 50).coords, 40))
    AssetFactory(community=community, category__kind="furniture", geom=at(-50, -50))
    decoded = decode(api_as(community).get(url("basemap", tile_of(at(), 15))))
    assert set(decoded) == {"territory", "zones", "green", "streets"}
    assert len(decoded["green"]["features"]) == 1  # the bench is not a green space
    assert decoded["streets"]["features"][0]["properties"] == {"highway": "residential"}


def test_filters_are_applied(api_as, community):
    tag, other = CategoryFactory(community=community), CategoryFactory(community=community)
    team = TeamFactory(community=community)
    InterventionFactory.create_batch(3, community=community, category=tag, status=InterventionStatus.DONE)
    InterventionFactory.create_batch(2, community=community, category=other, team=team)
    old = InterventionFactory(community=community, category=other)
    InterventionFactory._meta.model.objects.filter(pk=old.pk).update(
        created_at=dt.datetime(2020, 5, 1, 12, tzinfo=dt.UTC)
    )
    client = api_as(community)
    tile = tile_of(at(), Z)

    def ids(query: str) -> int:
        response = client.get(url("interventions", tile, query))
        assert response.status_code in (200, 204), response.content
        return len(decode(response).get("interventions", {}).get("features", []))

    assert ids("") == 6
    assert ids("status=done") == 3
    assert ids("status=todo,done") == 6
    assert ids(f"category={tag.pk}") == 3
    assert ids(f"team={team.pk}") == 2
    assert ids("date_to=2020-05-01") == 1
    assert ids("date_from=2020-05-02") == 5
    assert ids("date_from=2020-05-01&date_to=2020-05-01") == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("colour=red", "colour"),
        ("status=lost", "status"),
        ("category=abc", "category"),
        ("date_from=yesterday", "date_from"),
        ("date_from=2024-02-01&date_to=2024-01-01", "date_to"),
        ("team=1,2", "team"),
        ("status=todo&status=done", "status"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(api_as, community, query, field):
    response = api_as(community).get(url("interventions", tile_of(at(), Z), query))
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_a_filter_the_layer_does_not_take_is_refused(api_as, community):
    response = api_as(community).get(url("zones", tile_of(at(), Z), "status=todo"))
    assert response.status_code == 400
    assert response.json()["field"] == "status"


def test_tenancy_other_community_rows_never_appear(api_as, community, other_community):
    mine = InterventionFactory(community=community)
    theirs = InterventionFactory.create_batch(5, community=other_community)  # same place
    tile = tile_of(at(), Z)
    features = decode(api_as(community, Role.AGENT).get(url("interventions", tile)))["interventions"][
        "features"
    ]
    assert [f["id"] for f in features] == [mine.pk]
    other = decode(api_as(other_community, Role.AGENT).get(url("interventions", tile)))
    assert sorted(f["id"] for f in other["interventions"]["features"]) == sorted(t.pk for t in theirs)


def test_tenancy_cache_is_per_community(api_as, community, other_community):
    InterventionFactory(community=community)
    tile = tile_of(at(), Z)
    first = api_as(community).get(url("interventions", tile))
    assert first.status_code == 200
    second = api_as(other_community).get(url("interventions", tile))
    assert second.status_code == 204  # not the first community's cached bytes


def test_anonymous_and_strangers_are_refused(client, api_as, community, make_user):
    tile = tile_of(at(), Z)
    assert client.get(url("interventions", tile)).status_code == 401
    assert client.get("/tiles/interventions.json").status_code == 401
    assert client.get("/tiles/style.json").status_code == 401
    bad_token = client.get(url("interventions", tile), HTTP_AUTHORIZATION="Token nope")
    assert bad_token.status_code == 401
    stranger = make_user(community, Role.AGENT)
    stranger.memberships.all().delete()
    client.force_login(stranger)
    assert client.get(url("interventions", tile)).status_code == 403


def test_session_login_reads_tiles(client, community, make_user):
    InterventionFactory(community=community)
    client.force_login(make_user(community, Role.VIEWER))
    assert client.get(url("interventions", tile_of(at(), Z))).status_code == 200


def test_etag_and_304(api_as, community):
    InterventionFactory(community=community)
    client = api_as(community)
    tile_url = url("interventions", tile_of(at(), Z))
    first = client.get(tile_url)
    assert first["X-Tile-Cache"] == "miss"
    etag = first["ETag"]
    again = client.get(tile_url)
    assert again["X-Tile-Cache"] == "hit"
    assert again["ETag"] == etag
    assert again.content == first.content
    not_modified = client.get(tile_url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert client.get(tile_url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    # Filters are part of the tile: another filter set, another ETag.
    assert client.get(tile_url + "?status=todo")["ETag"] != etag


def test_gzip_when_the_client_accepts_it(api_as, community):
    spread(InterventionFactory, community, 50)
    client = api_as(community)
    tile_url = url("interventions", tile_of(at(), Z))
    plain = client.get(tile_url)
    zipped = client.get(tile_url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert "Accept-Encoding" in zipped["Vary"]


def test_a_write_purges_its_tiles_and_only_those(api_as, community, django_capture_on_commit_callbacks):
    here = InterventionFactory(community=community, geom=at())
    InterventionFactory(community=community, geom=at(3000, 3000))  # another z16 tile
    client = api_as(community)
    here_url, there_url = (
        url("interventions", tile_of(at(), Z)),
        url("interventions", tile_of(at(3000, 3000), Z)),
    )
    low_url = url("interventions", tile_of(at(), 10))
    before = {u: client.get(u)["ETag"] for u in (here_url, there_url, low_url)}

    with django_capture_on_commit_callbacks(execute=True):
        here.status = InterventionStatus.DONE
        here.save()

    fresh = client.get(here_url)
    assert fresh["X-Tile-Cache"] == "miss"
    assert fresh["ETag"] != before[here_url]
    assert decode(fresh)["interventions"]["features"][0]["properties"]["status"] == "done"
    assert client.get(low_url)["ETag"] != before[low_url]  # every zoom of that place
    untouched = client.get(there_url)
    assert untouched["X-Tile-Cache"] == "hit"
    assert untouched["ETag"] == before[there_url]


def test_moving_a_feature_purges_the_old_and_the_new_tile(
    api_as, community, django_capture_on_commit_callbacks
):
    moving = InterventionFactory(community=community, geom=at())
    InterventionFactory(community=community, geom=at(3000, 3000))
    client = api_as(community)
    old_url, new_url = (
        url("interventions", tile_of(at(), Z)),
        url("interventions", tile_of(at(3000, 3000), Z)),
    )
    assert len(decode(client.get(new_url))["interventions"]["features"]) == 1
    assert client.get(old_url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        moving.geom = at(3000, 3000)
        moving.save()

    assert client.get(old_url).status_code == 204
    assert len(decode(client.get(new_url))["interventions"]["features"]) == 2


def test_a_delete_purges_its_tile(api_as, community, django_capture_on_commit_callbacks):
    gone = ZoneFactory(community=community)
    client = api_as(community)
    tile_url = url("zones", tile_of(at(), Z))
    assert client.get(tile_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        gone.delete()
    assert client.get(tile_url).status_code == 204


def test_bulk_and_raw_sql_writes_purge_their_tiles_too(api_as, community, other_community):
    """QuerySet.update, COPY/INSERT…SELECT imports and psql send no signal: triggers purge."""
    here = InterventionFactory(community=community, geom=at())
    InterventionFactory(community=community, geom=at(3000, 3000))
    client = api_as(community)
    here_url, there_url = (
        url("interventions", tile_of(at(), Z)),
        url("interventions", tile_of(at(3000, 3000), Z)),
    )
    for u in (here_url, there_url):
        client.get(u)

    Intervention.objects.filter(pk=here.pk).update(status=InterventionStatus.DONE)  # a bulk update
    fresh = client.get(here_url)
    assert fresh["X-Tile-Cache"] == "miss"
    assert decode(fresh)["interventions"]["features"][0]["properties"]["status"] == "done"
    assert client.get(there_url)["X-Tile-Cache"] == "hit"

    with connection.cursor() as cursor:  # a raw SQL insert next to the other one
        cursor.execute(
            "INSERT INTO interventions_intervention (community_id, category_id, geom, status, priority,"
            " offensive, support, method, product, notes, external_id, not_done_reason, created_at,"
            " updated_at) SELECT community_id, category_id, geom, 'todo', 2, false, '', '', '', '', '',"
            " '', now(), now() FROM interventions_intervention WHERE id = %s",
            [here.pk],
        )
    assert len(decode(client.get(here_url))["interventions"]["features"]) == 2
    assert client.get(there_url)["X-Tile-Cache"] == "hit"

    # Another community's write at the same place leaves this community's tiles alone.
    client.get(here_url)
    InterventionFactory(community=other_community, geom=at())
    assert client.get(here_url)["X-Tile-Cache"] == "hit"


def test_low_zoom_reports_are_counted_in_grid_cells(api_as, community):
    spread(ReportFactory, community, 200, step=60)
    tile = tile_of(at(), 11)
    assert LAYERS["reports"].grid_at(11)
    features = decode(api_as(community).get(url("reports", tile)))["reports"]["features"]
    assert 1 < len(features) < 200  # grouped
    assert all(set(f["properties"]) == {"count"} for f in features)
    total = sum(f["properties"]["count"] for f in features)
    # Cells count the rows inside the tile itself (no buffer, so no row counts twice).
    assert total == sql_count("interventions_report", community.id, tile, margin=0) > 100
    # At the detail zoom the same reports are single features again.
    detail = decode(api_as(community).get(url("reports", tile_of(at(), 16))))["reports"]["features"]
    assert "count" not in detail[0]["properties"]


def test_interventions_are_capped_with_a_stated_limit(api_as, community, monkeypatch):
    monkeypatch.setattr(LAYERS["interventions"], "feature_cap", 25)
    spread(InterventionFactory, community, 60, step=5)
    response = api_as(community).get(url("interventions", tile_of(at(-280, -280), 12)))
    assert len(decode(response)["interventions"]["features"]) == 25
    assert response["X-Tile-Capped"] == "25"


def test_empty_tile_is_204(api_as, community):
    response = api_as(community).get(url("assets", tile_of(at(), Z)))
    assert response.status_code == 204
    assert response.content == b""
    assert response["ETag"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tiles/interventions/16/99999999/1.mvt", 400),
        ("/tiles/interventions/16/1/65536.mvt", 400),
        ("/tiles/interventions/25/0/0.mvt", 400),
        ("/tiles/interventions/abc/1/1.mvt", 400),
        ("/tiles/interventions/-1/0/0.mvt", 400),
        ("/tiles/interventions/16/1.5/1.mvt", 400),
        ("/tiles/interventions/99999999999999999999/1/1.mvt", 400),
        ("/tiles/interventions/3/1/1.mvt", 400),  # below the layer's min zoom
        ("/tiles/nothing/16/1/1.mvt", 404),
        ("/tiles/nothing.json", 404),
    ],
)
def test_bad_tile_addresses(api_as, community, path, status):
    response = api_as(community).get(path)
    assert response.status_code == status
    assert "detail" in response.json()


def test_only_get(api_as, community):
    assert api_as(community).post(url("interventions", tile_of(at(), Z))).status_code == 405


def test_tilejson_bounds_zooms_and_fields(api_as, community):
    doc = api_as(community).get("/tiles/interventions.json?status=todo").json()
    west, south, east, north = doc["bounds"]
    # The factory territory: a 10 km square around Poitiers centre (0.34° E, 46.58° N).
    assert 0.27 < west < 0.29 < 0.40 < east < 0.42
    assert 46.53 < south < 46.55 < 46.62 < north < 46.64
    assert doc["bounds"] == pytest.approx(list(community.territory.transform(4326, clone=True).extent))
    assert doc["minzoom"] == LAYERS["interventions"].minzoom
    assert doc["maxzoom"] == LAYERS["interventions"].maxzoom
    assert doc["tiles"][0].endswith("/tiles/interventions/{z}/{x}/{y}.mvt?status=todo")
    assert doc["vector_layers"][0]["id"] == "interventions"
    assert doc["vector_layers"][0]["fields"]["status"] == "String"
    basemap = api_as(community).get("/tiles/basemap.json").json()
    assert [v["id"] for v in basemap["vector_layers"]] == ["territory", "zones", "green", "streets"]


def test_style_is_offline_by_default_and_takes_an_upstream_raster(api_as, community, settings):
    client = api_as(community)
    style = client.get("/tiles/style.json").json()
    assert style["version"] == 8
    assert "glyphs" not in style and "sprite" not in style  # nothing from the internet
    assert set(style["sources"]) == {"basemap", *[n for n in LAYERS if n != "basemap"]}
    assert all(s["tiles"][0].startswith("http://testserver/tiles/") for s in style["sources"].values())
    # Symbols are icons drawn in the page (static/js/marks.js), never text: no glyphs needed.
    assert not any("text-field" in layer.get("layout", {}) for layer in style["layers"])
    assert all(layer["layout"]["icon-image"] for layer in style["layers"] if layer["type"] == "symbol")
    settings.RONDE_UPSTREAM_RASTER_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    with_raster = client.get("/tiles/style.json").json()
    assert with_raster["sources"]["upstream"]["type"] == "raster"
    assert with_raster["layers"][1]["id"] == "upstream"


def test_cache_off_still_serves_etags(api_as, community, settings):
    settings.RONDE_TILE_CACHE = False
    InterventionFactory(community=community)
    client = api_as(community)
    tile_url = url("interventions", tile_of(at(), Z))
    first = client.get(tile_url, HTTP_ACCEPT_ENCODING="gzip")
    assert first["X-Tile-Cache"] == "off" and "Content-Encoding" not in first
    assert client.get(tile_url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_map_page_for_every_role(client, community, make_user):
    assert client.get("/map/").status_code == 302
    for role in (Role.AGENT, Role.VIEWER):
        client.force_login(make_user(community, role))
        page = client.get("/map/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'href="/map/"' in html  # the menu entry
        assert 'type="module"' in html and "tiles/map.js" in html
        assert 'data-layer="interventions"' in html


def test_territory_change_purges_the_basemap(api_as, community, django_capture_on_commit_callbacks):
    client = api_as(community)
    tile_url = url("basemap", tile_of(at(), 14))
    etag = client.get(tile_url)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        community.territory = MultiPolygon(square(*at().coords, 2_000), srid=2154)
        community.save()
    assert client.get(tile_url)["ETag"] != etag


def test_street_edit_changes_the_etag_without_updated_at(
    api_as, community, django_capture_on_commit_callbacks
):
    street = StreetSegmentFactory(community=community, highway="residential")
    client = api_as(community)
    tile_url = url("streets", tile_of(at(), Z))
    etag = client.get(tile_url)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        street.highway = "primary"
        street.geom = LineString(at().coords, at(50, 10).coords, srid=2154)
        street.save()
    assert client.get(tile_url)["ETag"] != etag


def test_the_cache_keeps_within_its_size_limit_dropping_the_oldest(api_as, community):
    from tiles.caching import tiles_cache_trim
    from tiles.models import TileCacheEntry

    client = api_as(community)
    urls = [url("zones", (16, 32600 + i, 22900)) for i in range(10)]
    for u in urls:
        client.get(u)
    assert TileCacheEntry.objects.count() == 10
    assert tiles_cache_trim(max_tiles=20) == 0  # under the limit: nothing goes
    assert tiles_cache_trim(max_tiles=5) == 6  # down to 90 % of 5 = 4 tiles
    kept = sorted(TileCacheEntry.objects.values_list("x", flat=True))
    assert kept == [32606, 32607, 32608, 32609]  # the newest
    assert client.get(urls[0])["X-Tile-Cache"] == "miss"
    assert client.get(urls[-1])["X-Tile-Cache"] == "hit"


@pytest.mark.parametrize(
    ("layer", "factory"), [("interventions", InterventionFactory), ("reports", ReportFactory)]
)
def test_points_are_placed_in_the_tile_exactly_as_st_asmvtgeom_places_them(
    community, monkeypatch, layer, factory
):
    """tiles/sql/tile_points.sql writes the same bytes as the generic template (ST_AsMVTGeom),
    including points on tile edges, in the buffer and on half-unit boundaries."""
    from django.http import QueryDict

    from tiles import statements
    from tiles.caching import tile_build
    from tiles.filters import parse_filters

    for i in range(144):  # a grid of 12 × 12 points, 13.7 m apart, around the tile's middle
        factory(community=community, geom=at((i % 12) * 13.7 - 80, (i // 12) * 13.7 - 80))
    z, x, y = tile_of(at(), 17)
    # Points exactly on the tile's edges and corners, in the buffer, and on half tile units.
    size = tile_size(z)
    left, top, unit = -HALF + x * size, HALF - y * size, size / 4096
    edges = [(0, 0), (0.5, -0.5), (-63.5, 0), (4096, -4096), (2048.5, -17.5), (4159.5, -2000)]
    for ux, uy in edges:
        factory(
            community=community,
            geom=Point(left + ux * unit, top + uy * unit, srid=3857).transform(2154, clone=True),
        )
    layer_class = LAYERS[layer]
    filters = parse_filters(layer_class, QueryDict(""))
    built = {}
    for point_rows in (True, False):
        monkeypatch.setattr(layer_class, "point_rows", point_rows)
        statements.tile_statement.cache_clear()
        built[point_rows] = tile_build(
            layer=layer_class, community_id=community.pk, z=z, x=x, y=y, filters=filters
        )
    statements.tile_statement.cache_clear()
    assert built[True].features == built[False].features > 40
    assert built[True].raw == built[False].raw
