"""Bad input is a 400 naming the field and the reason, never a 500."""

import uuid

import pytest

from accounts.models import Role
from interventions.models import Intervention, Report
from tests.api.helpers import feature, point, square_4326
from tests.factories import POITIERS, CategoryFactory, InterventionFactory, TeamFactory

pytestmark = pytest.mark.django_db
REPORTS = "/api/v1/reports/"
INTERVENTIONS = "/api/v1/interventions/"
ZONES = "/api/v1/zones/"


@pytest.fixture
def category(community):
    return CategoryFactory(community=community)


@pytest.fixture
def dispatcher(community, api_as):
    return api_as(community, Role.DISPATCHER)


def post_report(client, geometry, **properties):
    return client.post(REPORTS, feature(geometry, **properties), format="json")


def assert_400(response, field, *words):
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    text = " ".join(str(m) for m in body[field]).lower()
    for word in words:
        assert word.lower() in text, text


def test_wrong_crs(dispatcher, category):
    geometry = {**point(), "crs": {"type": "name", "properties": {"name": "EPSG:2154"}}}
    assert_400(post_report(dispatcher, geometry, category=category.pk), "geometry", "wrong CRS", "EPSG:2154")


def test_crs84_is_accepted(dispatcher, category):
    geometry = {**point(), "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}}
    assert post_report(dispatcher, geometry, category=category.pk).status_code == 201


def test_projected_coordinates_without_crs(dispatcher, category):
    geometry = {"type": "Point", "coordinates": list(POITIERS)}
    assert_400(post_report(dispatcher, geometry, category=category.pk), "geometry", "out of range")


def test_a_pole_is_in_range_but_not_on_the_map(dispatcher, category):
    """Lambert-93 cannot hold the south pole: PROJ failed (a 500) although -90 is a latitude."""
    before = Report.objects.count()
    geometry = {"type": "Point", "coordinates": [0, -90]}
    response = post_report(dispatcher, geometry, category=category.pk)
    assert_400(response, "geometry", "EPSG:2154", "longitude, latitude")
    assert Report.objects.count() == before


def test_wrong_geometry_type(dispatcher, category):
    assert_400(
        post_report(dispatcher, square_4326(*POITIERS, 10), category=category.pk),
        "geometry",
        "Point",
        "Polygon",
    )


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point"},
        {"type": "Point", "coordinates": "here"},
        {"type": "Point", "coordinates": []},
        "not json",
        42,
    ],
)
def test_unreadable_geometry(dispatcher, category, geometry):
    assert_400(post_report(dispatcher, geometry, category=category.pk), "geometry")


def test_missing_geometry(dispatcher, category):
    assert_400(post_report(dispatcher, None, category=category.pk), "geometry", "required")


def test_self_intersecting_polygon(community, api_as):
    # A bow tie: the ring crosses itself.
    ring = [[0.34, 46.58], [0.35, 46.59], [0.35, 46.58], [0.34, 46.59], [0.34, 46.58]]
    response = api_as(community, Role.ADMIN).post(
        ZONES, feature({"type": "Polygon", "coordinates": [ring]}, name="Noeud"), format="json"
    )
    assert_400(response, "geometry", "invalid geometry", "self-intersection")


def test_outside_territory(dispatcher, category):
    far = point(POITIERS[0] + 20_000, POITIERS[1])  # 20 km east: territory is a 10 km square
    assert_400(post_report(dispatcher, far, category=category.pk), "geometry", "outside the territory")
    assert not Report.objects.exists()


def test_zone_partly_outside_territory(community, api_as):
    response = api_as(community, Role.ADMIN).post(
        ZONES, feature(square_4326(POITIERS[0] + 4_900, POITIERS[1], 500), name="Bord"), format="json"
    )
    assert_400(response, "geometry", "outside the territory")


def test_unknown_category(dispatcher, other_community):
    foreign = CategoryFactory(community=other_community)
    assert_400(post_report(dispatcher, point(), category=foreign.pk), "category", "unknown category")
    assert_400(post_report(dispatcher, point(), category=999_999), "category", "unknown category")


