"""One round-planning request end to end: topology, pruned graph, snapping, cost matrix
(cached by the caller), VROOM, leg geometry. Plain data in and out (storage SRID, seconds
on the day's clock, metres); interventions.services.missions maps it to missions.

Run inside transaction.atomic(): the pruned graph and the points are temporary tables.
"""

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import LineString, MultiLineString

from .graph import SNAP_TOLERANCE_M, Snap, graph_prepare, points_load, points_snap
from .legs import route_legs
from .matrix import cost_matrix
from .preselect import MIN_JOBS, Candidate, FitEstimate, estimate, preselect, refine
from .profiles import Profile, profile_get
from .solver import SolverJob, SolverVehicle, Visit, solve
from .topology import topology_ensure

UNREACHABLE = "unreachable: no street of the network's main part within {tol:.0f} m"
# Rounds up to this many jobs also go through VROOM's general path (slower; see solver.py):
# a single free round is solved both ways and the cheaper one polished, which beat the
# fast path alone on small walking rounds too. Larger ones keep the fast TSP path plus the
# polish (measured: at 100 stops the general path at the exploration level we can afford
# is worse, 4.1 % vs 2.9 % before the polish).
GENERAL_PATH_MAX_JOBS = 70
# A shift end no round reaches (s): a pre-selected round is first ordered without it.
FREE_SHIFT_S = 10**7


