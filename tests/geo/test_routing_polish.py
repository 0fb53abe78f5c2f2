"""The round polish and the order-stability rule of the solver, on small integer matrices
(seconds) checked by brute force: no database, no street network."""

import itertools

import numpy as np
import pytest

from geo.routing import polish
from geo.routing.solver import STABILITY_MIN_S, SolverJob, SolverVehicle, solve


def one_way_town(size: int, seed: int) -> np.ndarray:
    """Points on a 2 km square; a detour of up to 60 % on some arcs, as one-way streets make."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 2000, size=(size, 2))
    metres = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    detour = 1 + 0.6 * (rng.random((size, size)) < 0.3)
    return np.rint(metres * detour / 7).astype(np.int64)  # 25 km/h


def cost(matrix: np.ndarray, tour: list[int]) -> int:
    return int(sum(matrix[a, b] for a, b in zip(tour, tour[1:], strict=False)))


def brute_force(matrix: np.ndarray) -> int:
    inner = range(1, len(matrix))
    return min(cost(matrix, [0, *order, 0]) for order in itertools.permutations(inner))


def stops_of(result) -> list[int]:
    return [v.location for v in result.routes[0] if v.kind == "job"]


@pytest.mark.parametrize("seed", range(6))
def test_polish_finds_the_best_round_of_eight_stops(seed):
    matrix = one_way_town(9, seed)
    start = [0, *range(1, 9), 0]
    tour = polish.improve(matrix, start)
    assert tour[0] == 0 and tour[-1] == 0 and sorted(tour[1:-1]) == list(range(1, 9))
    assert cost(matrix, tour) == brute_force(matrix)


def test_polish_never_makes_a_round_longer_and_is_deterministic():
    matrix = one_way_town(61, 11)
    start = [0, *range(1, 61), 0]
    # Deterministic for a given number of rounds: a time budget no loaded machine reaches, so
    # that the rounds decide (the default second can cut a round short on a busy CI runner).
    first = polish.improve(matrix, start, seconds=600)
    assert sorted(first[1:-1]) == list(range(1, 61))
    assert cost(matrix, first) < cost(matrix, start)
    assert polish.improve(matrix, start, seconds=600) == first
    assert cost(matrix, polish.improve(matrix, first, seconds=600)) <= cost(matrix, first)


def test_solver_polish_beats_or_matches_vroom_alone_and_keeps_the_schedule():
    matrix = one_way_town(41, 5)
    jobs = [SolverJob(i, i, 300) for i in range(1, 41)]
    vehicle = SolverVehicle(0, 0, 0, (8 * 3600, 23 * 3600))
    alone = solve(durations=matrix, distances=matrix * 7, jobs=jobs, vehicles=[vehicle], improve=False)
    ours = solve(durations=matrix, distances=matrix * 7, jobs=jobs, vehicles=[vehicle])
    assert sorted(stops_of(ours)) == list(range(1, 41)) and not ours.unassigned
    assert cost(matrix, [0, *stops_of(ours), 0]) <= cost(matrix, [0, *stops_of(alone), 0])
    # Arrivals recomputed from the matrix: leave at 08:00, 300 s per stop, no waiting.
    visits = ours.routes[0]
    clock, here = 8 * 3600, 0
    for visit in visits[1:-1]:
        clock += int(matrix[here, visit.location])
        assert visit.arrival == clock and visit.waiting == 0
        clock, here = clock + 300, visit.location
    assert visits[-1].kind == "end" and visits[-1].arrival == clock + matrix[here, 0]


def test_open_round_is_polished_without_the_way_back():
    matrix = one_way_town(31, 8)
    jobs = [SolverJob(i, i, 0) for i in range(1, 31)]
    vehicle = SolverVehicle(0, 0, None, (0, 10**7))
    ours = solve(durations=matrix, distances=matrix, jobs=jobs, vehicles=[vehicle])
    order = stops_of(ours)
    assert sorted(order) == list(range(1, 31))
    assert ours.routes[0][-1].arrival == cost(matrix, [0, *order])


def test_incumbent_is_kept_for_a_small_gain_and_dropped_when_it_misses_a_window():
    matrix = one_way_town(13, 2)
    jobs = [SolverJob(i, i, 60) for i in range(1, 13)]
    vehicle = SolverVehicle(0, 0, 0, (0, 10**6))
    best = stops_of(solve(durations=matrix, distances=matrix, jobs=jobs, vehicles=[vehicle]))
    # Swap the last two stops: a worse order whose extra travel we keep under the margin.
    followed = best[:-2] + best[-1:] + best[-2:-1]
    extra = cost(matrix, [0, *followed, 0]) - cost(matrix, [0, *best, 0])
    assert 0 < extra <= STABILITY_MIN_S
    kept = solve(durations=matrix, distances=matrix, jobs=jobs, vehicles=[vehicle], incumbent=followed)
    assert stops_of(kept) == followed
    # The same order cannot be kept when it would miss a job's time window.
    last = followed[-1]
    windowed = [SolverJob(j.id, j.location, 60, window=(0, 60)) if j.id == last else j for j in jobs]
    again = solve(durations=matrix, distances=matrix, jobs=windowed, vehicles=[vehicle], incumbent=followed)
    assert stops_of(again) != followed and not again.unassigned
