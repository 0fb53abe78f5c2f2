"""VROOM (pyvroom) on our own integer matrices: seconds for time, metres for distance.

Two pyvroom pitfalls measured on this project:
- `Vehicle(max_distance=...)` defaults to MAX_UINT32, which turns VROOM's fast TSP path
  off (~10 s instead of ~14 ms for 200 stops): we pass `max_distance=None`.
- On asymmetric (one-way) matrices the general path finds better rounds; callers choose it
  with `general_path=True`, which passes a finite max_distance no round can reach.

A single round without time windows or break (the common case) is then improved by
`polish` (local search on the same integer matrix): VROOM alone lost to OR-Tools given 5 s
on a quarter of our benchmark draws. When the general path is asked for, such a round is
solved both ways and the cheaper one polished.

Order stability: given the round the agent already follows (`incumbent`), the solver keeps
it unless the new one saves more than STABILITY_SHARE of its travel time and at least
STABILITY_MIN_S seconds — an agent mid-round must not see the remaining stops reshuffled for
a negligible gain.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import vroom

from . import polish

# A re-optimised round replaces the agent's current order only when it saves more than
# this share of the current order's travel time (s) and at least this many seconds.
STABILITY_SHARE = 0.02
STABILITY_MIN_S = 60


# Safety cap on the polish (s): it stops after a fixed number of rounds well before this
# on an idle machine, so the result is deterministic unless the machine is overloaded.
POLISH_S_PER_STOP = 0.01
POLISH_MAX_S = 1.5


@dataclass(frozen=True)
class SolverJob:
    id: int  # > 0, unique
    location: int  # matrix index
    service_s: int
    window: tuple[int, int] | None = None  # seconds on the day's clock
    priority: int = 0  # 0 … 100


@dataclass(frozen=True)
class SolverVehicle:
    id: int  # >= 0, unique
    start: int | None
    end: int | None
    shift: tuple[int, int]
    # (earliest start, latest start, duration), seconds.
    break_: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class Visit:
    kind: str  # start | job | break | end
    job_id: int | None
    location: int | None
    arrival: int  # seconds on the day's clock
    waiting: int
    service: int
    distance: int  # metres travelled since the start


@dataclass
class SolverResult:
    routes: dict[int, list[Visit]] = field(default_factory=dict)  # vehicle id -> visits
    unassigned: list[int] = field(default_factory=list)
    seconds: float = 0.0


def solve(
    *,
    durations: np.ndarray,
    distances: np.ndarray,
    jobs: list[SolverJob],
    vehicles: list[SolverVehicle],
    general_path: bool = False,
    exploration_level: int | None = None,
    threads: int = 2,
    improve: bool = True,
    incumbent: list[int] | None = None,
) -> SolverResult:
    """Solve; `durations` (s) and `distances` (m) are square int matrices over locations.

    A single vehicle whose shift provably cannot bind (and no break, no job window) is given
    no time window at all, so VROOM takes its fast TSP path; clock times are shifted back.
    `improve` polishes a single round without windows or break; `incumbent` (job ids of
    vehicle 0 in the order followed so far) is kept unless clearly beaten (see above).
    """
    started = time.perf_counter()
    if not jobs or not vehicles:
        return SolverResult(unassigned=[job.id for job in jobs])
    simple = len(vehicles) == 1 and vehicles[0].break_ is None and vehicles[0].start is not None
    simple = simple and not any(job.window for job in jobs)
    result = _vroom(
        durations,
        distances,
        jobs,
        vehicles,
        general_path and not (simple and improve),
        exploration_level,
        threads,
    )
    if simple and improve and not result.unassigned:
        if general_path and _shift_cannot_bind(durations, jobs, vehicles):
            other = _vroom(durations, distances, jobs, vehicles, True, exploration_level, threads)
            if not other.unassigned and _travel(durations, other, vehicles[0]) < _travel(
                durations, result, vehicles[0]
            ):
                result = other
        result = _polished(durations, distances, jobs, vehicles[0], result)
    if incumbent is not None and len(vehicles) == 1:
        result = _stable(durations, distances, jobs, vehicles[0], result, incumbent)
    result.seconds = time.perf_counter() - started
    return result


def _vroom(
    durations: np.ndarray,
    distances: np.ndarray,
    jobs: list[SolverJob],
    vehicles: list[SolverVehicle],
    general_path: bool,
    exploration_level: int | None,
    threads: int,
) -> SolverResult:
    result = SolverResult()
    problem = vroom.Input()
    problem.set_durations_matrix("car", durations.astype(np.uint32))
    problem.set_distances_matrix("car", distances.astype(np.uint32))
    # Finite but unreachable: forces VROOM's general (non-TSP) path for asymmetric rounds.
    bound = int(distances.sum()) + 1 if general_path else None
    free = not general_path and _shift_cannot_bind(durations, jobs, vehicles)
    offset = vehicles[0].shift[0] if free else 0
    for v in vehicles:
        breaks = []
        if v.break_ is not None:
            earliest, latest, length = v.break_
            breaks = [
                vroom.Break(1000 + v.id, time_windows=[vroom.TimeWindow(earliest, latest)], service=length)
            ]
        problem.add_vehicle(
            vroom.Vehicle(
                v.id,
                start=v.start,
                end=v.end,
                time_window=None if free else vroom.TimeWindow(*v.shift),
                breaks=breaks,
                max_distance=bound,
            )
        )
    problem.add_job(
        [
            vroom.Job(
                job.id,
                location=job.location,
                default_service=job.service_s,
                priority=job.priority,
                time_windows=[vroom.TimeWindow(*job.window)] if job.window else (),
            )
            for job in jobs
        ]
    )
    if exploration_level is None:
        # Measured on 2 cores: level 5 costs ~10 s at 100 jobs on the general path.
        exploration_level = 5 if len(jobs) <= 40 else 3 if len(jobs) <= 70 else 1
    solution = problem.solve(exploration_level=exploration_level, nb_threads=threads)
    routes = solution.routes
    if len(routes):
        for row in routes.itertuples(index=False):
            visit = Visit(
                kind=str(row.type),
                job_id=None if row.type != "job" else int(row.id),
                location=None
                if row.type == "break" or _missing(row.location_index)
                else int(row.location_index),
                arrival=int(row.arrival) + offset,
                waiting=int(row.waiting_time),
                service=int(row.service),
                distance=int(row.distance),
            )
            result.routes.setdefault(int(row.vehicle_id), []).append(visit)
    # pyvroom lists unassigned tasks as Job objects.
    result.unassigned = sorted(int(job._id) for job in solution.unassigned)
    return result


def _missing(value: object) -> bool:
    return value is None or str(value) == "<NA>"


def _shift_cannot_bind(durations: np.ndarray, jobs: list[SolverJob], vehicles: list[SolverVehicle]) -> bool:
    """True when even the worst round (every location left by its longest edge) fits the shift."""
    if len(vehicles) != 1 or vehicles[0].break_ is not None or any(job.window for job in jobs):
        return False
    v = vehicles[0]
    locations = [v.start if v.start is not None else 0, *(job.location for job in jobs)]
    worst = sum(int(durations[loc].max()) for loc in locations) + sum(job.service_s for job in jobs)
    return v.shift[0] + worst <= v.shift[1]


def _order(result: SolverResult, vehicle: SolverVehicle) -> list[int]:
    return [v.job_id for v in result.routes.get(vehicle.id, []) if v.kind == "job" and v.job_id is not None]


def _travel(durations: np.ndarray, result: SolverResult, vehicle: SolverVehicle) -> int:
    """Travel time (s) of the vehicle's round, back to its end if it has one."""
    locations = [v.location for v in result.routes.get(vehicle.id, []) if v.kind in ("start", "job")]
    if vehicle.end is not None:
        locations.append(vehicle.end)
    return int(sum(durations[a, b] for a, b in zip(locations, locations[1:], strict=False)))


