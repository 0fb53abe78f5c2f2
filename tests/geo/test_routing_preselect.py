"""Choosing what can fit a shift before the solve (geo/routing/preselect.py), then the planner
with it: jobs not kept stay out with a reason, urgent and offensive jobs first, the kept set
fits the shift."""

import math

import numpy as np
import pytest
from django.db import transaction

from geo.routing.planner import PlanJob, PlanOptions, plan
from geo.routing.preselect import DETOUR, LEFT_IN_POOL, MIN_JOBS, SLACK, Candidate, preselect
from tests.factories import CommunityFactory
from tests.geo.routing_grids import at, grid

WALK = 1.25  # m/s
H = 3600


def scattered(count: int, *, spread: float = 2000.0, service_s: int = 600, seed: int = 3) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    return [
        Candidate(key, float(x), float(y), service_s)
        for key, (x, y) in enumerate(rng.uniform(0, spread, size=(count, 2)), start=1)
    ]


def choose(candidates, *, working_s=4 * H, agents=1, start=(1000.0, 1000.0)):
    return preselect(
        candidates=candidates, start=start, end=None, working_s=working_s, agents=agents, speed_m_s=WALK
    )


def test_a_small_zone_goes_to_the_solver_whole():
    candidates = scattered(MIN_JOBS)
    kept, left = choose(candidates, working_s=60)
    assert kept == [c.key for c in candidates] and left == {}


def test_jobs_not_kept_are_left_in_the_pool_with_a_reason_and_the_kept_set_fits():
    candidates = scattered(400)
    kept, left = choose(candidates)
    assert 0 < len(kept) < 400
    assert sorted(kept + list(left)) == [c.key for c in candidates]
    assert set(left.values()) == {LEFT_IN_POOL}
    # Recomputed here: the kept jobs' service times plus a round that at least reaches the
    # farthest of them and comes back stay within the allowance.
    by_key = {c.key: c for c in candidates}
    service = sum(by_key[k].service_s for k in kept)
    farthest = max(math.hypot(by_key[k].x - 1000, by_key[k].y - 1000) for k in kept)
    assert service + 2 * farthest * DETOUR / WALK <= SLACK * 4 * H
    # It is not timid either: the kept set takes most of the allowance (10-min jobs, 4 h).
    assert service >= 0.5 * 4 * H


def test_two_agents_keep_about_twice_as_much():
    candidates = scattered(400)
    one, _ = choose(candidates)
    two, _ = choose(candidates, agents=2)
    assert 1.6 * len(one) <= len(two) <= 2.6 * len(one)


def test_the_jobs_near_the_start_are_kept_at_equal_priority():
    candidates = scattered(400)
    kept, left = choose(candidates)
    by_key = {c.key: c for c in candidates}

    def distance(key: int) -> float:
        return math.hypot(by_key[key].x - 1000, by_key[key].y - 1000)

    assert np.median([distance(k) for k in kept]) < np.median([distance(k) for k in left])


def test_urgent_then_offensive_jobs_come_first_even_far_away():
    candidates = scattered(200, spread=600)  # a dense cluster around the start
    far = [
        Candidate(1001, 5000.0, 5000.0, 600, priority=100),  # urgent, 5.7 km away
        Candidate(1002, 0.0, 4000.0, 600, priority=50, offensive=True),
        Candidate(1003, 4000.0, 0.0, 600, priority=50),
    ]
    normal = [Candidate(c.key, c.x, c.y, c.service_s, priority=50) for c in candidates]
    kept, left = choose(normal + far)
    assert 1001 in kept and 1002 in kept
    assert 1003 in left  # as far and as urgent as 1002, but not offensive: the cluster wins


def test_the_older_job_wins_a_tie_and_must_keep_jobs_always_stay():
    twins = [Candidate(k, 1005.0, 1000.0, 3 * H, reported_at=1000.0 - k) for k in range(1, MIN_JOBS + 2)]
    kept, _ = choose(twins, working_s=3 * H)
    assert kept == [MIN_JOBS + 1]  # the oldest one (each takes the whole shift)
    stuck = [*twins, Candidate(999, 9000.0, 9000.0, 600, must_keep=True)]
    kept, _ = choose(stuck, working_s=3 * H)
    assert 999 in kept


@pytest.fixture
def town(db):
    community = CommunityFactory()
    grid(community, n=6, step=100)
    return community


def test_the_planner_routes_only_what_may_fit_and_says_why_for_the_rest(town):
    rng = np.random.default_rng(11)
    jobs = []
    for key in range(1, 151):
        i, j = rng.integers(0, 6, size=2)
        x, y = (j * 100 + 50, i * 100 + 3) if key % 2 else (i * 100 + 3, j * 100 + 50)
        urgent = key % 25 == 0
        jobs.append(PlanJob(key, *at(x, y), 300, priority=100 if urgent else 50))
    with transaction.atomic():
        result = plan(
            community_id=town.pk,
            jobs=jobs,
            options=PlanOptions(start=at(0, 0), profile="walk", shift=(8 * H, 10 * H)),
        )
    planned = {s.key for r in result.rounds for s in r.stops}
    assert planned.isdisjoint(result.unassigned)
    assert planned | set(result.unassigned) == {j.key for j in jobs}
    left = {k for k, reason in result.unassigned.items() if reason == LEFT_IN_POOL}
    assert left and len(planned) >= 15  # 5-min jobs on a 600 m grid, 2 h
    # What the solver saw was only a part of the zone: fewer routing points than jobs.
    assert len(result.snaps) == len(jobs)
    assert sum(snap is not None for snap in result.snaps.values()) < len(jobs)
    assert {j.key for j in jobs if j.priority == 100} <= planned, {
        k: result.unassigned.get(k) for k in (25, 50, 75, 100, 125, 150)
    }
    for round_ in result.rounds:
        assert round_.end_time <= 10 * H
