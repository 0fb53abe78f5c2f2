"""/api/v1/teams/ (plain JSON, dispatchers write) and the read-only category lists."""

import pytest

from accounts.models import Role, Team
from tests.api.helpers import lonlat, point
from tests.factories import (
    POITIERS,
    AssetCategoryFactory,
    CategoryFactory,
    MissionFactory,
    TeamFactory,
    member,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/teams/"


def test_list_is_plain_json_with_depot_in_4326(community, api_as):
    agent = member(community, Role.AGENT)
    team = TeamFactory(community=community, name="Brigade nord")
    team.members.add(agent)
    body = api_as(community, Role.VIEWER).get(URL).json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["name"] == "Brigade nord"
    assert row["members"] == [agent.pk]
    assert row["depot"]["type"] == "Point"
    assert row["depot"]["coordinates"] == pytest.approx(lonlat(), abs=1e-6)


@pytest.mark.parametrize(
    "role,allowed", [(Role.ADMIN, True), (Role.DISPATCHER, True), (Role.AGENT, False), (Role.VIEWER, False)]
)
def test_team_writes_per_role(community, api_as, role, allowed):
    agent = member(community, Role.AGENT)
    client = api_as(community, role)
    body = {"name": "Brigade sud", "members": [agent.pk], "depot": point(), "hourly_cost": "40.00"}
    response = client.post(URL, body, format="json")
    assert response.status_code == (201 if allowed else 403), response.content
    if allowed:
        team = Team.objects.get(pk=response.json()["id"])
        assert list(team.members.all()) == [agent]
        assert str(team.hourly_cost) == "40.00"
    team = TeamFactory(community=community, name="Avant")
    response = client.patch(f"{URL}{team.pk}/", {"name": "Après", "depot": None}, format="json")
    assert response.status_code == (200 if allowed else 403), response.content
    team.refresh_from_db()
    assert team.name == ("Après" if allowed else "Avant")
    assert (team.depot is None) == allowed
    assert client.delete(f"{URL}{team.pk}/").status_code == (204 if allowed else 403)


def test_team_bad_input(community, other_community, api_as):
    TeamFactory(community=community, name="Brigade A")
    client = api_as(community, Role.DISPATCHER)
    response = client.post(URL, {"name": "Brigade A"}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    outsider = member(other_community, Role.AGENT)
    response = client.post(URL, {"name": "B", "members": [outsider.pk]}, format="json")
    assert response.status_code == 400 and "unknown user" in str(response.json()["members"])
    response = client.post(
        URL, {"name": "C", "depot": {"type": "Point", "coordinates": list(POITIERS)}}, format="json"
    )
    assert response.status_code == 400 and "depot" in response.json()


def test_team_with_missions_cannot_be_deleted(community, api_as):
    mission = MissionFactory(community=community)
    response = api_as(community, Role.DISPATCHER).delete(f"{URL}{mission.team_id}/")
    assert response.status_code == 400
    assert Team.objects.filter(pk=mission.team_id).exists()


@pytest.mark.parametrize(
    "resource,maker", [("categories", CategoryFactory), ("asset-categories", AssetCategoryFactory)]
)
def test_categories_are_read_only(community, api_as, resource, maker):
    category = maker(community=community)
    client = api_as(community, Role.ADMIN)
    body = client.get(f"/api/v1/{resource}/").json()
    assert body["results"][0]["code"] == category.code
    assert client.get(f"/api/v1/{resource}/{category.pk}/").json()["id"] == category.pk
    assert client.post(f"/api/v1/{resource}/", {"code": "x", "name": "X"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/{resource}/{category.pk}/").status_code == 405
