"""/api/v1/missions/: zone selection, conflicts, status workflow, roles and tenancy."""

import json

import pytest
from django.contrib.gis.geos import Point

from accounts.models import Role
from interventions.models import Intervention, InterventionStatus, Mission, MissionStatus, ReportStatus
from tests.factories import (
    POITIERS,
    CategoryFactory,
    InterventionFactory,
    MissionFactory,
    ReportFactory,
    TeamFactory,
    square,
)

URL = "/api/v1/missions/"


def zone_4326(cx: float, cy: float, half: float) -> dict:
    polygon = square(cx, cy, half)
    polygon.transform(4326)
    return json.loads(polygon.json)


def at(dx: float, dy: float) -> Point:
    return Point(POITIERS[0] + dx, POITIERS[1] + dy, srid=2154)


@pytest.fixture
def team(community):
    return TeamFactory(community=community, depot=at(0, 0))


@pytest.fixture
def category(community):
    return CategoryFactory(community=community, service_minutes=20)


def create(client, team, half=200, **extra):
    body = {"zone": zone_4326(*POITIERS, half), "date": "2025-06-02", "team": team.pk, **extra}
    return client.post(URL, body, format="json")


def test_zone_selects_open_jobs_inside_and_on_the_edge(api_as, community, other_community, team, category):
    inside = ReportFactory(community=community, category=category, geom=at(50, 50))
    # Exactly on the zone's edge (x = +200 m): counts as inside.
    edge = InterventionFactory(community=community, category=category, geom=at(200, 0))
    ReportFactory(community=community, category=category, geom=at(300, 0))  # outside
    ReportFactory(community=community, category=category, geom=at(10, 10), status=ReportStatus.REJECTED)
    InterventionFactory(
        community=community, category=category, geom=at(20, 20), status=InterventionStatus.DONE
    )
    ReportFactory(community=other_community, geom=at(0, 0))  # another tenant, same place

    response = create(api_as(community), team)

    assert response.status_code == 201, response.json()
    stops = response.json()["properties"]["stops"]
    assert {s["report"] for s in stops if s["intervention"] is None} == {inside.pk}
    assert {s["intervention"] for s in stops if s["intervention"]} == {edge.pk}
    assert all(s["service_s"] == 20 * 60 for s in stops)
    assert response.json()["geometry"]["type"] == "Polygon"


def test_zone_outside_the_community_is_a_400_on_zone(api_as, community, team):
    body = {"zone": zone_4326(POITIERS[0] + 50_000, POITIERS[1], 100), "date": "2025-06-02", "team": team.pk}
    response = api_as(community).post(URL, body, format="json")
    assert response.status_code == 400
    assert "zone" in response.json()


def test_zone_must_be_a_polygon(api_as, community, team):
    body = {"zone": {"type": "Point", "coordinates": [0.34, 46.58]}, "date": "2025-06-02", "team": team.pk}
    response = api_as(community).post(URL, body, format="json")
    assert response.status_code == 400 and "zone" in response.json()


def test_team_of_another_community_is_refused(api_as, community, other_community):
    foreign = TeamFactory(community=other_community)
    response = create(api_as(community), foreign)
    assert response.status_code == 400 and "team" in response.json()


def test_conflicts_job_already_planned_and_team_booked(api_as, community, team, category):
    InterventionFactory(community=community, category=category, geom=at(10, 10))
    client = api_as(community)
    first = create(client, team)
    assert first.json()["conflicts"] == []
    second = create(client, team)
    kinds = {c["kind"] for c in second.json()["conflicts"]}
    assert kinds == {"team_booked", "job_already_planned"}
    assert second.json()["properties"]["stops"] == []  # the job stays in the first mission


def test_status_workflow_and_dispatch_makes_interventions(api_as, community, team, category):
    report = ReportFactory(community=community, category=category, geom=at(30, 30))
    client = api_as(community)
    mission_id = create(client, team).json()["id"]
    url = f"{URL}{mission_id}/"

    bad = client.patch(url, {"status": "completed"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()

    ok = client.patch(url, {"status": "dispatched"}, format="json")
    assert ok.status_code == 200 and ok.json()["properties"]["status"] == "dispatched"
    job = Intervention.objects.get(report=report)
    assert job.status == InterventionStatus.SCHEDULED and job.mission_id == mission_id
    assert job.team_id == team.pk and str(job.planned_date) == "2025-06-02"
    assert ok.json()["properties"]["stops"][0]["intervention"] == job.pk

    for step in ("in_progress", "completed"):
        assert client.patch(url, {"status": step}, format="json").status_code == 200
    assert client.patch(url, {"status": "cancelled"}, format="json").status_code == 400


def test_cancel_puts_scheduled_jobs_back(api_as, community, team, category):
    job = InterventionFactory(community=community, category=category, geom=at(10, 10))
    client = api_as(community)
    url = f"{URL}{create(client, team).json()['id']}/"
    client.patch(url, {"status": "dispatched"}, format="json")
    assert client.patch(url, {"status": "cancelled"}, format="json").status_code == 200
    job.refresh_from_db()
    assert job.status == InterventionStatus.TODO and job.mission_id is None


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_readers_cannot_write(api_as, community, team, role):
    assert create(api_as(community, role), team).status_code == 403


def test_agents_read_only_their_teams_missions(api_as, community, team):
    mine = MissionFactory(community=community, team=team)
    MissionFactory(community=community)  # another team
    client = api_as(community, Role.AGENT)
    team.members.add(client.user)
    ids = [f["id"] for f in client.get(URL).json()["features"]]
    assert ids == [mine.pk]


def test_other_communities_missions_are_invisible(api_as, community, other_community):
    theirs = MissionFactory(community=other_community)
    client = api_as(community)
    assert client.get(URL).json()["features"] == []
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.post(f"{URL}{theirs.pk}/optimize/", {}, format="json").status_code == 404


def test_list_filters(api_as, community, team):
    june = MissionFactory(community=community, team=team, date="2025-06-02")
    MissionFactory(community=community, team=team, date="2025-07-01", status=MissionStatus.CANCELLED)
    client = api_as(community)
    got = client.get(URL, {"date_from": "2025-06-01", "date_to": "2025-06-30"}).json()["features"]
    assert [f["id"] for f in got] == [june.pk]
    got = client.get(URL, {"status": "cancelled"}).json()["features"]
    assert len(got) == 1 and got[0]["properties"]["status"] == "cancelled"
    assert client.get(URL, {"status": "lost"}).status_code == 400
    assert client.get(URL, {"date_from": "June"}).status_code == 400
    far = client.get(URL, {"bbox": "10,50,10.1,50.1"}).json()["features"]
    assert far == []


def test_mission_is_stored_with_the_zone(api_as, community, team):
    mission_id = create(api_as(community), team, name="Gare").json()["id"]
    mission = Mission.objects.get(pk=mission_id)
    assert mission.name == "Gare" and mission.community == community
    assert mission.zone.srid == 2154 and mission.zone.area == pytest.approx(400 * 400, rel=0.01)
