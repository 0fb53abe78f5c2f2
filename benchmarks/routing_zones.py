"""Big zones on a real street network (issue 23 item 1): create + optimise a mission of 50,
300 and 900 open jobs, targets ≤ 3 s, ≤ 5 s, ≤ 10 s end to end, same quality on the jobs kept.

The network is the real Monaco extract tiled STREETS_BENCH_TILES times with pyosmium
(benchmarks/streets_import.py: ~15,000 ways, ~27,000 segments), imported once into its own
database through `manage.py import_streets`. Each size gets its own tile: a 2 km square zone
around the tile's centre, N reports placed 2–15 m off random streets of the zone (a wall, a
door), a walking agent from 8:00 to 16:00, 3 min a job (~90 jobs fit a shift).

Timed: mission_create + mission_optimize, as the API runs them (the planner's own timings
printed too). Quality: the planned round's travel time against OR-Tools guided local search
given REFERENCE_SECONDS on the same stops and the same street matrix. In the same run, the
planner without the pre-selection (every job to the solver) on BASELINE_SIZES: time ratio and
jobs planned. Shared machine: wall times swing with the other load; the ratios are measured
side by side. For HELD_SIZES, the web request's own time: the optimisation inside it (as
before) against queueing it for the background worker (now).
"""

import os
import subprocess
import sys
import time

import numpy as np

from benchmarks import harness, streets_import

DB_NAME = "ronde_bench_zones"
SLUG = "bench-zones"
TARGETS = {50: 3.0, 300: 5.0, 900: 10.0}
SIZES = tuple(int(s) for s in os.environ.get("ZONES_BENCH_SIZES", "50,300,900").split(","))
BASELINE_SIZES = tuple(int(s) for s in os.environ.get("ZONES_BENCH_BASELINE", "300").split(",") if s)
# Sizes whose optimisation is also asked through the web API: how long a request is held.
HELD_SIZES = tuple(int(s) for s in os.environ.get("ZONES_BENCH_HELD", "300").split(",") if s)
REFERENCE_SECONDS = float(os.environ.get("ZONES_BENCH_REFERENCE_S", "10"))
ZONE_HALF_M = 1000.0
SERVICE_MINUTES = 3


def _setup() -> int:
    """Django on the benchmark database holding the tiled city; returns the community id."""
    url = harness.django_on(DB_NAME)
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from accounts.models import Community
    from geo.models import StreetSegment
    from geo.routing.topology import topology_ensure

    offsets = streets_import.tile_offsets(streets_import.TILES)
    east = streets_import.EAST + max(dx for dx, _ in offsets) + 0.01
    north = streets_import.NORTH + max(dy for _, dy in offsets) + 0.01
    box = Polygon.from_bbox((streets_import.WEST - 0.01, streets_import.SOUTH - 0.01, east, north))
    box.srid = 4326
    box.transform(2154)
    community, _ = Community.objects.update_or_create(
        slug=SLUG, defaults={"name": "Bench zones", "territory": MultiPolygon(box, srid=2154)}
    )
    if not StreetSegment.objects.filter(community=community).exists():
        if not streets_import.CITY.exists():
            streets_import.make_city(streets_import.TILES)
        env = {**os.environ, "DATABASE_URL": url}
        cmd = [sys.executable, str(harness.ROOT / "manage.py"), "import_streets", str(streets_import.CITY)]
        subprocess.run([*cmd, "--community", SLUG], check=True, env=env, cwd=harness.ROOT)
    t = time.perf_counter()
    topology_ensure(community_id=community.pk)
    segments = StreetSegment.objects.filter(community=community).count()
    print(f"network: {segments:,} segments; topology ready in {time.perf_counter() - t:.1f} s", flush=True)
    return community.pk


