"""/api/v1/interventions/: CRUD per role, agents limited to the outcome and tag fields."""

import pytest

from accounts.models import Role
from interventions.models import Intervention
from tests.api.helpers import feature, point
from tests.factories import CategoryFactory, InterventionFactory, TeamFactory, member

pytestmark = pytest.mark.django_db
URL = "/api/v1/interventions/"


def test_list_and_detail(community, api_as):
    intervention = InterventionFactory(community=community, surface_m2="2.50", product="Décapant")
    client = api_as(community, Role.VIEWER)
    listed = client.get(URL).json()
    assert listed["count"] == 1
    props = listed["features"][0]["properties"]
    assert props["surface_m2"] == "2.50"
    assert props["category_code"] == intervention.category.code
    detail = client.get(f"{URL}{intervention.pk}/").json()
    assert detail == listed["features"][0]


@pytest.mark.parametrize(
    "role,expected", [(Role.DISPATCHER, 201), (Role.ADMIN, 201), (Role.AGENT, 403), (Role.VIEWER, 403)]
)
def test_create_per_role(community, api_as, role, expected):
    category = CategoryFactory(community=community)
    team = TeamFactory(community=community)
    client = api_as(community, role)
    agent = member(community, Role.AGENT)
    body = feature(
        point(), category=category.pk, team=team.pk, agents=[agent.pk], planned_date="2025-03-04", priority=1
    )
    response = client.post(URL, body, format="json")
    assert response.status_code == expected, response.json()
    if expected == 201:
        intervention = Intervention.objects.get(pk=response.json()["id"])
        assert list(intervention.agents.all()) == [agent]
        assert response.json()["properties"]["agents"] == [agent.pk]
    else:
        assert not Intervention.objects.exists()


def test_agent_records_the_outcome(community, api_as):
    intervention = InterventionFactory(community=community)
    body = {
        "properties": {
            "status": "done",
            "surface_m2": "3.20",
            "method": "hydro",
            "support": "wall",
            "offensive": True,
            "started_at": "2025-03-04T09:00:00+01:00",
            "ended_at": "2025-03-04T09:40:00+01:00",
        }
    }
    response = api_as(community, Role.AGENT).patch(f"{URL}{intervention.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    intervention.refresh_from_db()
    assert intervention.status == "done"
    assert str(intervention.surface_m2) == "3.20"
    assert intervention.offensive is True


@pytest.mark.parametrize(
    "field,value", [("planned_date", "2025-01-01"), ("priority", 1), ("geometry", point(497_100, 6_613_000))]
)
def test_agent_cannot_change_planning_fields(community, api_as, field, value):
    intervention = InterventionFactory(community=community)
    response = api_as(community, Role.AGENT).patch(
        f"{URL}{intervention.pk}/",
        feature(value if field == "geometry" else None, **({} if field == "geometry" else {field: value})),
        format="json",
    )
    assert response.status_code == 403
    assert field in response.json()["detail"]


def test_viewer_cannot_update(community, api_as):
    intervention = InterventionFactory(community=community)
    response = api_as(community, Role.VIEWER).patch(
        f"{URL}{intervention.pk}/", {"properties": {"status": "done"}}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "role,expected", [(Role.DISPATCHER, 204), (Role.ADMIN, 204), (Role.AGENT, 403), (Role.VIEWER, 403)]
)
def test_delete_per_role(community, api_as, role, expected):
    intervention = InterventionFactory(community=community)
    response = api_as(community, role).delete(f"{URL}{intervention.pk}/")
    assert response.status_code == expected
    assert Intervention.objects.filter(pk=intervention.pk).exists() == (expected != 204)