def _schedule(
    durations: np.ndarray,
    distances: np.ndarray,
    jobs: dict[int, SolverJob],
    vehicle: SolverVehicle,
    order: list[int],
) -> tuple[list[Visit], int] | None:
    """Visits of `order` from the shift start (no break), and its travel time; None if a window
    or the shift end is missed. Starts at once, waits at a job that is not open yet."""
    assert vehicle.start is not None  # noqa: S101 — callers check it
    clock, travel, metres = vehicle.shift[0], 0, 0
    here = vehicle.start
    visits = [Visit("start", None, here, clock, 0, 0, 0)]
    for job_id in order:
        job = jobs[job_id]
        leg = int(durations[here, job.location])
        arrival = clock + leg
        begin = max(arrival, job.window[0]) if job.window else arrival
        if job.window and begin > job.window[1]:
            return None
        travel, metres = travel + leg, metres + int(distances[here, job.location])
        visits.append(Visit("job", job_id, job.location, arrival, begin - arrival, job.service_s, metres))
        clock, here = begin + job.service_s, job.location
    if vehicle.end is not None:
        leg = int(durations[here, vehicle.end])
        travel, metres = travel + leg, metres + int(distances[here, vehicle.end])
        clock, here = clock + leg, vehicle.end
    if clock > vehicle.shift[1]:
        return None
    visits.append(Visit("end", None, here, clock, 0, 0, metres))
    return visits, travel


def _polished(
    durations: np.ndarray,
    distances: np.ndarray,
    jobs: list[SolverJob],
    vehicle: SolverVehicle,
    result: SolverResult,
) -> SolverResult:
    """The round improved by polish.improve on the travel times (VROOM's own objective)."""
    order = _order(result, vehicle)
    if len(order) < 3 or vehicle.start is None:
        return result
    by_id = {job.id: job for job in jobs}
    ids = [by_id[j] for j in order]
    # Positions: 0 = start, 1..n = the jobs in VROOM's order, n+1 = the end (a free dummy
    # for an open round).
    locations = [vehicle.start, *(job.location for job in ids), vehicle.end if vehicle.end is not None else 0]
    matrix = durations[np.ix_(locations, locations)].astype(np.int64)
    if vehicle.end is None:
        matrix[:, -1] = 0
    n = len(ids)
    seconds = min(POLISH_MAX_S, POLISH_S_PER_STOP * n)
    tour = polish.improve(matrix, list(range(n + 2)), seconds=seconds)
    planned = _schedule(durations, distances, by_id, vehicle, [ids[k - 1].id for k in tour[1:-1]])
    if planned is None or planned[1] > _travel(durations, result, vehicle):
        return result
    return SolverResult(routes={vehicle.id: planned[0]}, unassigned=[])


def _stable(
    durations: np.ndarray,
    distances: np.ndarray,
    jobs: list[SolverJob],
    vehicle: SolverVehicle,
    result: SolverResult,
    incumbent: list[int],
) -> SolverResult:
    """The incumbent order, unless the new round serves more jobs or saves enough time."""
    by_id = {job.id: job for job in jobs}
    if vehicle.start is None or vehicle.break_ is not None or sorted(incumbent) != sorted(by_id):
        return result
    kept = _schedule(durations, distances, by_id, vehicle, incumbent)
    if kept is None:
        return result
    if not result.unassigned:
        saving = kept[1] - _travel(durations, result, vehicle)
        if saving > max(STABILITY_SHARE * kept[1], STABILITY_MIN_S):
            return result
    return SolverResult(routes={vehicle.id: kept[0]}, unassigned=[])