def _zone(community_id: int, tile: int, count: int, rng: np.random.Generator):
    """(zone polygon, depot point, team, category) with `count` fresh open reports in the zone."""
    from django.contrib.gis.geos import Point, Polygon

    from accounts.models import Community, Team
    from geo.models import StreetSegment
    from interventions.models import Category, Report

    dx, dy = streets_import.tile_offsets(streets_import.TILES)[tile]
    centre = Point(
        (streets_import.WEST + streets_import.EAST) / 2 + dx,
        (streets_import.SOUTH + streets_import.NORTH) / 2 + dy,
        srid=4326,
    )
    centre.transform(2154)
    zone = Polygon.from_bbox(
        (centre.x - ZONE_HALF_M, centre.y - ZONE_HALF_M, centre.x + ZONE_HALF_M, centre.y + ZONE_HALF_M)
    )
    zone.srid = 2154
    community = Community.objects.get(pk=community_id)
    Report.objects.filter(community=community, geom__intersects=zone).delete()
    category, _ = Category.objects.get_or_create(
        community=community, code="tag", defaults={"name": "Tag", "service_minutes": SERVICE_MINUTES}
    )
    lines = list(
        StreetSegment.objects.filter(community=community, geom__within=zone).values_list("geom", flat=True)
    )
    reports = []
    for index in rng.choice(len(lines), size=count, replace=True):
        point = lines[int(index)].interpolate_normalized(float(rng.uniform(0.05, 0.95)))
        offset = rng.uniform(2, 15) * rng.choice([-1, 1])
        reports.append(
            Report(
                community=community,
                category=category,
                geom=Point(point.x + offset * 0.6, point.y + offset * 0.8, srid=2154),
                priority=int(rng.choice([1, 2, 2, 2, 3])),
                offensive=bool(rng.random() < 0.1),
            )
        )
    Report.objects.bulk_create(reports)
    depot = min(lines, key=lambda line: line.centroid.distance(centre)).centroid
    team, _ = Team.objects.update_or_create(
        community=community, name=f"Zone {tile}", defaults={"depot": depot}
    )
    return zone, depot, team


def _create_and_optimise(community_id: int, zone, team) -> tuple[float, dict, object]:
    import datetime as dt

    from accounts.models import Community
    from interventions.services.missions import mission_create
    from interventions.services.optimize import mission_optimize

    started = time.perf_counter()
    mission, _ = mission_create(
        community=Community.objects.get(pk=community_id),
        zone=zone.clone(),
        date=dt.date(2026, 6, 2),
        team=team,
        profile="walk",
        shift_start=dt.time(8),
        shift_end=dt.time(16),
    )
    summary = mission_optimize(mission=mission)
    return time.perf_counter() - started, summary, mission


def _round_matrix(community_id: int, mission) -> tuple[np.ndarray, list[int]]:
    """Seconds between the depot and the planned stops (street network, walking) and the order."""
    from django.db import transaction

    from geo.routing.graph import graph_prepare, points_snap
    from geo.routing.matrix import cost_matrix
    from geo.routing.profiles import profile_get
    from interventions.models import StopStatus

    stops = list(mission.stops.exclude(status=StopStatus.UNASSIGNED).order_by("sequence"))
    points = [(mission.team.depot.x, mission.team.depot.y)]
    points += [((s.report or s.intervention).geom.x, (s.report or s.intervention).geom.y) for s in stops]
    profile = profile_get("walk")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    with transaction.atomic():
        graph_prepare(community_id=community_id, profile=profile, bbox=(min(xs), min(ys), max(xs), max(ys)))
        snaps = points_snap(points=points)
        metres = cost_matrix(pids=[i + 1 for i, s in enumerate(snaps) if s], size=len(points))
    return np.rint(metres / profile.speed_m_s).astype(np.int64), list(range(1, len(points)))


def _quality(community_id: int, mission) -> str:
    from benchmarks.routing import _ortools, _tour_cost

    matrix, order = _round_matrix(community_id, mission)
    if len(order) < 3 or not np.isfinite(matrix).all():
        return "quality: n/a"
    ours = _tour_cost(matrix, order)
    reference = _ortools(matrix, REFERENCE_SECONDS)
    gap = 100 * (ours - reference) / reference
    return f"travel {ours} s vs OR-Tools {REFERENCE_SECONDS:.0f} s {reference} s → gap {gap:+.1f} %"