def test_foreign_team_asset_report(community, other_community, dispatcher, category):
    foreign_team = TeamFactory(community=other_community)
    response = dispatcher.post(
        INTERVENTIONS, feature(point(), category=category.pk, team=foreign_team.pk), format="json"
    )
    assert_400(response, "team", "unknown team")
    from tests.factories import AssetFactory, ReportFactory

    response = dispatcher.post(
        INTERVENTIONS,
        feature(point(), category=category.pk, asset=AssetFactory(community=other_community).pk),
        format="json",
    )
    assert_400(response, "asset", "unknown asset")
    response = dispatcher.post(
        INTERVENTIONS,
        feature(point(), category=category.pk, report=ReportFactory(community=other_community).pk),
        format="json",
    )
    assert_400(response, "report", "unknown report")


def test_agent_from_another_community(dispatcher, category, other_community):
    from tests.factories import member

    outsider = member(other_community, Role.AGENT)
    response = dispatcher.post(
        INTERVENTIONS, feature(point(), category=category.pk, agents=[outsider.pk]), format="json"
    )
    assert_400(response, "agents", "unknown user")


@pytest.mark.parametrize("surface", ["0", "-2", "0.00"])
def test_surface_must_be_positive(dispatcher, community, surface):
    intervention = InterventionFactory(community=community)
    response = dispatcher.patch(
        f"{INTERVENTIONS}{intervention.pk}/", {"properties": {"surface_m2": surface}}, format="json"
    )
    assert_400(response, "surface_m2")


def test_ended_before_started(dispatcher, community):
    intervention = InterventionFactory(community=community)
    response = dispatcher.patch(
        f"{INTERVENTIONS}{intervention.pk}/",
        {"properties": {"started_at": "2025-03-04T10:00:00Z", "ended_at": "2025-03-04T09:00:00Z"}},
        format="json",
    )
    assert_400(response, "ended_at", "before")


def test_ended_before_stored_start(dispatcher, community):
    intervention = InterventionFactory(community=community, started_at="2025-03-04T10:00:00Z")
    response = dispatcher.patch(
        f"{INTERVENTIONS}{intervention.pk}/",
        {"properties": {"ended_at": "2025-03-04T09:00:00Z"}},
        format="json",
    )
    assert_400(response, "ended_at", "before")


@pytest.mark.parametrize(
    "field,value", [("status", "finished"), ("method", "magic"), ("support", "sky"), ("priority", 7)]
)
def test_bad_choices(dispatcher, category, field, value):
    response = dispatcher.post(
        INTERVENTIONS, feature(point(), category=category.pk, **{field: value}), format="json"
    )
    assert_400(response, field)


def test_duplicate_external_id_is_400_not_500(dispatcher, community, category):
    InterventionFactory(community=community, external_id="X-1")
    response = dispatcher.post(
        INTERVENTIONS, feature(point(), category=category.pk, external_id="X-1"), format="json"
    )
    assert response.status_code == 400, response.content
    assert Intervention.objects.count() == 1


def test_client_uuid_of_another_community(community, other_community, api_as, category):
    key = str(uuid.uuid4())
    other_category = CategoryFactory(community=other_community)
    assert (
        api_as(other_community, Role.AGENT)
        .post(REPORTS, feature(point(), category=other_category.pk, client_uuid=key), format="json")
        .status_code
        == 201
    )
    response = api_as(community, Role.AGENT).post(
        REPORTS, feature(point(), category=category.pk, client_uuid=key), format="json"
    )
    assert_400(response, "client_uuid")


def test_properties_not_an_object(dispatcher):
    response = dispatcher.post(
        REPORTS, {"type": "Feature", "geometry": point(), "properties": "x"}, format="json"
    )
    assert_400(response, "properties")


def test_body_not_an_object(dispatcher):
    response = dispatcher.post(REPORTS, [1, 2], format="json")
    assert response.status_code == 400
