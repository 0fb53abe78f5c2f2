"""Recurring missions: the services behind the API and the dispatcher's pages, and the pages."""

import datetime as dt
import json

import pytest
from django.contrib.gis.geos import MultiPolygon
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Role
from audit.models import AuditEvent
from interventions.models import Mission, MissionTemplate
from interventions.services.recurrence import (
    mission_template_create,
    mission_template_delete,
    mission_template_set_active,
    mission_template_update,
    missions_create_recurring,
)
from tests.dispatch.helpers import at, square_4326
from tests.factories import POITIERS, CategoryFactory, ReportFactory, TeamFactory, ZoneFactory, member, square

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 6, 2)
THURSDAY = MONDAY + dt.timedelta(days=3)
LIST = "/dispatch/templates/"
NEW = "/dispatch/templates/new/"
API = "/dispatch/api/mission-templates/"


@pytest.fixture
def team(community):
    return TeamFactory(community=community, name="Brigade Gare", depot=at(0, 0))


@pytest.fixture
def district(community):
    # 200 m x 200 m around (100, 100) m from Poitiers centre, Lambert-93.
    return ZoneFactory(community=community, name="Gare", geom=MultiPolygon(square(*at(100, 100).coords, 100)))


@pytest.fixture
def template(community, team):
    return mission_template_create(
        community=community,
        name="Gare",
        team=team,
        zone=square(POITIERS[0] + 100, POITIERS[1] + 100, 100),
        weekdays=[0, 3],
        starts_on=MONDAY,
    )


def dispatcher_client(community, role: str = Role.DISPATCHER) -> Client:
    client = Client()
    client.force_login(member(community, role))
    return client


def form_data(team, **over) -> dict:
    data = {
        "name": "Gare du lundi",
        "zone_source": "district",
        "team": team.pk,
        "weekdays": ["0", "3"],
        "every_weeks": "1",
        "starts_on": "2025-06-02",
        "ends_on": "",
        "shift_start": "07:30",
        "shift_end": "15:00",
        "profile": "walk",
        "active": "on",
    }
    data.update(over)
    return data


# --- services -------------------------------------------------------------------------------
def test_daily_run_follows_every_chosen_day_and_skips_paused_templates(template, community):
    ReportFactory(community=community, category=CategoryFactory(community=community), geom=at(100, 100))

    assert len(missions_create_recurring(date=MONDAY).created) == 1
    assert not missions_create_recurring(date=MONDAY + dt.timedelta(days=1)).created  # Tuesday
    assert len(missions_create_recurring(date=THURSDAY).created) == 1

    mission_template_set_active(template=template, active=False)
    assert not missions_create_recurring(date=MONDAY + dt.timedelta(weeks=1)).created


def test_update_changes_the_plan_and_is_audited(template, community):
    other_team = TeamFactory(community=community, name="Brigade Sud")

    updated = mission_template_update(
        template=template, name="Gare (jeudi)", weekdays=[3, 3], team=other_team, shift_start=dt.time(7)
    )

    assert (updated.name, updated.weekdays, updated.team_id) == ("Gare (jeudi)", [3], other_team.pk)
    assert MissionTemplate.objects.get(pk=template.pk).shift_start == dt.time(7)
    event = AuditEvent.objects.filter(object_id=template.pk, action="update").get()
    assert event.changes["weekdays"] == [[0, 3], [3]] and event.changes["name"][1] == "Gare (jeudi)"


def test_update_refuses_bad_input_naming_the_field(template, other_community):
    foreign = TeamFactory(community=other_community)
    cases = [
        ({"team": foreign}, "team"),
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [7]}, "weekdays"),
        ({"shift_end": dt.time(6)}, "shift_end"),
        ({"zone": square(POITIERS[0] + 50_000, POITIERS[1], 100)}, "zone"),
    ]
    for changes, field in cases:
        with pytest.raises(ValidationError) as caught:
            mission_template_update(template=template, **changes)
        assert field in caught.value.message_dict, changes
    assert MissionTemplate.objects.get(pk=template.pk).weekdays == [0, 3]  # nothing written


def test_delete_keeps_the_missions_it_made(template, community):
    mission = missions_create_recurring(date=MONDAY).created[0]

    mission_template_delete(template=template)

    assert not MissionTemplate.objects.filter(pk=template.pk).exists()
    assert Mission.objects.filter(pk=mission.pk).exists()
    assert AuditEvent.objects.filter(object_id=template.pk, action="delete").exists()


