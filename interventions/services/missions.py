"""Missions (tournées): create from a zone, conflicts, status workflow, stop edits (ordering: optimize.py)."""

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Community, Team, User
from audit.models import AuditAction
from audit.services import audit_many, audit_record, diff, jsonable, snapshot
from core.geometry import NotProjectable, transformed
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
    JobAlreadyPlanned,
    booking_json,
    bookings_elsewhere,
    job_key,
    mission_stops_hold,
)
from interventions.services.interventions import mission_stop_intervention

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
        try:
            zone = cast(Polygon, transformed(zone, settings.RONDE_SRID))
        except NotProjectable as exc:
            raise ValidationError({"zone": [exc.text]}) from exc
    if not zone.valid:
        raise ValidationError({"zone": [f"The polygon is not valid: {zone.valid_reason}."]})
    if zone.area <= 0:
        raise ValidationError({"zone": ["The polygon has no area."]})
    if not community.territory.intersects(zone):
        raise ValidationError({"zone": ["The zone is outside the community's territory."]})
    return zone


def _shift_checked(mission: Mission) -> None:
    """A 400 naming `shift_end` (the table's check constraint alone would name no field)."""
    if mission.shift_end <= mission.shift_start:
        raise ValidationError({"shift_end": [_("The shift ends before it starts.")]})


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
    _shift_checked(mission)
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
    _shift_checked(mission)
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
