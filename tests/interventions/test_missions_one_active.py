"""A job is planned in at most one active mission (issue 18): database, API, life cycle."""

import datetime as dt
import json

import pytest
from django.db import IntegrityError, connection, transaction

from interventions.models import MissionStatus, MissionStop, StopStatus
from interventions.services.deletion import mission_delete, mission_restore
from tests.factories import (
    POITIERS,
    CategoryFactory,
    InterventionFactory,
    MissionFactory,
    ReportFactory,
    TeamFactory,
    square,
)
from tests.interventions.test_missions_api import at

URL = "/api/v1/missions/"


def zone(half: float = 200) -> dict:
    polygon = square(*POITIERS, half)
    polygon.transform(4326)
    return json.loads(polygon.json)


@pytest.fixture
def setup(api_as, community):
    team = TeamFactory(community=community, depot=at(0, 0))
    category = CategoryFactory(community=community, service_minutes=20)
    job = InterventionFactory(community=community, category=category, geom=at(10, 10))
    report = ReportFactory(community=community, category=category, geom=at(-20, 30))
    return api_as(community), team, job, report


def create(client, team, date="2025-06-02", **extra):
    return client.post(URL, {"zone": zone(), "date": date, "team": team.pk, **extra}, format="json")


def test_a_second_mission_leaves_planned_jobs_out_and_names_the_mission(setup):
    client, team, job, report = setup
    first = create(client, team, name="Lundi centre").json()
    # Another day, another team: still the same job, still planned once.
    other_team = TeamFactory(community=team.community)
    second = create(client, other_team, date="2025-06-03")

    assert second.status_code == 201
    assert second.json()["properties"]["stops"] == []
    left_out = {(c["intervention"], c["report"], c["mission"]) for c in second.json()["conflicts"]}
    assert left_out == {(job.pk, None, first["id"]), (None, report.pk, first["id"])}
    detail = next(c["detail"] for c in second.json()["conflicts"] if c["intervention"] == job.pk)
    assert "Lundi centre" in detail and str(first["id"]) in detail
    assert MissionStop.objects.filter(intervention=job).count() == 1


def test_adding_a_planned_job_explicitly_is_a_409_naming_the_mission(setup):
    client, team, job, report = setup
    first = create(client, team, name="Lundi centre").json()
    second = create(client, team, date="2025-06-03").json()

    response = client.post(f"{URL}{second['id']}/stops/", {"add_interventions": [job.pk]}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert [b["mission"] for b in body["already_planned"]] == [first["id"]]
    assert "Lundi centre" in body["detail"]
    assert not MissionStop.objects.filter(mission_id=second["id"]).exists()  # nothing changed
    response = client.post(f"{URL}{second['id']}/stops/", {"add_reports": [report.pk]}, format="json")
    assert response.status_code == 409


def test_cancelling_or_deleting_a_mission_frees_its_jobs(setup):
    client, team, job, _report = setup
    first = create(client, team).json()
    assert client.patch(f"{URL}{first['id']}/", {"status": "cancelled"}, format="json").status_code == 200
    second = create(client, team).json()
    assert {s["intervention"] for s in second["properties"]["stops"]} >= {job.pk}

    mission_delete(mission=MissionStop.objects.get(mission_id=second["id"], intervention=job).mission)
    third = create(client, team).json()
    assert job.pk in {s["intervention"] for s in third["properties"]["stops"]}


def test_restoring_a_mission_whose_job_was_planned_meanwhile_drops_that_stop(setup):
    client, team, job, _report = setup
    first = create(client, team).json()
    mission = MissionStop.objects.get(mission_id=first["id"], intervention=job).mission
    mission_delete(mission=mission)
    second = create(client, team).json()

    mission_restore(mission=mission)

    stop = MissionStop.objects.get(mission=mission, intervention=job)
    assert (stop.status, stop.holds_job) == (StopStatus.UNASSIGNED, False)
    assert stop.reason == f"already planned in mission {second['id']}"
    assert MissionStop.objects.get(mission_id=second["id"], intervention=job).holds_job


def test_the_database_refuses_a_second_active_booking(community):
    job = InterventionFactory(community=community)
    MissionStop.objects.create(mission=MissionFactory(community=community), intervention=job)
    other = MissionFactory(community=community, date=dt.date(2025, 7, 1))
    with pytest.raises(IntegrityError, match="mission_stop_intervention_one_active"), transaction.atomic():
        MissionStop.objects.create(mission=other, intervention=job)
    # A dropped stop (no booking) may sit beside it.
    MissionStop.objects.create(mission=other, intervention=job, status=StopStatus.UNASSIGNED, holds_job=False)


def test_the_migration_keeps_one_booking_per_job_deterministically(community):
    from importlib import import_module

    migration = import_module("interventions.migrations.0010_mission_stop_one_active")
    job = InterventionFactory(community=community)
    draft = MissionFactory(community=community, date=dt.date(2025, 6, 1))
    dispatched = MissionFactory(
        community=community, date=dt.date(2025, 6, 3), status=MissionStatus.DISPATCHED
    )
    done = MissionFactory(community=community, date=dt.date(2025, 5, 1), status=MissionStatus.COMPLETED)
    with connection.cursor() as cursor:  # the state before the migration (rolled back with the test)
        cursor.execute("DROP INDEX mission_stop_intervention_one_active")
    stops = [MissionStop.objects.create(mission=m, intervention=job) for m in (draft, dispatched, done)]
    with connection.cursor() as cursor:
        cursor.execute(migration.HOLDS)
        cursor.execute(migration.DEDUPE)

    by_mission = {s.mission_id: s for s in MissionStop.objects.filter(pk__in=[s.pk for s in stops])}
    assert by_mission[dispatched.pk].holds_job  # the most advanced active mission keeps it
    assert (by_mission[draft.pk].holds_job, by_mission[draft.pk].status) == (False, StopStatus.UNASSIGNED)
    assert by_mission[draft.pk].reason == f"already planned in mission {dispatched.pk}"
    assert not by_mission[done.pk].holds_job and by_mission[done.pk].status == StopStatus.PLANNED