class RoutingError(ValueError):
    """The request cannot be routed at all (e.g. the start is far from every street)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class PlanJob:
    key: int
    x: float
    y: float
    service_s: int
    window: tuple[int, int] | None = None
    priority: int = 0
    # For choosing what fits before the solve (preselect.py): offensive first, older first.
    offensive: bool = False
    reported_at: float = 0.0  # epoch seconds


@dataclass(frozen=True)
class PlanOptions:
    start: tuple[float, float]
    end: tuple[float, float] | None = None  # None: back to the start (unless open_round)
    profile: str = "drive"
    open_round: bool = False
    shift: tuple[int, int] = (8 * 3600, 16 * 3600)
    break_: tuple[int, int, int] | None = None  # earliest, latest start, duration (s)
    agents: int = 1
    fixed_first: int | None = None  # a job key that must be the first visit (round 0)
    general_path: bool | None = None  # None: decided from the size
    # Re-optimising: the job keys of the round the agent follows, in order. Kept unless the
    # new round is clearly better (solver.STABILITY_SHARE / STABILITY_MIN_S).
    previous_order: tuple[int, ...] | None = None


@dataclass
class PlannedStop:
    key: int
    round_index: int
    sequence: int
    arrival: int
    departure: int
    leg_distance_m: float
    leg_duration_s: int


@dataclass
class PlannedRound:
    index: int
    stops: list[PlannedStop]
    start_time: int
    end_time: int
    distance_m: float
    legs: list[LineString | None]
    break_at: tuple[int, int] | None = None

    @property
    def duration_s(self) -> int:
        return self.end_time - self.start_time

    @property
    def geom(self) -> MultiLineString | None:
        lines = [leg for leg in self.legs if leg is not None]
        return MultiLineString(lines, srid=settings.RONDE_SRID) if lines else None


@dataclass
class Plan:
    rounds: list[PlannedRound]
    unassigned: dict[int, str]
    snaps: dict[int, Snap | None]
    timings: dict[str, float] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def distance_m(self) -> float:
        return sum(r.distance_m for r in self.rounds)

    @property
    def duration_s(self) -> int:
        return sum(r.duration_s for r in self.rounds)


def cache_key(*, profile: str, network: str, points: list[tuple[float, float]]) -> str:
    payload = json.dumps([profile, network, [(round(x, 2), round(y, 2)) for x, y in points]])
    return hashlib.sha1(payload.encode(), usedforsecurity=False).hexdigest()


# What `plan` tells its `progress` callback as it goes (a background job shows it).
STAGES = ("network", "distances", "solve", "route")


def plan(
    *,
    community_id: int,
    jobs: list[PlanJob],
    options: PlanOptions,
    cache: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Plan:
    """Plan the rounds; `cache` is what a previous Plan.cache returned for this mission;
    `progress(stage)` is called as each of STAGES begins."""
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    tell = progress or (lambda stage: None)
    tell("network")
    profile = profile_get(options.profile)
    network = topology_ensure(community_id=community_id)
    tick = time.perf_counter()
    jobs, left_in_pool = jobs_that_may_fit(jobs=jobs, options=options, profile=profile)
    timings["preselect_s"] = time.perf_counter() - tick
    has_end = options.end is not None and not options.open_round
    # Routing points: 1 = start, 2 = end (if any), then the jobs.
    points = [options.start] + ([options.end] if has_end and options.end else []) + [(j.x, j.y) for j in jobs]
    first_job = 2 if has_end else 1
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    graph_prepare(community_id=community_id, profile=profile, bbox=(min(xs), min(ys), max(xs), max(ys)))
    timings["graph_s"] = time.perf_counter() - clock

    key = cache_key(profile=profile.name, network=network, points=points)
    tell("distances")
    tick = time.perf_counter()
    if cache and cache.get("key") == key:
        snaps = [Snap(*s) if s else None for s in cache["snaps"]]
        points_load(snaps=snaps)
        metres = np.asarray(cache["matrix"], dtype=float)
        metres[metres < 0] = np.inf
        timings["cached"] = 1.0
    else:
        snaps = points_snap(points=points)
        timings["snap_s"] = time.perf_counter() - tick
        tick = time.perf_counter()
        metres = cost_matrix(pids=[i + 1 for i, s in enumerate(snaps) if s], size=len(points))
        timings["matrix_s"] = time.perf_counter() - tick
    new_cache = {
        "key": key,
        "snaps": [[s.edge_id, s.fraction, s.distance_m, s.x, s.y] if s else None for s in snaps],
        "matrix": np.where(np.isfinite(metres), np.round(metres, 1), -1).tolist(),
    }
    if snaps[0] is None:
        raise RoutingError(
            "start_point", f"The start is more than {SNAP_TOLERANCE_M:.0f} m from the street network."
        )
    if has_end and snaps[1] is None:
        raise RoutingError(
            "end_point", f"The end is more than {SNAP_TOLERANCE_M:.0f} m from the street network."
        )

    unassigned: dict[int, str] = dict(left_in_pool)
    end_index = 1 if has_end else 0
    routable: list[tuple[int, PlanJob]] = []
    for offset, job in enumerate(jobs):
        index = first_job + offset
        back = metres[index, end_index] if has_end or not options.open_round else 0.0
        if snaps[index] is None or not math.isfinite(metres[0, index]) or not math.isfinite(back):
            unassigned[job.key] = UNREACHABLE.format(tol=SNAP_TOLERANCE_M)
        else:
            routable.append((index, job))

    big = 10 * int(np.nanmax(np.where(np.isfinite(metres), metres, 0))) + 1
    finite = np.where(np.isfinite(metres), metres, big)
    distances = np.rint(finite).astype(np.int64)
    durations = np.rint(finite / profile.speed_m_s).astype(np.int64)

    preselected = len(routable) + len(unassigned) > MIN_JOBS
    if preselected:  # now on the streets' travel times
        routable = _routable_that_fit(routable, durations, options, has_end, unassigned)
    tell("solve")
    plan_ = _solve(
        profile, options, routable, distances, durations, has_end, unassigned, timings, preselected
    )
    tell("route")
    tick = time.perf_counter()
    for round_ in plan_:
        round_.planned.legs = [leg.geom for leg in route_legs(pids=round_.legs_pids)]
    timings["legs_s"] = time.perf_counter() - tick
    timings["total_s"] = time.perf_counter() - clock
    snap_by_key: dict[int, Snap | None] = dict.fromkeys(left_in_pool)
    snap_by_key.update({job.key: snaps[first_job + i] for i, job in enumerate(jobs)})
    return Plan(
        rounds=[r.planned for r in plan_],
        unassigned=unassigned,
        snaps=snap_by_key,
        timings=timings,
        cache=new_cache,
    )


def _candidates(jobs: list[PlanJob], options: PlanOptions) -> list[Candidate]:
    must = set(options.previous_order or ()) | (
        {options.fixed_first} if options.fixed_first is not None else set()
    )
    return [
        Candidate(j.key, j.x, j.y, j.service_s, j.priority, j.offensive, j.reported_at, j.key in must)
        for j in jobs
    ]


def _working_s(options: PlanOptions) -> int:
    return options.shift[1] - options.shift[0] - (options.break_[2] if options.break_ else 0)


def jobs_that_may_fit(
    *, jobs: list[PlanJob], options: PlanOptions, profile: Profile
) -> tuple[list[PlanJob], dict[int, str]]:
    """The jobs worth routing (preselect.py) and the reason for each one left in the pool."""
    working = _working_s(options)
    kept, left = preselect(
        candidates=_candidates(jobs, options),
        start=options.start,
        end=options.end if not options.open_round else None,
        working_s=working,
        agents=options.agents,
        speed_m_s=profile.speed_m_s,
    )
    keep = set(kept)
    return [j for j in jobs if j.key in keep], left


def fit_estimate(*, jobs: list[PlanJob], options: PlanOptions) -> FitEstimate:
    """How many `jobs` fit the shift before any street is read (preselect.estimate: the
    pre-selection's choice on straight lines, without its slack)."""
    return estimate(
        candidates=_candidates(jobs, options),
        start=options.start,
        end=options.end if not options.open_round else None,
        working_s=_working_s(options),
        agents=options.agents,
        speed_m_s=profile_get(options.profile).speed_m_s,
    )


def _routable_that_fit(
    routable: list[tuple[int, PlanJob]],
    durations: np.ndarray,
    options: PlanOptions,
    has_end: bool,
    unassigned: dict[int, str],
) -> list[tuple[int, PlanJob]]:
    """The routable jobs that fit on the real travel times (preselect.refine); the others
    join `unassigned` with the pool's reason."""
    kept, left = refine(
        candidates=_candidates([job for _, job in routable], options),
        nodes=[index for index, _ in routable],
        durations=durations,
        start=0,
        end=1 if has_end else (None if options.open_round else 0),
        working_s=_working_s(options),
        agents=options.agents,
    )
    unassigned.update(left)
    keep = set(kept)
    return [(index, job) for index, job in routable if job.key in keep]


@dataclass
class _Round:
    planned: PlannedRound
    legs_pids: list[int]


def _solve(
    profile: Profile,
    options: PlanOptions,
    routable: list[tuple[int, PlanJob]],
    distances: np.ndarray,
    durations: np.ndarray,
    has_end: bool,
    unassigned: dict[int, str],
    timings: dict[str, float],
    preselected: bool = False,
) -> list[_Round]:
    """VROOM on the routable jobs; fills `unassigned` with reasons; returns rounds.

    A pre-selected single round (built to fit the shift, preselect.refine) is first ordered
    as a free round (VROOM's TSP path + polish: ~1 s at 100 stops where the shift-bound
    general path took 3–6 s), kept when it ends within the shift."""
    shift_start, shift_end = options.shift
    end_index: int | None = 1 if has_end else (None if options.open_round else 0)
    by_id = {n + 1: (index, job) for n, (index, job) in enumerate(routable)}
    fixed: tuple[int, PlanJob] | None = None
    first_start, first_time = 0, shift_start
    if options.fixed_first is not None:
        for solver_id, (index, job) in list(by_id.items()):
            if job.key == options.fixed_first:
                fixed = (index, job)
                del by_id[solver_id]
                arrival = shift_start + int(durations[0, index])
                if job.window:
                    arrival = max(arrival, job.window[0])
                first_start, first_time = index, arrival + job.service_s
    vehicles = [
        SolverVehicle(
            id=v,
            start=first_start if v == 0 else 0,
            end=end_index,
            shift=(first_time if v == 0 else shift_start, shift_end),
            break_=options.break_,
        )
        for v in range(max(options.agents, 1))
    ]
    solver_jobs = [
        SolverJob(id=sid, location=index, service_s=job.service_s, window=job.window, priority=job.priority)
        for sid, (index, job) in by_id.items()
    ]
    general = options.general_path
    if general is None:
        general = len(solver_jobs) <= GENERAL_PATH_MAX_JOBS
    incumbent = None
    if options.previous_order is not None and len(vehicles) == 1:
        id_of_key = {job.key: sid for sid, (_, job) in by_id.items()}
        incumbent = [id_of_key[key] for key in options.previous_order if key in id_of_key]
    result = None
    started = time.perf_counter()
    if (
        preselected
        and len(vehicles) == 1
        and options.break_ is None
        and not any(j.window for j in solver_jobs)
    ):
        free = [replace(vehicles[0], shift=(vehicles[0].shift[0], vehicles[0].shift[0] + FREE_SHIFT_S))]
        trial = solve(
            durations=durations,
            distances=distances,
            jobs=solver_jobs,
            vehicles=free,
            general_path=general,
            incumbent=incumbent,
        )
        ends = [visit.arrival for visit in trial.routes.get(0, []) if visit.kind == "end"]
        if not trial.unassigned and ends and ends[-1] <= shift_end:
            result = trial
    if result is None:
        result = solve(
            durations=durations,
            distances=distances,
            jobs=solver_jobs,
            vehicles=vehicles,
            general_path=general,
            incumbent=incumbent,
        )
    timings["solve_s"] = time.perf_counter() - started
    for sid in result.unassigned:
        index, job = by_id[sid]
        unassigned[job.key] = _why_unassigned(index, job, durations, options, end_index)

    rounds: list[_Round] = []
    for v in vehicles:
        visits = result.routes.get(v.id, [])
        if not any(visit.kind == "job" for visit in visits) and not (v.id == 0 and fixed):
            continue
        rounds.append(
            _round(v.id, visits, by_id, fixed if v.id == 0 else None, distances, durations, options)
        )
    return rounds


def _round(
    vehicle: int,
    visits: list[Visit],
    by_id: dict[int, tuple[int, PlanJob]],
    fixed: tuple[int, PlanJob] | None,
    distances: np.ndarray,
    durations: np.ndarray,
    options: PlanOptions,
) -> _Round:
    stops: list[PlannedStop] = []
    pids = [1]  # routing point 1 = the start
    previous = 0
    start_time = options.shift[0]
    break_at = None
    if fixed is not None:
        index, job = fixed
        arrival = start_time + int(durations[0, index])
        begin = max(arrival, job.window[0]) if job.window else arrival
        stops.append(
            PlannedStop(
                job.key,
                vehicle,
                1,
                arrival,
                begin + job.service_s,
                float(distances[0, index]),
                int(durations[0, index]),
            )
        )
        pids.append(index + 1)
        previous = index
    end_time = stops[-1].departure if stops else start_time
    for visit in visits:
        if visit.kind == "break":
            break_at = (visit.arrival + visit.waiting, visit.arrival + visit.waiting + visit.service)
        elif visit.kind == "job" and visit.job_id is not None:
            index, job = by_id[visit.job_id]
            stops.append(
                PlannedStop(
                    key=job.key,
                    round_index=vehicle,
                    sequence=len(stops) + 1,
                    arrival=visit.arrival,
                    departure=visit.arrival + visit.waiting + visit.service,
                    leg_distance_m=float(distances[previous, index]),
                    leg_duration_s=int(durations[previous, index]),
                )
            )
            pids.append(index + 1)
            previous = index
        elif visit.kind == "end":
            end_time = visit.arrival
            if visit.location is not None and visit.location != previous:
                pids.append(visit.location + 1)
                previous = visit.location
    if fixed is not None and not visits:
        # Only the fixed stop in this round: VROOM had nothing to plan, go back ourselves.
        end = 1 if options.end is not None and not options.open_round else (None if options.open_round else 0)
        if end is not None:
            end_time += int(durations[previous, end])
            pids.append(end + 1)
    distance = float(sum(distances[a - 1, b - 1] for a, b in zip(pids, pids[1:], strict=False)))
    planned = PlannedRound(vehicle, stops, start_time, end_time, distance, [], break_at)
    return _Round(planned, pids)


def _why_unassigned(
    index: int, job: PlanJob, durations: np.ndarray, options: PlanOptions, end_index: int | None
) -> str:
    """A reason a person understands, recomputed from the matrix for the job alone."""
    shift_start, shift_end = options.shift
    arrival = shift_start + int(durations[0, index])
    if job.window:
        if arrival > job.window[1]:
            return "time window cannot be met: it closes before the team can get there"
        arrival = max(arrival, job.window[0])
    back = int(durations[index, end_index]) if end_index is not None else 0
    if arrival + job.service_s + back > shift_end:
        return "does not fit in the shift, even alone"
    return "no time left in the shift"