# --- API ------------------------------------------------------------------------------------
def test_api_several_days_patch_pause_and_delete(api_as, community, other_community, team):
    client = api_as(community)
    created = client.post(
        API,
        {
            "name": "Marché",
            "team": team.pk,
            "zone": square_4326(0, 0, 200),
            "weekdays": [4, 1],
            "starts_on": "2025-06-03",
            "shift_start": "06:30",
            "profile": "walk",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["weekdays"], body["shift_start"], body["profile"]) == ([1, 4], "06:30", "walk")
    url = f"{API}{body['id']}/"

    paused = client.patch(url, {"active": False}, format="json")
    assert paused.status_code == 200 and paused.json()["active"] is False
    assert "weekdays" in client.patch(url, {"weekdays": []}, format="json").json()
    assert "ends_on" in client.patch(url, {"ends_on": "2025-01-01"}, format="json").json()
    assert api_as(other_community).get(url).status_code == 404
    assert api_as(community, Role.AGENT).patch(url, {"active": True}, format="json").status_code == 403

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


# --- pages ----------------------------------------------------------------------------------
def test_dispatcher_creates_a_template_from_a_district(community, team, district):
    client = dispatcher_client(community)

    response = client.post(NEW, form_data(team, district=district.pk))

    assert response.status_code == 302 and response["Location"] == LIST
    template = MissionTemplate.objects.get(community=community)
    assert (template.name, template.weekdays, template.profile) == ("Gare du lundi", [0, 3], "walk")
    assert template.shift_start == dt.time(7, 30) and template.active
    assert template.zone.equals_exact(district.geom[0], 0.01)
    page = client.get(LIST).content.decode()
    assert "Gare du lundi" in page and f'data-template="{template.pk}"' in page


def test_the_board_hands_over_the_drawn_zone(community, team):
    client = dispatcher_client(community)
    zone = json.dumps(square_4326(0, 0, 150))

    form = client.get(NEW, {"zone": zone, "team": team.pk, "name": "Centre"}).content.decode()
    assert 'value="drawn"' in form and "checked" in form.split('value="drawn"')[1][:40]

    response = client.post(NEW, form_data(team, zone_source="drawn", drawn_zone=zone))
    assert response.status_code == 302
    template = MissionTemplate.objects.get(community=community)
    assert abs(template.zone.area - 300 * 300) < 300 * 300 * 0.01  # m², Lambert-93


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"district": ""}, "district"),
        ({"zone_source": "drawn", "drawn_zone": "{not json"}, "zone_source"),
        ({"zone_source": "drawn", "drawn_zone": ""}, "zone_source"),
        ({"ends_on": "2025-01-01"}, "ends_on"),
        ({"shift_end": "07:00"}, "shift_end"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_form_input_is_a_400_naming_the_field(community, team, district, changes, field):
    client = dispatcher_client(community)
    data = form_data(team, **{"district": district.pk, **changes})

    response = client.post(NEW, data)

    assert response.status_code == 400
    assert f'data-error-for="{field}"' in response.content.decode()
    assert not MissionTemplate.objects.exists()


def test_a_zone_outside_the_territory_is_refused_on_the_zone(community, team):
    client = dispatcher_client(community)
    far = json.dumps(square_4326(50_000, 0, 100))

    response = client.post(NEW, form_data(team, zone_source="drawn", drawn_zone=far))

    assert response.status_code == 400
    assert 'data-error-for="zone_source"' in response.content.decode()


def test_edit_pause_resume_and_delete(community, template, district):
    client = dispatcher_client(community)
    edit = f"{LIST}{template.pk}/"
    form = client.get(edit).content.decode()
    assert 'value="keep"' in form and "Gare" in form and "<svg" in form

    data = form_data(template.team, zone_source="keep", weekdays=["3"], name="Gare (jeudi)")
    del data["active"]  # unticked: paused
    assert client.post(edit, data).status_code == 302
    template.refresh_from_db()
    assert (template.name, template.weekdays, template.active) == ("Gare (jeudi)", [3], False)

    assert client.post(f"{edit}active/", {"active": "1"}).status_code == 302
    template.refresh_from_db()
    assert template.active
    assert client.post(f"{edit}active/", {"active": "maybe"}).status_code == 400

    assert client.get(f"{edit}delete/").status_code == 200
    assert client.post(f"{edit}delete/", {}).status_code == 400  # no confirmation, nothing deleted
    assert MissionTemplate.objects.filter(pk=template.pk).exists()
    assert client.post(f"{edit}delete/", {"confirm": "yes"}).status_code == 302
    assert not MissionTemplate.objects.filter(pk=template.pk).exists()


def test_pages_are_for_planners_of_the_same_community(community, other_community, template):
    agent = dispatcher_client(community, Role.AGENT)
    assert agent.get(LIST).status_code == 403
    assert agent.post(f"{LIST}{template.pk}/active/", {"active": "0"}).status_code == 403

    stranger = dispatcher_client(other_community)
    assert stranger.get(f"{LIST}{template.pk}/").status_code == 404
    assert stranger.post(f"{LIST}{template.pk}/delete/", {"confirm": "yes"}).status_code == 404
    assert "Gare" not in stranger.get(LIST).content.decode()
    template.refresh_from_db()
    assert template.active


def test_the_board_links_to_the_templates_page(community):
    page = dispatcher_client(community).get("/dispatch/").content.decode()
    assert 'href="/dispatch/templates/"' in page and 'action="/dispatch/templates/new/"' in page


def test_dates_and_times_reach_the_browser_in_iso_form_in_french(community, template):
    client = dispatcher_client(community)
    client.cookies["django_language"] = "fr"
    form = client.get(f"{LIST}{template.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'lang="fr"' in form
    assert 'value="2025-06-02"' in form and 'value="08:00"' in form
