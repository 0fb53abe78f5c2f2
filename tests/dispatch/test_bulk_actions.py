"""POST /dispatch/api/interventions/bulk/: reassign, cancel, close several at once."""

import datetime as dt

import pytest

from accounts.models import Role
from interventions.models import Intervention, InterventionStatus, MissionStatus, MissionStop
from tests.factories import InterventionFactory, MissionFactory, TeamFactory

URL = "/dispatch/api/interventions/bulk/"


@pytest.fixture
def planned(community):
    """Three interventions scheduled in a dispatched mission of team A, and a done one."""
    team_a = TeamFactory(community=community, name="A")
    mission = MissionFactory(community=community, team=team_a, status=MissionStatus.DISPATCHED)
    jobs = [
        InterventionFactory(
            community=community, status=InterventionStatus.SCHEDULED, team=team_a, mission=mission,
            planned_date=mission.date,
        )
        for _ in range(3)
    ]  # fmt: skip
    for i, job in enumerate(jobs):
        MissionStop.objects.create(mission=mission, intervention=job, sequence=i + 1)
    done = InterventionFactory(community=community, status=InterventionStatus.DONE)
    return mission, jobs, done


def test_reassign_moves_jobs_to_the_other_team_and_out_of_the_mission(api_as, community, planned):
    mission, jobs, done = planned
    team_b = TeamFactory(community=community, name="B")
    ids = [jobs[0].pk, jobs[1].pk, done.pk]

    response = api_as(community).post(
        URL, {"ids": ids, "action": "reassign", "team": team_b.pk, "date": "2025-07-01"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert sorted(response.json()["updated"]) == sorted([jobs[0].pk, jobs[1].pk])
    assert response.json()["skipped"] == [{"id": done.pk, "reason": "already done"}]
    for job in Intervention.objects.filter(pk__in=[jobs[0].pk, jobs[1].pk]):
        assert (job.team_id, job.mission_id, job.planned_date) == (team_b.pk, None, dt.date(2025, 7, 1))
        assert job.status == InterventionStatus.SCHEDULED
    assert list(mission.stops.values_list("intervention_id", flat=True)) == [jobs[2].pk]


def test_cancel_puts_jobs_back_to_do(api_as, community, planned):
    mission, jobs, _ = planned
    response = api_as(community).post(URL, {"ids": [j.pk for j in jobs], "action": "cancel"}, format="json")
    assert response.status_code == 200, response.json()
    for job in Intervention.objects.filter(pk__in=[j.pk for j in jobs]):
        assert (job.status, job.team_id, job.mission_id, job.planned_date) == ("todo", None, None, None)
    assert not mission.stops.exists()


def test_close_as_not_done_needs_a_reason_and_marks_the_stops(api_as, community, planned):
    mission, jobs, _ = planned
    client = api_as(community)
    ids = [jobs[0].pk, jobs[1].pk]

    missing = client.post(URL, {"ids": ids, "action": "close", "outcome": "not_done"}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    assert Intervention.objects.filter(pk__in=ids, status="scheduled").count() == 2  # nothing half-done

    response = client.post(
        URL, {"ids": ids, "action": "close", "outcome": "not_done", "reason": "inaccessible"}, format="json"
    )
    assert response.status_code == 200, response.json()
    for job in Intervention.objects.filter(pk__in=ids):
        assert job.status == "not_done" and job.not_done_reason == "inaccessible" and job.ended_at
    assert set(mission.stops.filter(intervention_id__in=ids).values_list("status", flat=True)) == {"not_done"}

    closed = client.post(URL, {"ids": [jobs[2].pk], "action": "close"}, format="json")
    assert closed.status_code == 200 and Intervention.objects.get(pk=jobs[2].pk).status == "done"


def test_other_communitys_ids_and_teams_are_refused(api_as, community, other_community, planned):
    _, jobs, _ = planned
    foreign_job = InterventionFactory(community=other_community)
    foreign_team = TeamFactory(community=other_community)
    client = api_as(community)

    r1 = client.post(URL, {"ids": [jobs[0].pk, foreign_job.pk], "action": "cancel"}, format="json")
    r2 = client.post(URL, {"ids": [jobs[0].pk], "action": "reassign", "team": foreign_team.pk}, format="json")
    r3 = client.post(URL, {"ids": [jobs[0].pk], "action": "reassign"}, format="json")
    r4 = client.post(URL, {"ids": [], "action": "cancel"}, format="json")
    r5 = client.post(URL, {"ids": [jobs[0].pk], "action": "delete"}, format="json")

    assert r1.status_code == 400 and "ids" in r1.json()
    assert r2.status_code == 400 and "team" in r2.json()
    assert r3.status_code == 400 and "team" in r3.json()
    assert r4.status_code == 400 and "ids" in r4.json()
    assert r5.status_code == 400 and "action" in r5.json()
    assert Intervention.objects.get(pk=foreign_job.pk).status == "todo"
    assert Intervention.objects.get(pk=jobs[0].pk).status == "scheduled"


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_bulk_is_for_planners(api_as, community, planned, role):
    _, jobs, _ = planned
    response = api_as(community, role).post(URL, {"ids": [jobs[0].pk], "action": "cancel"}, format="json")
    assert response.status_code == 403
