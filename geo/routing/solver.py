"""VROOM (pyvroom) on our own integer matrices: seconds for time, metres for distance.

Two pyvroom pitfalls measured on this project:
- `Vehicle(max_distance=...)` defaults to MAX_UINT32, which turns VROOM's fast TSP path
  off (~10 s instead of ~14 ms for 200 stops): we pass `max_distance=None`.
- On asymmetric (one-way) matrices the general path finds better rounds; callers choose it
  with `general_path=True`, which passes a finite max_distance no round can reach.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import vroom


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
) -> SolverResult:
    """Solve; `durations` (s) and `distances` (m) are square int matrices over locations.

    A single vehicle whose shift provably cannot bind (and no break, no job window) is given
    no time window at all, so VROOM takes its fast TSP path; clock times are shifted back.
    """
    result = SolverResult()
    if not jobs or not vehicles:
        result.unassigned = [job.id for job in jobs]
        return result
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
    started = time.perf_counter()
    if exploration_level is None:
        # Measured on 2 cores: level 5 costs ~10 s at 100 jobs on the general path.
        exploration_level = 5 if len(jobs) <= 40 else 3 if len(jobs) <= 70 else 1
    solution = problem.solve(exploration_level=exploration_level, nb_threads=threads)
    result.seconds = time.perf_counter() - started
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
