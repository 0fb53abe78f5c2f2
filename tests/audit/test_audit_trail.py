"""Every change to reports, interventions and missions lands in the audit trail: who, when,
what (old → new), from which client and device; visible through the API and the admin."""

import datetime as dt
import uuid

import pytest
from django.test import Client

from accounts.models import Role
from audit.models import AuditEvent
from interventions.models import Intervention, InterventionStatus, Mission
from tests.factories import (
    POITIERS,
    CategoryFactory,
    InterventionFactory,
    MissionFactory,
    TeamFactory,
    member,
)

pytestmark = pytest.mark.django_db
PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Ronde-Agent"


def events_of(obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_id=obj.pk, content_type__model=obj._meta.model_name).order_by("id")
    )


def test_api_update_records_who_what_and_device(community, api_as):
    api = api_as(community, Role.DISPATCHER)
    job = InterventionFactory(community=community, category=CategoryFactory(community=community), priority=2)
    device = str(uuid.uuid4())
    response = api.patch(
        f"/api/v1/interventions/{job.pk}/",
        {"priority": 1, "notes": "Mur de l'école"},
        format="json",
        HTTP_USER_AGENT=PHONE,
        HTTP_X_RONDE_CLIENT=device,
    )
    assert response.status_code == 200, response.content
    [event] = events_of(job)
    assert event.action == "update"
    assert event.username == api.user.username and event.user_id == api.user.pk
    assert event.source == "api"
    assert event.user_agent == PHONE
    assert str(event.client_uuid) == device
    assert event.changes == {"priority": [2, 1], "notes": ["", "Mur de l'école"]}
    assert event.community_id == community.pk


def test_history_endpoint_lists_the_changes_newest_first(community, api_as):
    api = api_as(community, Role.DISPATCHER)
    category = CategoryFactory(community=community)
    created = api.post(
        "/api/v1/interventions/",
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [0.3404, 46.5802]},
            "properties": {"category": category.pk},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert api.patch(f"/api/v1/interventions/{pk}/", {"status": "done"}, format="json").status_code == 200
    history = api.get(f"/api/v1/interventions/{pk}/history/").json()["results"]
    assert [e["action"] for e in history] == ["update", "create"]
    assert history[0]["changes"] == {"status": ["todo", "done"]}
    assert history[0]["user"] == api.user.username and history[0]["source"] == "api"
    # Viewers read the history like the intervention itself; another community does not.
    viewer = api_as(community, Role.VIEWER)
    assert viewer.get(f"/api/v1/interventions/{pk}/history/").status_code == 200


def test_history_of_another_community_is_404(community, other_community, api_as):
    job = InterventionFactory(community=other_community, category=CategoryFactory(community=other_community))
    assert api_as(community, Role.ADMIN).get(f"/api/v1/interventions/{job.pk}/history/").status_code == 404


def test_report_and_mission_changes_are_recorded(community, api_as):
    api = api_as(community, Role.DISPATCHER)
    category = CategoryFactory(community=community)
    report = api.post(
        "/api/v1/reports/",
        {"geometry": {"type": "Point", "coordinates": [0.3404, 46.5802]}, "category": category.pk},
        format="json",
    )
    assert report.status_code == 201, report.content
    rid = report.json()["id"]
    assert api.patch(f"/api/v1/reports/{rid}/", {"status": "rejected"}, format="json").status_code == 200
    assert [e["action"] for e in api.get(f"/api/v1/reports/{rid}/history/").json()["results"]] == [
        "update",
        "create",
    ]

    team = TeamFactory(community=community)
    mission = MissionFactory(community=community, team=team)
    assert (
        api.patch(f"/api/v1/missions/{mission.pk}/", {"status": "dispatched"}, format="json").status_code
        == 200
    )
    history = api.get(f"/api/v1/missions/{mission.pk}/history/").json()["results"]
    assert {"status": ["draft", "dispatched"]} in [e["changes"] for e in history]


def test_agent_sync_records_the_device_and_the_client_uuid(community):
    agent = member(community, Role.AGENT)
    team = TeamFactory(community=community)
    team.members.add(agent)
    mission = MissionFactory(community=community, team=team, status="dispatched")
    job = InterventionFactory(
        community=community,
        category=CategoryFactory(community=community),
        mission=mission,
        team=team,
        status=InterventionStatus.SCHEDULED,
    )
    client = Client(HTTP_USER_AGENT=PHONE)
    client.force_login(agent)
    key = uuid.uuid4()
    response = client.put(
        f"/agent/api/interventions/{key}/",
        {
            "intervention_id": job.pk,
            "client_updated_at": "2025-06-02T09:30:00+02:00",
            "status": "done",
            "surface_m2": "3.5",
            "method": "hydro",
        },
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    update = [e for e in events_of(job) if e.action == "update"][-1]
    assert update.source == "agent" and update.user_agent == PHONE and update.client_uuid == key
    assert update.changes["status"] == ["scheduled", "done"]
    assert update.changes["surface_m2"] == [None, "3.50"]


def test_bulk_close_records_one_event_per_intervention(community):
    from interventions.services.bulk import interventions_bulk_update

    category = CategoryFactory(community=community)
    jobs = [InterventionFactory(community=community, category=category) for _ in range(3)]
    interventions_bulk_update(community=community, ids=[j.pk for j in jobs], action="close")
    for job in jobs:
        [event] = events_of(job)
        assert event.changes["status"] == ["todo", "done"]
        assert event.source == "system"  # no request: a command or a task


def test_admin_edit_is_recorded_and_shown_in_the_admin_history(community, admin_client):
    job = InterventionFactory(community=community, category=CategoryFactory(community=community), notes="")
    page = admin_client.get(f"/admin/interventions/intervention/{job.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "community": community.pk,
            "category": job.category_id,
            "status": "todo",
            "priority": 2,
            "notes": "Corrigé au bureau",
            "geom": job.geom.ewkt,
        }
    )
    response = admin_client.post(f"/admin/interventions/intervention/{job.pk}/change/", data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response
    )
    [event] = events_of(job)
    assert event.source == "admin" and event.changes["notes"] == ["", "Corrigé au bureau"]
    history = admin_client.get(f"/admin/interventions/intervention/{job.pk}/history/")
    assert b"Corrig\xc3\xa9 au bureau" in history.content and b'data-audit-events="1"' in history.content


def test_a_change_that_changes_nothing_records_nothing(community, api_as):
    api = api_as(community, Role.DISPATCHER)
    job = InterventionFactory(community=community, category=CategoryFactory(community=community), priority=2)
    assert api.patch(f"/api/v1/interventions/{job.pk}/", {"priority": 2}, format="json").status_code == 200
    assert events_of(job) == []


def test_the_trail_outlives_a_purge(community):
    from interventions.services.deletion import intervention_delete, purge_deleted

    job = InterventionFactory(community=community, category=CategoryFactory(community=community))
    intervention_delete(intervention=job)
    Intervention.all_objects.filter(pk=job.pk).update(deleted_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert purge_deleted(older_than=dt.timedelta(days=30)) == {"mission": 0, "intervention": 1}
    assert not Intervention.all_objects.filter(pk=job.pk).exists()
    assert [e.action for e in events_of(job)] == ["delete", "purge"]
    assert Mission.all_objects.count() == 0
    assert POITIERS  # the factories' place (keeps the import honest)
