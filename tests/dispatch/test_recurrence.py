"""Recurring missions: the rule, the daily run (idempotent), the command and the API."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role
from interventions.models import Mission, MissionTemplate
from interventions.services.recurrence import missions_create_recurring, template_due_on
from tests.dispatch.helpers import at, square_4326
from tests.factories import POITIERS, CategoryFactory, ReportFactory, TeamFactory, ZoneFactory, square
from tests.geo.routing_grids import grid

MONDAY = dt.date(2025, 6, 2)
URL = "/dispatch/api/mission-templates/"


@pytest.fixture
def template(community):
    team = TeamFactory(community=community, depot=at(0, 0))
    return MissionTemplate.objects.create(
        community=community,
        name="Gare",
        team=team,
        zone=square(POITIERS[0] + 100, POITIERS[1] + 100, 100),
        weekdays=[0],
        starts_on=MONDAY,
    )


def test_rule_every_monday_and_every_other_week(template):
    assert template_due_on(template, MONDAY)
    assert template_due_on(template, MONDAY + dt.timedelta(weeks=3))
    assert not template_due_on(template, MONDAY + dt.timedelta(days=1))  # a Tuesday
    assert not template_due_on(template, MONDAY - dt.timedelta(weeks=1))  # before the start
    template.every_weeks = 2
    template.ends_on = MONDAY + dt.timedelta(weeks=4)
    assert template_due_on(template, MONDAY + dt.timedelta(weeks=2))
    assert not template_due_on(template, MONDAY + dt.timedelta(weeks=1))
    assert not template_due_on(template, MONDAY + dt.timedelta(weeks=6))  # after the end
    template.active = False
    assert not template_due_on(template, MONDAY)


def test_daily_run_creates_the_mission_with_the_zones_jobs_once(template, community, other_community):
    category = CategoryFactory(community=community)
    report = ReportFactory(community=community, category=category, geom=at(50, 50))
    ReportFactory(community=community, category=category, geom=at(500, 500))
    grid(community, n=2, step=100)

    first = missions_create_recurring(date=MONDAY, optimize=True)
    again = missions_create_recurring(date=MONDAY)
    tuesday = missions_create_recurring(date=MONDAY + dt.timedelta(days=1))

    assert len(first.created) == 1 and not again.created and not tuesday.created
    mission = first.created[0]
    assert (mission.date, mission.team_id, mission.status) == (MONDAY, template.team_id, "draft")
    assert list(mission.stops.values_list("report_id", flat=True)) == [report.pk]
    assert Mission.objects.get(pk=mission.pk).route is not None  # optimised
    assert [why for _, why in again.skipped] == ["already created"]
    assert not Mission.objects.filter(community=other_community).exists()


def test_command_over_a_week(template):
    out = StringIO()
    call_command("create_recurring_missions", "--date", "2025-06-01", "--days", "8", stdout=out)
    assert Mission.objects.filter(date=MONDAY).count() == 1
    assert "1 mission(s) created." in out.getvalue()
    with pytest.raises(CommandError, match="--date"):
        call_command("create_recurring_missions", "--date", "lundi")
    with pytest.raises(CommandError, match="--community"):
        call_command("create_recurring_missions", "--community", "nowhere")


def test_api_creates_a_template_from_a_zone_or_a_district(api_as, community, other_community):
    team = TeamFactory(community=community)
    district = ZoneFactory(community=community)
    client = api_as(community)

    drawn = client.post(
        URL,
        {
            "name": "Gare",
            "team": team.pk,
            "zone": square_4326(0, 0, 200),
            "weekday": 0,
            "starts_on": "2025-06-02",
        },
        format="json",
    )
    from_district = client.post(
        URL,
        {"name": "Centre", "team": team.pk, "zone_id": district.pk, "weekday": 3, "starts_on": "2025-06-05"},
        format="json",
    )

    assert drawn.status_code == 201, drawn.json()
    assert from_district.status_code == 201, from_district.json()
    assert from_district.json()["weekday"] == 3
    assert [t["name"] for t in client.get(URL).json()["results"]] == ["Gare", "Centre"]
    assert api_as(other_community).get(URL).json()["results"] == []


def test_api_template_errors_and_roles(api_as, community, other_community):
    team = TeamFactory(community=community)
    foreign = TeamFactory(community=other_community)
    client = api_as(community)
    base = {
        "name": "X",
        "team": team.pk,
        "zone": square_4326(0, 0, 200),
        "weekday": 0,
        "starts_on": "2025-06-02",
    }

    assert "team" in client.post(URL, {**base, "team": foreign.pk}, format="json").json()
    assert "weekday" in client.post(URL, {**base, "weekday": 9}, format="json").json()
    assert "ends_on" in client.post(URL, {**base, "ends_on": "2025-01-01"}, format="json").json()
    far = square_4326(50_000, 0, 100)
    assert "zone" in client.post(URL, {**base, "zone": far}, format="json").json()
    assert api_as(community, Role.AGENT).post(URL, base, format="json").status_code == 403


def test_admin_lists_the_templates(template, admin_client):
    response = admin_client.get("/admin/interventions/missiontemplate/")
    assert response.status_code == 200 and "Gare" in response.content.decode()
    assert admin_client.get(f"/admin/interventions/missiontemplate/{template.pk}/change/").status_code == 200
