"""POST /api/v1/missions/{id}/stops/: add or remove single jobs of a draft mission."""

import pytest

from accounts.models import Role
from interventions.models import InterventionStatus, Mission, MissionStatus
from tests.dispatch.helpers import at, square_4326
from tests.factories import CategoryFactory, InterventionFactory, ReportFactory, TeamFactory
from tests.geo.routing_grids import grid

URL = "/api/v1/missions/"


@pytest.fixture
def draft(api_as, community):
    """A draft mission over a 200 m square holding one report and one intervention."""
    category = CategoryFactory(community=community, service_minutes=10)
    team = TeamFactory(community=community, depot=at(0, 0))
    report = ReportFactory(community=community, category=category, geom=at(50, 50))
    job = InterventionFactory(community=community, category=category, geom=at(80, 20))
    client = api_as(community)
    body = {"zone": square_4326(100, 100, 100), "date": "2025-06-02", "team": team.pk}
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return client, response.json(), report, job, category


def test_add_a_report_outside_the_zone_and_remove_a_stop(draft, community):
    client, mission, report, job, category = draft
    far = ReportFactory(community=community, category=category, geom=at(900, 900))
    report_stop = next(
        s for s in mission["properties"]["stops"] if s["report"] == report.pk and not s["intervention"]
    )

    response = client.post(
        f"{URL}{mission['id']}/stops/",
        {"add_reports": [far.pk], "remove": [report_stop["id"]]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    stops = response.json()["properties"]["stops"]
    assert {(s["report"], s["intervention"]) for s in stops} == {(far.pk, None), (None, job.pk)}
    assert all(s["service_s"] == 600 for s in stops)


def test_adding_twice_keeps_one_stop_and_drops_the_stored_round(draft, community):
    client, mission, report, job, category = draft
    grid(community, n=2, step=100)
    assert client.post(f"{URL}{mission['id']}/optimize/", {}, format="json").status_code == 200
    assert Mission.objects.get(pk=mission["id"]).route is not None
    other = InterventionFactory(community=community, category=category, geom=at(150, 150))

    for _ in range(2):
        response = client.post(
            f"{URL}{mission['id']}/stops/", {"add_interventions": [other.pk]}, format="json"
        )
        assert response.status_code == 200, response.json()

    assert [s["intervention"] for s in response.json()["properties"]["stops"]].count(other.pk) == 1
    stored = Mission.objects.get(pk=mission["id"])
    assert stored.route is None and stored.distance_m is None and stored.optimized_at is None


def test_unknown_or_closed_jobs_are_400_naming_the_field(draft, community, other_community):
    client, mission, report, job, category = draft
    foreign = ReportFactory(community=other_community, geom=at(50, 50))
    done = InterventionFactory(community=community, category=category, status=InterventionStatus.DONE)

    r1 = client.post(f"{URL}{mission['id']}/stops/", {"add_reports": [foreign.pk]}, format="json")
    r2 = client.post(f"{URL}{mission['id']}/stops/", {"add_interventions": [done.pk]}, format="json")
    r3 = client.post(f"{URL}{mission['id']}/stops/", {"remove": [999_999]}, format="json")
    r4 = client.post(f"{URL}{mission['id']}/stops/", {"remove": ["x"]}, format="json")

    assert r1.status_code == 400 and "add_reports" in r1.json()
    assert r2.status_code == 400 and "add_interventions" in r2.json()
    assert r3.status_code == 400 and "remove" in r3.json()
    assert r4.status_code == 400 and "remove" in r4.json()


def test_stops_of_a_dispatched_mission_do_not_change(draft, community):
    client, mission, report, job, category = draft
    Mission.objects.filter(pk=mission["id"]).update(status=MissionStatus.DISPATCHED)
    response = client.post(f"{URL}{mission['id']}/stops/", {"remove": []}, format="json")
    assert response.status_code == 400 and "status" in response.json()


def test_roles_and_tenancy(draft, api_as, community, other_community):
    client, mission, report, job, category = draft
    body = {"remove": []}
    assert (
        api_as(community, Role.AGENT).post(f"{URL}{mission['id']}/stops/", body, format="json").status_code
        == 403
    )
    assert (
        api_as(community, Role.VIEWER).post(f"{URL}{mission['id']}/stops/", body, format="json").status_code
        == 403
    )
    assert (
        api_as(other_community).post(f"{URL}{mission['id']}/stops/", body, format="json").status_code == 404
    )
