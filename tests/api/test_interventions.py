"""/api/v1/interventions/: CRUD per role, agents limited to the outcome and tag fields."""

import uuid

import pytest

from accounts.models import Role
from interventions.models import Intervention
from tests.agent.conftest import edit_body, make_field, put_intervention
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


def own_work(community, api_as):
    """(an agent's API client, an intervention of their team)."""
    client = api_as(community, Role.AGENT)
    team = TeamFactory(community=community)
    team.members.add(client.user)
    return client, InterventionFactory(community=community, team=team)


def test_agent_records_the_outcome(community, api_as):
    client, intervention = own_work(community, api_as)
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
    response = client.patch(f"{URL}{intervention.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    intervention.refresh_from_db()
    assert intervention.status == "done"
    assert str(intervention.surface_m2) == "3.20"
    assert intervention.offensive is True


@pytest.mark.parametrize(
    "field,value", [("planned_date", "2025-01-01"), ("priority", 1), ("geometry", point(497_100, 6_613_000))]
)
def test_agent_cannot_change_planning_fields(community, api_as, field, value):
    client, intervention = own_work(community, api_as)
    response = client.patch(
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


@pytest.mark.parametrize("path", ["api-patch", "api-put", "field-app"])
def test_agent_cannot_edit_another_teams_work_on_any_path(community, path):
    """Issue 22: an agent of team 1 edited team 2's intervention through PATCH (200) where the
    field app answered 403. One rule (interventions.selectors.intervention_check_writable)."""
    mine, theirs = make_field(community, n_stops=1), make_field(community, n_stops=1)
    target = theirs.stops[0]
    if path == "field-app":
        body = edit_body(theirs, target, notes="pas à moi")
        response = put_intervention(mine.client, uuid.uuid4(), body)
    else:
        properties = {"notes": "pas à moi", "status": "done"}
        send = mine.client.patch if path == "api-patch" else mine.client.put
        response = send(f"{URL}{target.pk}/", {"properties": properties}, format="json")
    assert response.status_code == 403, response.content
    target.refresh_from_db()
    assert target.notes != "pas à moi" and target.status != "done"
    # Their own work still goes through on the same path.
    own = mine.stops[0]
    response = mine.client.patch(f"{URL}{own.pk}/", {"properties": {"notes": "fait"}}, format="json")
    assert response.status_code == 200, response.content


def test_agent_may_edit_work_they_recorded_without_a_team(community, api_as):
    client = api_as(community, Role.AGENT)
    intervention = InterventionFactory(community=community, team=None, mission=None)
    assert (
        client.patch(f"{URL}{intervention.pk}/", {"properties": {"notes": "x"}}, format="json").status_code
        == 403
    )
    intervention.agents.add(client.user)
    assert (
        client.patch(f"{URL}{intervention.pk}/", {"properties": {"notes": "x"}}, format="json").status_code
        == 200
    )
