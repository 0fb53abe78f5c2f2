"""Ordering a mission's stops on the street network (`mission_optimize`), split from
missions.py: the planner's view of a job, the check a web request makes before queueing, and
storing the round."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.gis.geos import MultiLineString, Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record, diff, snapshot
from core.geometry import transformed
from geo.routing.planner import PlanJob, PlanOptions, RoutingError, plan
from interventions.models import (
    Intervention,
    InterventionStatus,
    Mission,
    MissionStatus,
    MissionStop,
    Report,
    StopStatus,
)
from interventions.services.bookings import (
    ALREADY_PLANNED,
    bookings_elsewhere,
    job_key,
    stop_drop,
)
from interventions.stop_reasons import stop_reason_text

from .missions import DONE_STOP_STATUSES


@dataclass(frozen=True)
class OptimizeOptions:
    """What a dispatcher (or an agent's position) adds to the mission's own planning fields."""

    fixed_first_stop: int | None = None
    # Re-optimise from here, now: done stops keep their order, the rest follow.
    position: Point | None = None
    at: dt.datetime | None = None
    windows: dict[int, tuple[dt.time | None, dt.time | None]] | None = None


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _clock(mission: Mission, seconds: int) -> dt.datetime:
    midnight = timezone.make_aware(dt.datetime.combine(mission.date, dt.time.min))
    return midnight + dt.timedelta(seconds=seconds)


def plan_job(
    *,
    key: int,
    intervention: Intervention | None,
    report: Report | None,
    service_s: int,
    window: tuple[int, int] | None = None,
) -> PlanJob:
    """The planner's view of a job: what the pre-selection ranks by (priority, offensive, age)."""
    job = intervention or report
    assert job is not None  # noqa: S101 — the mission_stop_has_job constraint
    point = job.geom
    priority = {1: 100, 2: 50, 3: 0}.get(getattr(job, "priority", 2), 50)
    reported = report.reported_at if report is not None else getattr(job, "created_at", None)
    return PlanJob(
        key,
        point.x,
        point.y,
        service_s,
        window,
        priority,
        offensive=bool(getattr(job, "offensive", False)),
        reported_at=reported.timestamp() if reported else 0.0,
    )


PLANNED_FIELDS = (
    "sequence", "round_index", "status", "reason", "planned_arrival", "planned_departure",
    "leg_distance_m", "leg_duration_s", "snapped", "snap_distance_m", "window_start", "window_end",
    "holds_job",
)  # fmt: skip


def _stops_store(stops: list[MissionStop]) -> None:
    """Save the planned fields, one UPDATE per distinct set of values: bulk_update's CASE WHEN
    over 12 fields took 9.8 s for 300 stops (resolving 7,200 conditions); the stops left in
    the pool of a big zone share their values and go in one statement."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    by_pk = {stop.pk: stop for stop in stops}
    for stop in stops:
        key = tuple(
            (v.ewkb.hex() if isinstance(v, Point) else v) for v in (getattr(stop, f) for f in PLANNED_FIELDS)
        )
        groups.setdefault(key, []).append(stop.pk)
    for pks in groups.values():
        first = by_pk[pks[0]]
        MissionStop.objects.filter(pk__in=pks).update(**{f: getattr(first, f) for f in PLANNED_FIELDS})


def mission_optimize_check(
    *, mission: Mission, options: OptimizeOptions, stops: list[MissionStop] | None = None
) -> None:
    """What can be refused before the street network is touched, each a 400 naming its field:
    the web request checks it before queueing the optimisation. Sets the time windows of
    `options` on `stops` (the mission's, read when not given)."""
    if mission.status in (MissionStatus.COMPLETED, MissionStatus.CANCELLED):
        raise ValidationError({"status": [f"A {mission.status} mission cannot be optimised."]})
    by_id = {s.pk: s for s in (stops if stops is not None else mission.stops.all())}
    for stop_id, (opens, closes) in (options.windows or {}).items():
        if stop_id not in by_id:
            raise ValidationError({"time_windows": [f"Unknown stop {stop_id} in this mission."]})
        by_id[stop_id].window_start, by_id[stop_id].window_end = opens, closes
        by_id[stop_id].full_clean(exclude=["mission", "intervention", "report"])
    if options.fixed_first_stop is not None and options.fixed_first_stop not in by_id:
        raise ValidationError(
            {"fixed_first_stop": [f"Unknown stop {options.fixed_first_stop} in this mission."]}
        )
    if (options.position or mission.start_point or mission.team.depot) is None:
        raise ValidationError({"start_point": ["Give a start point: the team has no depot."]})


@transaction.atomic
def mission_optimize(
    *,
    mission: Mission,
    options: OptimizeOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Order the stops on the street network and store the round; returns the plan summary.

    `progress(stage)`: told each stage as it begins (geo.routing.planner.STAGES, then "store").
    Seconds for a big zone: the web asks the background worker (services/optimizations.py)."""
    options = options or OptimizeOptions()
    stops = list(
        mission.stops.select_related("intervention", "report").order_by("round_index", "sequence", "id")
    )
    mission_optimize_check(mission=mission, options=options, stops=stops)

    def is_done(stop: MissionStop) -> bool:
        job = stop.intervention
        return stop.status in DONE_STOP_STATUSES or (
            job is not None and job.status in (InterventionStatus.DONE, InterventionStatus.NOT_DONE)
        )

    reoptimise = options.position is not None
    # A dropped stop whose job another mission has planned since stays out of this round.
    free = [s for s in stops if not s.holds_job]
    taken = bookings_elsewhere(mission=mission, stops=free)
    booked = [s for s in free if job_key(s) in taken]
    for stop in booked:
        stop_drop(stop, ALREADY_PLANNED.format(mission=taken[job_key(stop)].mission_id))
    stops = [s for s in stops if s not in booked]
    done = [s for s in stops if reoptimise and is_done(s)]
    todo = [s for s in stops if not (reoptimise and is_done(s))]
    start = options.position or mission.start_point or mission.team.depot
    assert start is not None  # noqa: S101 — mission_optimize_check
    if start.srid != settings.RONDE_SRID:
        start = cast(Point, transformed(start, settings.RONDE_SRID))
    end = mission.end_point
    if reoptimise and end is None and not mission.open_round:
        # Back to where the day started, not to where the agent stands now.
        end = mission.start_point or mission.team.depot
    shift = (_seconds(mission.shift_start), _seconds(mission.shift_end))
    if reoptimise:
        now = timezone.localtime(options.at or timezone.now())
        shift = (max(shift[0], now.hour * 3600 + now.minute * 60 + now.second), shift[1])
        if shift[0] >= shift[1]:
            raise ValidationError({"at": ["The shift is over: nothing left to plan."]})
    break_ = None
    if mission.break_minutes:
        earliest = _seconds(mission.break_earliest) if mission.break_earliest else shift[0]
        latest = _seconds(mission.break_latest) if mission.break_latest else shift[1]
        if latest >= shift[0]:
            break_ = (max(earliest, shift[0]), latest, mission.break_minutes * 60)
    jobs = []
    for stop in todo:
        window = None
        if stop.window_start or stop.window_end:
            window = (
                _seconds(stop.window_start) if stop.window_start else 0,
                _seconds(stop.window_end) if stop.window_end else 24 * 3600,
            )
        jobs.append(
            plan_job(
                key=stop.pk,
                intervention=stop.intervention,
                report=stop.report,
                service_s=stop.service_s,
                window=window,
            )
        )
    previous_order = None
    if reoptimise and mission.agents == 1:
        # The order the agent follows now: kept unless the new round is clearly better.
        followed = [s for s in todo if s.sequence is not None and s.status != StopStatus.UNASSIGNED]
        previous_order = tuple(
            s.pk for s in sorted(followed, key=lambda s: (s.round_index, s.sequence, s.pk))
        )
    plan_options = PlanOptions(
        start=(start.x, start.y),
        end=(end.x, end.y) if end is not None else None,
        profile=mission.profile,
        open_round=mission.open_round,
        shift=shift,
        break_=break_,
        agents=mission.agents,
        fixed_first=options.fixed_first_stop,
        previous_order=previous_order,
    )
    try:
        result = plan(
            community_id=mission.community_id,
            jobs=jobs,
            options=plan_options,
            cache=mission.routing_cache,
            progress=progress,
        )
    except RoutingError as exc:
        raise ValidationError({exc.field: [str(exc)]}) from exc
    if progress is not None:
        progress("store")

    offset = len(done)
    for index, stop in enumerate(sorted(done, key=lambda s: (s.sequence or 0, s.pk))):
        stop.sequence = index + 1
    planned = {p.key: p for r in result.rounds for p in r.stops}
    for stop in todo:
        snap = result.snaps.get(stop.pk)
        stop.snapped = Point(snap.x, snap.y, srid=settings.RONDE_SRID) if snap else None
        stop.snap_distance_m = snap.distance_m if snap else None
        p = planned.get(stop.pk)
        if p is None:
            stop_drop(stop, result.unassigned.get(stop.pk, "not planned"))  # back in the pool
            continue
        stop.status = StopStatus.PLANNED if stop.status == StopStatus.UNASSIGNED else stop.status
        stop.holds_job = True
        stop.reason = ""
        stop.round_index = p.round_index
        stop.sequence = p.sequence + (offset if p.round_index == 0 else 0)
        stop.planned_arrival, stop.planned_departure = (
            _clock(mission, p.arrival),
            _clock(mission, p.departure),
        )
        stop.leg_distance_m, stop.leg_duration_s = p.leg_distance_m, p.leg_duration_s
    _stops_store([*stops, *booked])
    lines = [line for r in result.rounds if r.geom for line in r.geom]
    before = snapshot(mission, ["distance_m", "duration_s", "optimized_at"])
    mission.route = MultiLineString(lines, srid=settings.RONDE_SRID) if lines else None
    mission.distance_m = result.distance_m
    mission.duration_s = result.duration_s
    mission.optimized_at = timezone.now()
    mission.routing_cache = result.cache
    mission.save(
        update_fields=["route", "distance_m", "duration_s", "optimized_at", "routing_cache", "updated_at"]
    )
    changes = diff(before, snapshot(mission, ["distance_m", "duration_s", "optimized_at"]))
    audit_record(obj=mission, action=AuditAction.UPDATE, changes=changes)
    return {
        "distance_m": round(result.distance_m, 1),
        "duration_s": result.duration_s,
        "rounds": [
            {
                "round": r.index,
                "distance_m": round(r.distance_m, 1),
                "duration_s": r.duration_s,
                "start": _clock(mission, r.start_time).isoformat(),
                "end": _clock(mission, r.end_time).isoformat(),
                "break": [_clock(mission, t).isoformat() for t in r.break_at] if r.break_at else None,
                "stops": len(r.stops),
            }
            for r in result.rounds
        ],
        "unassigned": [
            {"stop": key, "reason": stop_reason_text(reason)}
            for key, reason in sorted(result.unassigned.items())
        ],
        "timings_s": {k: round(v, 4) for k, v in result.timings.items()},
    }
