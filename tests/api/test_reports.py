"""/api/v1/reports/: CRUD per role."""

import uuid

import pytest

from accounts.models import Role
from interventions.models import Report, ReportSource
from tests.api.helpers import feature, lonlat, point
from tests.factories import POITIERS, CategoryFactory, ReportFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"


def test_list_is_a_geojson_feature_collection_in_4326(community, api_as):
    report = ReportFactory(community=community)
    response = api_as(community, Role.VIEWER).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["count"] == 1
    (feat,) = body["features"]
    assert feat["id"] == report.pk
    assert feat["type"] == "Feature"
    assert feat["geometry"]["type"] == "Point"
    assert feat["geometry"]["coordinates"] == pytest.approx(lonlat(), abs=1e-6)
    assert feat["properties"]["category_code"] == report.category.code
    assert feat["properties"]["status"] == "new"


def test_detail(community, api_as):
    report = ReportFactory(community=community, description="Tag rue Carnot")
    response = api_as(community, Role.VIEWER).get(f"{URL}{report.pk}/")
    assert response.status_code == 200
    assert response.json()["properties"]["description"] == "Tag rue Carnot"


@pytest.mark.parametrize("role", [Role.AGENT, Role.DISPATCHER, Role.ADMIN])
def test_create_by_agent_dispatcher_admin(community, api_as, role):
    category = CategoryFactory(community=community)
    client = api_as(community, role)
    response = client.post(
        URL, feature(point(), category=category.pk, description="Nouveau tag"), format="json"
    )
    assert response.status_code == 201, response.json()
    report = Report.objects.get(pk=response.json()["id"])
    assert report.community == community
    assert report.reporter == client.user
    assert report.geom.distance(report.geom.__class__(*POITIERS, srid=2154)) < 0.05  # metres
    if role == Role.AGENT:
        assert report.source == ReportSource.AGENT


def test_viewer_cannot_create(community, api_as):
    category = CategoryFactory(community=community)
    response = api_as(community, Role.VIEWER).post(URL, feature(point(), category=category.pk), format="json")
    assert response.status_code == 403
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "role,expected", [(Role.DISPATCHER, 200), (Role.ADMIN, 200), (Role.AGENT, 403), (Role.VIEWER, 403)]
)
def test_update_per_role(community, api_as, role, expected):
    report = ReportFactory(community=community)
    response = api_as(community, role).patch(
        f"{URL}{report.pk}/", {"properties": {"status": "accepted"}}, format="json"
    )
    assert response.status_code == expected
    report.refresh_from_db()
    assert report.status == ("accepted" if expected == 200 else "new")


def test_put_replaces_geometry(community, api_as):
    report = ReportFactory(community=community)
    body = feature(point(POITIERS[0] + 100, POITIERS[1]), category=report.category_id, description="moved")
    response = api_as(community, Role.DISPATCHER).put(f"{URL}{report.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    report.refresh_from_db()
    assert report.geom.x == pytest.approx(POITIERS[0] + 100, abs=0.05)
    assert response.json()["geometry"]["coordinates"] == pytest.approx(
        lonlat(POITIERS[0] + 100, POITIERS[1]), abs=1e-6
    )


@pytest.mark.parametrize(
    "role,expected", [(Role.DISPATCHER, 204), (Role.ADMIN, 204), (Role.AGENT, 403), (Role.VIEWER, 403)]
)
def test_delete_per_role(community, api_as, role, expected):
    report = ReportFactory(community=community)
    response = api_as(community, role).delete(f"{URL}{report.pk}/")
    assert response.status_code == expected
    assert Report.objects.filter(pk=report.pk).exists() == (expected != 204)


def test_client_uuid_replay_creates_nothing(community, api_as):
    category = CategoryFactory(community=community)
    client = api_as(community, Role.AGENT)
    body = feature(point(), category=category.pk, client_uuid=str(uuid.uuid4()))
    first = client.post(URL, body, format="json")
    second = client.post(URL, body, format="json")
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Report.objects.count() == 1


def test_flat_json_body_is_accepted(community, api_as):
    category = CategoryFactory(community=community)
    response = api_as(community, Role.DISPATCHER).post(
        URL, {"geometry": point(), "category": category.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
