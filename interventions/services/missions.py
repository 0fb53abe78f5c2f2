"""Missions (tournées): create from a zone, conflicts, status workflow, round optimisation."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib.gis.geos import MultiLineString, Point, Polygon
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Community, Team, User
from audit.models import AuditAction
from audit.services import audit_many, audit_record, diff, jsonable, snapshot
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
from interventions.selectors_missions import (
    OPEN_INTERVENTION_STATUSES,
    OPEN_REPORT_STATUSES,
    missions_booking_team,
    open_interventions_within_zone,
    open_reports_within_zone,
)
from interventions.services.bookings import (
    ALREADY_PLANNED,
    JobAlreadyPlanned,
    booking_json,
    bookings_elsewhere,
    job_key,
    mission_stops_hold,
    stop_drop,
)
from interventions.services.interventions import mission_stop_intervention
from interventions.stop_reasons import stop_reason_text

# Allowed status changes; anything else is a 400 naming `status`.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    MissionStatus.DRAFT: (MissionStatus.DISPATCHED, MissionStatus.CANCELLED),
    MissionStatus.DISPATCHED: (MissionStatus.IN_PROGRESS, MissionStatus.CANCELLED),
    MissionStatus.IN_PROGRESS: (MissionStatus.COMPLETED, MissionStatus.CANCELLED),
    MissionStatus.COMPLETED: (),
    MissionStatus.CANCELLED: (),
}
# Category.service_minutes is the time for a job up to this size (m²); larger surfaces take
# proportionally longer.
REFERENCE_SURFACE_M2 = Decimal(5)
DONE_STOP_STATUSES = (StopStatus.DONE, StopStatus.NOT_DONE)


def service_seconds(*, minutes: int, surface_m2: Decimal | None) -> int:
    factor = max(Decimal(1), (surface_m2 or Decimal(0)) / REFERENCE_SURFACE_M2)
    return int(minutes * 60 * factor)


def mission_conflicts(*, mission: Mission) -> list[dict[str, Any]]:
    """Warnings a dispatcher must see before dispatching (nothing is blocked by them)."""
    conflicts: list[dict[str, Any]] = []
    for other in missions_booking_team(team_id=mission.team_id, date=mission.date, exclude_id=mission.pk):
        conflicts.append(
            {
                "kind": "team_booked",
                "mission": other.pk,
                "detail": f"The team already has mission {other.pk} that day.",
            }
        )
    territory = mission.community.territory
    if not territory.contains(mission.zone):
        conflicts.append(
            {"kind": "zone_partly_outside", "detail": "Part of the zone is outside the community."}
        )
    return conflicts


def mission_zone_checked(*, community: Community, zone: Polygon) -> Polygon:
    """A mission (or recurring mission) zone in the storage SRID; EPSG:4326 when it has none.

    A 400 naming `zone` when it is invalid, empty or outside the community's territory.
    """
    if zone.srid is None:
        zone.srid = settings.RONDE_API_SRID
    if zone.srid != settings.RONDE_SRID:
        zone = cast(Polygon, zone.transform(settings.RONDE_SRID, clone=True))
    if not zone.valid:
        raise ValidationError({"zone": [f"The polygon is not valid: {zone.valid_reason}."]})
    if zone.area <= 0:
        raise ValidationError({"zone": ["The polygon has no area."]})
    if not community.territory.intersects(zone):
        raise ValidationError({"zone": ["The zone is outside the community's territory."]})
    return zone


@transaction.atomic
def mission_create(
    *,
    community: Community,
    zone: Polygon,
    date: dt.date,
    team: Team,
    created_by: User | None = None,
    name: str = "",
    **planning: Any,
) -> tuple[Mission, list[dict[str, Any]]]:
    """A draft mission with one stop per open job in the zone; returns it and its conflicts.

    A job another active mission already plans is left out (in the pool of that mission) and
    listed as a `job_already_planned` conflict naming the mission.
    """
    if team.community_id != community.pk:
        raise ValidationError({"team": ["Unknown team in your community."]})
    zone = mission_zone_checked(community=community, zone=zone)
    mission = Mission(community=community, zone=zone, date=date, team=team, created_by=created_by, name=name)
    for field, value in planning.items():
        setattr(mission, field, value)
    mission.full_clean(exclude=["routing_cache"])
    mission.save()
    stops = [
        MissionStop(
            mission=mission,
            intervention=job,
            report_id=job.report_id,
            service_s=service_seconds(minutes=job.category.service_minutes, surface_m2=job.surface_m2),
        )
        for job in open_interventions_within_zone(community=community, zone=zone)
    ]
    stops += [
        MissionStop(
            mission=mission,
            report=report,
            service_s=service_seconds(minutes=report.category.service_minutes, surface_m2=None),
        )
        for report in open_reports_within_zone(community=community, zone=zone)
    ]
    taken = bookings_elsewhere(mission=mission, stops=stops)
    MissionStop.objects.bulk_create([s for s in stops if job_key(s) not in taken])
    audit_record(obj=mission, action=AuditAction.CREATE)
    left_out = [
        {"kind": "job_already_planned", **booking_json(stop)}
        for stop in sorted(taken.values(), key=lambda s: (s.mission_id, job_key(s)))
    ]
    return mission, left_out + mission_conflicts(mission=mission)


PLANNING_FIELDS = {
    "name", "notes", "date", "team", "profile", "start_point", "end_point", "open_round",
    "shift_start", "shift_end", "break_minutes", "break_earliest", "break_latest", "agents",
}  # fmt: skip


@transaction.atomic
def mission_update(
    *, mission: Mission, data: dict[str, Any], user: User | None = None
) -> list[dict[str, Any]]:
    """Edit fields and/or move the status; returns conflicts when dispatching or re-dating."""
    unknown = set(data) - PLANNING_FIELDS - {"status"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: ["This field cannot be changed."]})
    if "team" in data and data["team"].community_id != mission.community_id:
        raise ValidationError({"team": ["Unknown team in your community."]})
    before = snapshot(mission)
    for field, value in data.items():
        if field != "status":
            setattr(mission, field, value)
    mission.full_clean(exclude=["routing_cache"])
    mission.save()
    audit_record(obj=mission, action=AuditAction.UPDATE, changes=diff(before, snapshot(mission)))
    if "status" in data and data["status"] != mission.status:
        mission_transition(mission=mission, status=data["status"])
    return mission_conflicts(mission=mission)


@transaction.atomic
def mission_transition(*, mission: Mission, status: str) -> Mission:
    """Move along draft → dispatched → in_progress → completed (or cancelled).

    Dispatching turns each report stop into a scheduled intervention of the mission's team
    (the agents' app lists interventions); cancelling puts scheduled jobs back to to-do.
    """
    locked = Mission.objects.select_for_update().get(pk=mission.pk)
    if status not in TRANSITIONS.get(locked.status, ()):
        allowed = ", ".join(TRANSITIONS.get(locked.status, ())) or "none"
        raise ValidationError(
            {"status": [f"A {locked.status} mission cannot become {status} (allowed: {allowed})."]}
        )
    if status == MissionStatus.DISPATCHED:
        _dispatch_jobs(mission)
    elif status == MissionStatus.CANCELLED:
        back = list(Intervention.objects.filter(mission=mission, status=InterventionStatus.SCHEDULED))
        Intervention.objects.filter(pk__in=[j.pk for j in back]).update(
            status=InterventionStatus.TODO, mission=None, team=None, updated_at=timezone.now()
        )
        audit_many(
            objs=back,
            action=AuditAction.UPDATE,
            changes_for={
                j.pk: {
                    "status": [j.status, InterventionStatus.TODO.value],
                    "mission": [j.mission_id, None],
                    "team": [j.team_id, None],
                }
                for j in back
            },
        )
    audit_record(obj=mission, action=AuditAction.UPDATE, changes={"status": [locked.status, status]})
    mission.status = status
    mission.save(update_fields=["status", "updated_at"])
    mission_stops_hold(mission=mission)  # completed or cancelled: its jobs are free again
    return mission


def _dispatch_jobs(mission: Mission) -> None:
    for stop in mission.stops.select_related("report", "intervention").exclude(status=StopStatus.UNASSIGNED):
        job = stop.intervention
        if job is None:
            mission_stop_intervention(stop=stop)  # scheduled in this mission from the start
        elif job.status in (InterventionStatus.TODO, InterventionStatus.SCHEDULED):
            fields = ["status", "mission", "team", "planned_date"]
            before = snapshot(job, fields)
            job.status = InterventionStatus.SCHEDULED
            job.mission = mission
            job.team_id = mission.team_id
            job.planned_date = mission.date
            job.save(update_fields=[*fields, "updated_at"])
            audit_record(obj=job, action=AuditAction.UPDATE, changes=diff(before, snapshot(job, fields)))


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
        start = cast(Point, start.transform(settings.RONDE_SRID, clone=True))
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


EDITABLE_STATUSES = (MissionStatus.DRAFT,)


@transaction.atomic
def mission_stops_edit(
    *,
    mission: Mission,
    add_reports: list[int] | None = None,
    add_interventions: list[int] | None = None,
    remove: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Add open jobs of the community to a draft mission, or take stops out; returns conflicts.

    Adding a job another active mission plans raises JobAlreadyPlanned (a 409 naming it).
    Jobs may lie outside the zone (the dispatcher decided). Any change drops the stored
    round: the order no longer matches the stops, so the mission must be optimised again.
    """
    locked = Mission.objects.select_for_update().get(pk=mission.pk)
    if locked.status not in EDITABLE_STATUSES:
        raise ValidationError({"status": [f"Stops of a {locked.status} mission cannot change."]})
    remove = remove or []
    unknown = set(remove) - set(locked.stops.filter(pk__in=remove).values_list("pk", flat=True))
    if unknown:
        raise ValidationError({"remove": [f"Unknown stop {min(unknown)} in this mission."]})
    locked.stops.filter(pk__in=remove).delete()
    new: list[MissionStop] = []
    if add_interventions:
        jobs = {
            j.pk: j
            for j in Intervention.objects.filter(
                community_id=locked.community_id,
                pk__in=add_interventions,
                status__in=OPEN_INTERVENTION_STATUSES,
            ).select_related("category")
        }
        missing = set(add_interventions) - set(jobs)
        if missing:
            raise ValidationError({"add_interventions": [f"No open intervention {min(missing)} here."]})
        have = set(locked.stops.exclude(intervention=None).values_list("intervention_id", flat=True))
        new += [
            MissionStop(
                mission=locked,
                intervention=job,
                report_id=job.report_id,
                service_s=service_seconds(minutes=job.category.service_minutes, surface_m2=job.surface_m2),
            )
            for pk, job in jobs.items()
            if pk not in have
        ]
    if add_reports:
        reports = {
            r.pk: r
            for r in Report.objects.filter(
                community_id=locked.community_id, pk__in=add_reports, status__in=OPEN_REPORT_STATUSES
            )
            # A report an intervention already handles is added through that intervention.
            .filter(interventions__isnull=True)
            .select_related("category")
        }
        missing = set(add_reports) - set(reports)
        if missing:
            raise ValidationError({"add_reports": [f"No open report {min(missing)} here."]})
        have = set(locked.stops.exclude(report=None).values_list("report_id", flat=True))
        new += [
            MissionStop(
                mission=locked,
                report=report,
                service_s=service_seconds(minutes=report.category.service_minutes, surface_m2=None),
            )
            for pk, report in reports.items()
            if pk not in have
        ]
    taken = bookings_elsewhere(mission=locked, stops=new)
    if taken:
        raise JobAlreadyPlanned([booking_json(stop) for stop in taken.values()])
    MissionStop.objects.bulk_create(new)
    if remove or new:
        audit_record(
            obj=locked,
            action=AuditAction.UPDATE,
            changes={
                "stops": [
                    {"removed": sorted(remove)},
                    {
                        "added_interventions": sorted(
                            jsonable(s.intervention_id) for s in new if s.intervention_id
                        ),
                        "added_reports": sorted(
                            jsonable(s.report_id) for s in new if s.report_id and not s.intervention_id
                        ),
                    },
                ]
            },
        )
        locked.route = None
        locked.distance_m = locked.duration_s = locked.optimized_at = None
        locked.save(update_fields=["route", "distance_m", "duration_s", "optimized_at", "updated_at"])
    return mission_conflicts(mission=locked)
