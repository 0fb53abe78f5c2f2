"""POST /api/v1/missions/{id}/optimize/ with the real task queue (django-tasks' database
backend, as in production): the request answers 202 at once, the background worker
(`manage.py db_worker`) plans the round, the status URL shows its stages; one optimisation
per mission at a time; a queue without a worker says so."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from core import progress as core_progress
from interventions.models import Mission, MissionOptimization, OptimizationStatus, StopStatus
from interventions.services import optimizations
from tests.factories import POITIERS, CategoryFactory, InterventionFactory, TeamFactory, square
from tests.geo.routing_grids import grid
from tests.interventions.test_missions_optimize import as_geojson, at

URL = "/api/v1/missions/"
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    """What `manage.py db_worker` does in production, until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.fixture
def draft(api_as, community):
    grid(community, n=4, step=100)
    team = TeamFactory(community=community, depot=at(0, 0))
    category = CategoryFactory(community=community, service_minutes=15)
    jobs = [
        InterventionFactory(community=community, category=category, geom=at(x, y))
        for x, y in [(50, 2), (150, 102), (250, 202), (302, 350), (100, 300)]
    ]
    zone = square(POITIERS[0] + 200, POITIERS[1] + 200, 250)
    zone.transform(4326)
    client = api_as(community)
    body = {"zone": json.loads(zone.json), "date": "2025-06-02", "team": team.pk, "profile": "walk"}
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return client, response.json()["id"], jobs


@pytest.mark.django_db(transaction=True)
def test_optimize_answers_202_and_the_worker_plans_the_round(draft, settings):
    settings.TASKS = DB_TASKS
    client, mission_id, jobs = draft

    response = client.post(f"{URL}{mission_id}/optimize/", {"shift_end": "15:00"}, format="json")
    assert response.status_code == 202, response.json()
    queued = response.json()
    status_url = f"http://testserver{URL}{mission_id}/optimization/"
    assert response["Location"] == queued["status_url"] == status_url
    assert (queued["status"], queued["stage"], queued["progress"]) == ("queued", "waiting", 0)
    assert queued["stage_label"] and queued["stalled"] is False and queued["plan"] is None
    # The planning option is saved at once; the round waits for the worker.
    mission = Mission.objects.get(pk=mission_id)
    assert mission.shift_end == dt.time(15) and mission.optimized_at is None

    # A second press while it waits starts nothing: 409 naming the queued optimisation.
    again = client.post(f"{URL}{mission_id}/optimize/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["optimization"]["id"] == queued["id"]
    assert MissionOptimization.objects.filter(mission_id=mission_id).count() == 1

    run_worker()

    done = client.get(status_url).json()
    assert (done["status"], done["stage"], done["progress"]) == ("done", "finished", 100)
    assert done["errors"] == {} and done["finished_at"]
    assert sum(r["stops"] for r in done["plan"]["rounds"]) == len(jobs)
    stops = client.get(f"{URL}{mission_id}/").json()["properties"]["stops"]
    assert sorted(s["sequence"] for s in stops if s["status"] == StopStatus.PLANNED) == [1, 2, 3, 4, 5]
    assert Mission.objects.get(pk=mission_id).optimized_at is not None
    # Finished: the mission may be optimised again.
    assert client.post(f"{URL}{mission_id}/optimize/", {}, format="json").status_code == 202


@pytest.mark.django_db(transaction=True)
def test_a_start_far_from_the_streets_fails_in_the_worker_with_the_field(draft, settings):
    settings.TASKS = DB_TASKS
    client, mission_id, _ = draft
    far = as_geojson(at(20_000, 0))
    response = client.post(f"{URL}{mission_id}/optimize/", {"start_point": far}, format="json")
    assert response.status_code == 202, response.json()
    run_worker()
    failed = client.get(f"{URL}{mission_id}/optimization/").json()
    assert failed["status"] == "failed" and failed["stage"] == "distances"  # where it stopped
    assert "street network" in failed["errors"]["start_point"][0]
    assert Mission.objects.get(pk=mission_id).optimized_at is None


def test_the_worker_writes_each_stage_as_it_goes(draft, monkeypatch):
    client, mission_id, _ = draft
    job = MissionOptimization.objects.create(mission_id=mission_id)
    seen: list[tuple[str, int]] = []
    monkeypatch.setattr(
        core_progress.ProgressWriter,
        "write",
        lambda self, force=False, **columns: seen.append((columns["stage"], columns["progress"])),
    )
    assert optimizations.mission_optimization_run(optimization_id=job.pk) == "done"
    assert [stage for stage, _ in seen] == ["network", "distances", "solve", "route", "store"]
    assert [p for _, p in seen] == sorted(p for _, p in seen)  # the bar only moves forward


def test_stalled_queue_and_lost_worker(draft, settings):
    client, mission_id, _ = draft
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.RONDE_WORKER_STALLED_S = 30
    assert client.post(f"{URL}{mission_id}/optimize/", {}, format="json").status_code == 202
    status_url = f"{URL}{mission_id}/optimization/"
    assert client.get(status_url).json()["stalled"] is False
    MissionOptimization.objects.filter(mission_id=mission_id).update(
        created_at=timezone.now() - dt.timedelta(seconds=31)
    )
    assert client.get(status_url).json()["stalled"] is True  # no worker took it: the board says so

    # A worker that died mid-run does not block the mission for ever.
    MissionOptimization.objects.filter(mission_id=mission_id).update(
        status=OptimizationStatus.RUNNING, updated_at=timezone.now() - optimizations.LOST_AFTER * 2
    )
    assert client.post(f"{URL}{mission_id}/optimize/", {}, format="json").status_code == 202
    statuses = list(
        MissionOptimization.objects.filter(mission_id=mission_id).values_list("status", flat=True)
    )
    assert sorted(statuses) == ["failed", "queued"]


def test_no_optimisation_yet_is_a_404_and_agents_cannot_read_it(draft, api_as, community):
    client, mission_id, _ = draft
    assert client.get(f"{URL}{mission_id}/optimization/").status_code == 404
    agent = api_as(community, "agent")
    assert agent.post(f"{URL}{mission_id}/optimize/", {}, format="json").status_code == 403
