"""Query filters: bbox (EPSG:4326), category, status, dates, zone; bad values are 400s."""

import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon, Point
from django.utils import timezone

from accounts.models import Role
from tests.api.helpers import lonlat
from tests.factories import (
    POITIERS,
    AssetFactory,
    CategoryFactory,
    InterventionFactory,
    ReportFactory,
    ZoneFactory,
    square,
)

pytestmark = pytest.mark.django_db
X, Y = POITIERS


def ids(response):
    assert response.status_code == 200, response.content
    return {f["id"] for f in response.json()["features"]}


def bbox_around(x, y, half):
    """A lon/lat bbox string whose corners are the Lambert-93 square's corners, transformed."""
    minlon, minlat = lonlat(x - half, y - half)
    maxlon, maxlat = lonlat(x + half, y + half)
    return f"{minlon},{minlat},{maxlon},{maxlat}"


def test_bbox_keeps_inside_drops_just_outside(community, api_as):
    minlon, minlat = 0.3400, 46.5800
    maxlon, maxlat = 0.3500, 46.5900

    def at(lon, lat):
        p = Point(lon, lat, srid=4326)
        p.transform(2154)
        return InterventionFactory(community=community, geom=p)

    inside = at(0.3450, 46.5850)
    on_edge_inside = at(0.3450, maxlat - 1e-6)  # ~10 cm inside the north edge (a parallel)
    just_outside_north = at(0.3450, maxlat + 1e-6)  # ~10 cm outside
    just_outside_east = at(maxlon + 2e-6, 46.5850)
    response = api_as(community, Role.VIEWER).get(
        "/api/v1/interventions/", {"bbox": f"{minlon},{minlat},{maxlon},{maxlat}"}
    )
    found = ids(response)
    assert inside.pk in found and on_edge_inside.pk in found
    assert just_outside_north.pk not in found and just_outside_east.pk not in found


@pytest.mark.parametrize("url", ["/api/v1/assets/", "/api/v1/reports/", "/api/v1/zones/"])
def test_bbox_on_other_layers(community, api_as, url):
    far = square(X + 3_000, Y, 50)
    near = {
        "/api/v1/assets/": lambda g: AssetFactory(community=community, geom=g),
        "/api/v1/reports/": lambda g: ReportFactory(community=community, geom=g),
        "/api/v1/zones/": lambda g: ZoneFactory(
            community=community, geom=MultiPolygon(g.buffer(20), srid=2154)
        ),
    }[url]
    here = near(Point(X, Y, srid=2154))
    there = near(far.centroid)
    found = ids(api_as(community, Role.VIEWER).get(url, {"bbox": bbox_around(X, Y, 500)}))
    assert here.pk in found and there.pk not in found


@pytest.mark.parametrize(
    "value",
    ["1,2,3", "a,b,c,d", "0.35,46.58,0.34,46.59", "0,0,0,0", "-200,0,0,1", "", ","],
)
def test_bad_bbox(community, api_as, value):
    response = api_as(community, Role.VIEWER).get("/api/v1/interventions/", {"bbox": value})
    if value == "":
        assert response.status_code == 200  # an empty parameter is no filter
        return
    assert response.status_code == 400
    assert "bbox" in response.json()


def test_category_filter_by_code(community, api_as):
    tag = CategoryFactory(community=community, code="tag")
    bulky = CategoryFactory(community=community, code="encombrant")
    a = InterventionFactory(community=community, category=tag)
    b = InterventionFactory(community=community, category=bulky)
    client = api_as(community, Role.VIEWER)
    assert ids(client.get("/api/v1/interventions/", {"category": "tag"})) == {a.pk}
    assert ids(client.get("/api/v1/interventions/", {"category": "tag,encombrant"})) == {a.pk, b.pk}
    response = client.get("/api/v1/interventions/", {"category": "nope"})
    assert response.status_code == 400
    assert "unknown category" in str(response.json()["category"])


def test_category_filter_ignores_other_community_codes(community, other_community, api_as):
    CategoryFactory(community=other_community, code="theirs")
    response = api_as(community, Role.VIEWER).get("/api/v1/reports/", {"category": "theirs"})
    assert response.status_code == 400


def test_asset_category_filter(community, api_as):
    bench = AssetFactory(community=community)
    AssetFactory(community=community)
    found = ids(api_as(community, Role.VIEWER).get("/api/v1/assets/", {"category": bench.category.code}))
    assert found == {bench.pk}


def test_status_filter(community, api_as):
    todo = InterventionFactory(community=community, status="todo")
    done = InterventionFactory(community=community, status="done")
    InterventionFactory(community=community, status="scheduled")
    client = api_as(community, Role.VIEWER)
    assert ids(client.get("/api/v1/interventions/", {"status": "todo,done"})) == {todo.pk, done.pk}
    response = client.get("/api/v1/interventions/", {"status": "todo,finished"})
    assert response.status_code == 400
    assert "finished" in str(response.json()["status"])


def test_report_dates_filter_reported_at_inclusive(community, api_as):
    tz = timezone.get_current_timezone()
    old = ReportFactory(community=community, reported_at=dt.datetime(2025, 1, 31, 23, 30, tzinfo=tz))
    first = ReportFactory(community=community, reported_at=dt.datetime(2025, 2, 1, 0, 0, tzinfo=tz))
    last = ReportFactory(community=community, reported_at=dt.datetime(2025, 2, 28, 23, 59, tzinfo=tz))
    ReportFactory(community=community, reported_at=dt.datetime(2025, 3, 1, 0, 0, tzinfo=tz))
    found = ids(
        api_as(community, Role.VIEWER).get(
            "/api/v1/reports/", {"date_from": "2025-02-01", "date_to": "2025-02-28"}
        )
    )
    assert found == {first.pk, last.pk}
    assert old.pk not in found


def test_intervention_dates_planned_or_ended(community, api_as):
    planned = InterventionFactory(community=community, planned_date=dt.date(2025, 5, 2))
    ended = InterventionFactory(community=community, ended_at=dt.datetime(2025, 5, 3, 10, tzinfo=dt.UTC))
    client = api_as(community, Role.VIEWER)
    params = {"date_from": "2025-05-01", "date_to": "2025-05-31"}
    assert ids(client.get("/api/v1/interventions/", params)) == {planned.pk}
    assert ids(client.get("/api/v1/interventions/", {**params, "date_field": "ended_at"})) == {ended.pk}


@pytest.mark.parametrize(
    "params,field",
    [
        ({"date_from": "2025-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2025-05-02", "date_to": "2025-05-01"}, "date_to"),
        ({"date_field": "created_at"}, "date_field"),
        ({"zone": "abc"}, "zone"),
        ({"zone": "-1"}, "zone"),
    ],
)
def test_bad_filter_values(community, api_as, params, field):
    response = api_as(community, Role.VIEWER).get("/api/v1/interventions/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_zone_filter(community, other_community, api_as):
    zone = ZoneFactory(community=community, geom=MultiPolygon(square(X, Y, 100), srid=2154))
    inside = InterventionFactory(community=community, geom=Point(X, Y, srid=2154))
    InterventionFactory(community=community, geom=Point(X + 500, Y, srid=2154))
    client = api_as(community, Role.VIEWER)
    assert ids(client.get("/api/v1/interventions/", {"zone": zone.pk})) == {inside.pk}
    foreign = ZoneFactory(community=other_community)
    response = client.get("/api/v1/interventions/", {"zone": foreign.pk})
    assert response.status_code == 400
    assert "unknown zone" in str(response.json()["zone"])
