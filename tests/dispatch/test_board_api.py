"""/dispatch/api/: the board's data, the zone preview, live progress; roles and tenancy."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.services import api_token_create
from interventions.models import InterventionStatus, MissionStatus, MissionStop, ReportStatus, StopStatus
from tests.dispatch.helpers import at, box_4326
from tests.factories import (
    CategoryFactory,
    InterventionFactory,
    MissionFactory,
    ReportFactory,
    TeamFactory,
    ZoneFactory,
    member,
    square,
)

BOARD = "/dispatch/api/board/"
PREVIEW = "/dispatch/api/preview/"


def test_board_lists_open_jobs_and_the_days_missions_of_the_community_only(
    api_as, community, other_community
):
    category = CategoryFactory(community=community)
    open_report = ReportFactory(
        community=community, category=category, geom=at(10, 10), address="3 rue Carnot"
    )
    handled = ReportFactory(community=community, category=category)
    InterventionFactory(community=community, category=category, report=handled)
    ReportFactory(community=community, category=category, status=ReportStatus.REJECTED)
    todo = InterventionFactory(community=community, category=category, status=InterventionStatus.TODO)
    done_today = InterventionFactory(
        community=community, category=category, status=InterventionStatus.DONE, ended_at=timezone.now()
    )
    InterventionFactory(
        community=community,
        category=category,
        status=InterventionStatus.DONE,
        ended_at=timezone.now() - dt.timedelta(days=3),
    )
    ReportFactory(community=other_community)
    today = timezone.localdate()
    mission = MissionFactory(community=community, date=today)
    MissionFactory(community=community, date=today + dt.timedelta(days=1))
    MissionFactory(community=other_community, date=today)

    response = api_as(community).get(BOARD, {"date": today.isoformat()})

    assert response.status_code == 200, response.json()
    body = response.json()
    reports = body["reports"]["features"]
    assert [f["properties"]["pk"] for f in reports] == [open_report.pk]
    assert reports[0]["properties"]["address"] == "3 rue Carnot"
    lon, lat = reports[0]["geometry"]["coordinates"]
    assert 0.3 < lon < 0.4 and 46.5 < lat < 46.7  # Poitiers, EPSG:4326
    assert {f["properties"]["pk"] for f in body["interventions"]["features"]} == {
        handled.interventions.get().pk,
        todo.pk,
        done_today.pk,
    }
    assert [f["id"] for f in body["missions"]["features"]] == [mission.pk]


def test_board_rejects_a_bad_date(api_as, community):
    response = api_as(community).get(BOARD, {"date": "2025-13-45"})
    assert response.status_code == 400 and "date" in response.json()


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_board_and_preview_are_for_planners(api_as, community, role):
    client = api_as(community, role)
    assert client.get(BOARD).status_code == 403
    assert client.post(PREVIEW, {"zone": box_4326(0, 0, 10, 10)}, format="json").status_code == 403


def test_preview_lists_jobs_inside_and_marks_those_already_planned(api_as, community, other_community):
    category = CategoryFactory(community=community)
    inside = ReportFactory(community=community, category=category, geom=at(50, 50))
    booked = InterventionFactory(community=community, category=category, geom=at(60, 60))
    ReportFactory(community=community, category=category, geom=at(500, 500))  # outside
    ReportFactory(community=other_community, geom=at(50, 50))  # another tenant, same place
    # Another day: a job is planned at most once, whatever the date.
    other = MissionFactory(community=community, date=dt.date(2025, 6, 5), name="Centre")
    MissionStop.objects.create(mission=other, intervention=booked)

    response = api_as(community).post(
        PREVIEW, {"zone": box_4326(0, 0, 100, 100), "date": "2025-06-02"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["reports"] == [inside.pk]
    assert body["interventions"] == [booked.pk]
    [entry] = body["booked"]["interventions"]
    assert (entry["id"], entry["mission"], entry["mission_name"]) == (booked.pk, other.pk, "Centre")
    assert entry["mission_date"] == "2025-06-05"
    assert "Centre" in entry["detail"] and "05/06/2025" in entry["detail"]
    assert body["outside_territory"] is False


def test_preview_of_a_zone_reaching_a_pole_is_a_400_naming_it(api_as, community):
    pole = {"type": "Polygon", "coordinates": [[[0, -90], [1, -89], [0, -89], [0, -90]]]}
    response = api_as(community).post(PREVIEW, {"zone": pole}, format="json")
    assert response.status_code == 400, response.content
    assert "EPSG:2154" in json.dumps(response.json()["zone"])


def test_preview_from_a_district(api_as, community, other_community):
    category = CategoryFactory(community=community)
    district = ZoneFactory(community=community)  # 1 km square around the centre
    inside = ReportFactory(community=community, category=category, geom=at(100, 100))
    ReportFactory(community=community, category=category, geom=at(800, 800))
    foreign = ZoneFactory(community=other_community)
    client = api_as(community)

    response = client.post(PREVIEW, {"zone_id": district.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["reports"] == [inside.pk]
    assert response.json()["zone"]["type"] == "Polygon"

    response = client.post(PREVIEW, {"zone_id": foreign.pk}, format="json")
    assert response.status_code == 400 and "zone_id" in response.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "zone"),
        ({"zone": {"type": "Point", "coordinates": [0.34, 46.58]}}, "zone"),
        (
            {
                "zone": {
                    "type": "Polygon",
                    "coordinates": [[[0.3, 46.5], [0.4, 46.6], [0.3, 46.6], [0.4, 46.5], [0.3, 46.5]]],
                }
            },
            "zone",
        ),
    ],
)
def test_preview_bad_zone_is_a_400_naming_it(api_as, community, body, field):
    response = api_as(community).post(PREVIEW, body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_progress_reports_each_stop_and_is_scoped(api_as, community, other_community):
    team = TeamFactory(community=community)
    mission = MissionFactory(community=community, team=team, status=MissionStatus.DISPATCHED)
    done = InterventionFactory(community=community, status=InterventionStatus.DONE)
    going = InterventionFactory(community=community, status=InterventionStatus.IN_PROGRESS)
    waiting = InterventionFactory(community=community, status=InterventionStatus.SCHEDULED)
    s1 = MissionStop.objects.create(mission=mission, intervention=done, sequence=1)
    s2 = MissionStop.objects.create(mission=mission, intervention=going, sequence=2)
    s3 = MissionStop.objects.create(mission=mission, intervention=waiting, sequence=3)
    s4 = MissionStop.objects.create(
        mission=mission, report=ReportFactory(community=community), status=StopStatus.UNASSIGNED
    )
    url = f"/dispatch/api/missions/{mission.pk}/progress/"

    response = api_as(community).get(url)

    assert response.status_code == 200
    body = response.json()
    assert [(s["id"], s["state"]) for s in body["stops"]] == [
        (s1.pk, "done"),
        (s2.pk, "in_progress"),
        (s3.pk, "planned"),
        (s4.pk, "unassigned"),
    ]
    assert body["counts"]["done"] == 1 and body["status"] == "dispatched"
    # An agent of the team follows it; an agent of another team and another tenant do not.
    agent = member(community, Role.AGENT)
    team.members.add(agent)
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=agent)[1]}")
    assert client.get(url).status_code == 200
    assert api_as(community, Role.AGENT).get(url).status_code == 404
    assert api_as(other_community).get(url).status_code == 404


def test_zone_outside_territory_is_flagged(api_as, community):
    zone = square(497_000 + 4_900, 6_613_000, 300)  # straddles the territory's east edge
    zone.transform(4326)
    import json

    response = api_as(community).post(PREVIEW, {"zone": json.loads(zone.json)}, format="json")
    assert response.status_code == 200 and response.json()["outside_territory"] is True


def test_preview_warns_that_the_team_already_has_a_round_that_day(api_as, community, other_community):
    team = TeamFactory(community=community)
    booked = MissionFactory(community=community, team=team, date=dt.date(2025, 6, 2))
    MissionFactory(community=community, team=team, date=dt.date(2025, 6, 3))  # another day
    MissionFactory(community=community, team=team, date=dt.date(2025, 6, 2), status=MissionStatus.CANCELLED)
    client = api_as(community)
    body = {"zone": box_4326(0, 0, 100, 100), "date": "2025-06-02"}

    assert client.post(PREVIEW, {**body, "team": team.pk}, format="json").json()["team_missions"] == [
        booked.pk
    ]
    assert client.post(PREVIEW, body, format="json").json()["team_missions"] == []
    foreign = TeamFactory(community=other_community)
    assert "team" in client.post(PREVIEW, {**body, "team": foreign.pk}, format="json").json()