def _held(community_id: int, mission) -> str:
    """How long POST /api/v1/missions/{id}/optimize/ holds a web worker: as before (the task
    run inside the request: the immediate backend, the old synchronous view) and now (the
    request queues it for db_worker, which is then timed until the round is stored)."""
    from django.test import override_settings
    from rest_framework.test import APIClient

    from accounts.models import Community, Membership, Role, User
    from accounts.services import api_token_create
    from interventions.models import Mission, MissionOptimization
    from interventions.services.optimizations import mission_optimization_run

    user, _ = User.objects.get_or_create(username="bench-zones-dispatcher")
    Membership.objects.get_or_create(
        user=user, community=Community.objects.get(pk=community_id), defaults={"role": Role.DISPATCHER}
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    url = f"/api/v1/missions/{mission.pk}/optimize/"
    held = {}
    for name, backend in (("inline", "django_tasks.backends.immediate.ImmediateBackend"),
                          ("queued", "django_tasks_db.DatabaseBackend")):  # fmt: skip
        Mission.objects.filter(pk=mission.pk).update(routing_cache={})  # no head start from the cache
        with override_settings(TASKS={"default": {"BACKEND": backend}}, ALLOWED_HOSTS=["*"]):
            started = time.perf_counter()
            response = client.post(url, {}, format="json")
            held[name] = time.perf_counter() - started
        assert response.status_code == (200 if name == "inline" else 202), response.content[:300]
    job = MissionOptimization.objects.filter(mission=mission).first()
    assert job is not None  # the queued one (the 202 above)
    started = time.perf_counter()
    status = mission_optimization_run(optimization_id=job.pk)  # what db_worker runs
    worker_s = time.perf_counter() - started
    return (
        f"web request held: {held['inline']:.2f} s inline (before) → {held['queued'] * 1000:.0f} ms queued "
        f"(now, {harness.ratio(held['inline'], held['queued'])} shorter); the worker then took "
        f"{worker_s:.2f} s ({status}); load average {os.getloadavg()[0]:.1f}"
    )


def _estimate(community_id: int, zone, team) -> str:
    """The board's "≈ N of M jobs fit" before the mission exists (asked at each change of
    the form): its time, against the optimisation it stands in for."""
    import datetime as dt

    from accounts.models import Community
    from interventions.selectors_fit import zone_fit_estimate

    started = time.perf_counter()
    answer = zone_fit_estimate(
        community=Community.objects.get(pk=community_id),
        zone=zone,
        team=team,
        profile="walk",
        shift_start=dt.time(8),
        shift_end=dt.time(16),
    )
    seconds = time.perf_counter() - started
    return f"estimate before creating: ≈ {answer['fit']} of {answer['total']} fit, in {seconds * 1000:.0f} ms"


def run() -> None:
    community_id = _setup()
    from geo.routing import preselect

    rng = np.random.default_rng(23)
    verdicts = []
    for tile, count in enumerate(SIZES):
        zone, _depot, team = _zone(community_id, tile, count, rng)
        estimate = _estimate(community_id, zone, team)
        seconds, summary, mission = _create_and_optimise(community_id, zone, team)
        planned = sum(r["stops"] for r in summary["rounds"])
        print(f"  {estimate}; the optimiser planned {planned}", flush=True)
        timings = ", ".join(f"{k[:-2]} {v:.2f}" for k, v in summary["timings_s"].items() if k.endswith("_s"))
        print(
            f"{count} jobs: create+optimise {seconds:.2f} s; planned {planned}, left {count - planned}; {timings}"
        )
        print(f"  {_quality(community_id, mission)}", flush=True)
        if count in HELD_SIZES:
            print(f"  {_held(community_id, mission)}", flush=True)
        if count in BASELINE_SIZES:
            saved = preselect.MIN_JOBS
            preselect.MIN_JOBS = 10**9  # every job to the solver, as before the pre-selection
            try:
                base_s, base, _ = _create_and_optimise(community_id, zone, team)
            finally:
                preselect.MIN_JOBS = saved
            base_planned = sum(r["stops"] for r in base["rounds"])
            print(
                f"  without pre-selection: {base_s:.2f} s, planned {base_planned} → "
                f"{harness.ratio(base_s, seconds)} faster with it; load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        target = TARGETS.get(count)
        if target is not None:
            verdicts.append(
                f"{count} jobs ≤ {target:.0f} s: {'met' if seconds <= target else 'NOT met'} ({seconds:.2f} s)"
            )
    print("Targets (create + optimise, walk, shared machine):")
    for line in verdicts:
        print(f"  {line}")


if __name__ == "__main__":
    run()
