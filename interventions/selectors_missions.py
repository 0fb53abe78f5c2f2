"""Reads about missions and the jobs a mission zone contains, scoped to one community."""

import datetime as dt

from django.contrib.gis.geos import Polygon
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.models import Community, Membership, Role

from .models import (
    Intervention,
    InterventionStatus,
    Mission,
    MissionStatus,
    MissionStop,
    Report,
    ReportStatus,
    without_heavy_mission_fields,
)

# Jobs a dispatcher puts in a round.
OPEN_REPORT_STATUSES = (ReportStatus.NEW, ReportStatus.ACCEPTED)
OPEN_INTERVENTION_STATUSES = (InterventionStatus.TODO, InterventionStatus.SCHEDULED)
# Missions that still hold their jobs and their team for the day.
ACTIVE_MISSION_STATUSES = (MissionStatus.DRAFT, MissionStatus.DISPATCHED, MissionStatus.IN_PROGRESS)


def open_reports_within_zone(*, community: Community, zone: Polygon) -> QuerySet[Report]:
    """Open reports in the zone (ST_Intersects: a point on the edge counts as inside) that no
    intervention handles yet (once it has one, the intervention is the job)."""
    return (
        Report.objects.filter(community=community, status__in=OPEN_REPORT_STATUSES, geom__intersects=zone)
        .exclude(Exists(Intervention.objects.filter(report=OuterRef("pk"))))
        .select_related("category")
        .order_by("reported_at", "id")
    )


def open_interventions_within_zone(*, community: Community, zone: Polygon) -> QuerySet[Intervention]:
    """To-do and scheduled interventions in the zone (edge included, as above)."""
    return (
        Intervention.objects.filter(
            community=community, status__in=OPEN_INTERVENTION_STATUSES, geom__intersects=zone
        )
        .select_related("category")
        .order_by("created_at", "id")
    )


def missions_for_membership(*, membership: Membership) -> QuerySet[Mission]:
    """Missions the member may read: all of the community's, or only their teams' for agents."""
    qs = Mission.objects.filter(community=membership.community)
    if membership.role == Role.AGENT:
        qs = qs.filter(team__members=membership.user)
    return (
        qs.select_related("team")
        .defer("routing_cache")  # the optimiser's street matrix (MISSION_HEAVY_FIELDS)
        .annotate(stop_count=Count("stops", distinct=True))
        .order_by("-date", "-id")
    )


def mission_get_for_membership(*, membership: Membership, mission_id: int) -> Mission | None:
    return missions_for_membership(membership=membership).filter(pk=mission_id).first()


def mission_stops(*, mission: Mission) -> QuerySet[MissionStop]:
    # A deleted intervention leaves the round (its stop comes back if it is restored).
    return (
        mission.stops.filter(Q(intervention__isnull=True) | Q(intervention__deleted_at__isnull=True))
        .select_related("intervention", "intervention__category", "report", "report__category")
        .order_by("round_index", "sequence", "id")
    )


def missions_booking_team(*, team_id: int, date: dt.date, exclude_id: int | None = None) -> QuerySet[Mission]:
    return (
        Mission.objects.filter(team_id=team_id, date=date, status__in=ACTIVE_MISSION_STATUSES)
        .exclude(pk=exclude_id or 0)
        .order_by("id")
    )


def stops_in_other_missions(*, mission: Mission) -> QuerySet[MissionStop]:
    """Stops of other active missions of the same day holding one of this mission's jobs."""
    mine = mission.stops.all()
    same_job = Q(intervention_id__in=mine.exclude(intervention=None).values("intervention_id")) | Q(
        report_id__in=mine.exclude(report=None).values("report_id")
    )
    return (
        MissionStop.objects.filter(
            same_job,
            mission__community_id=mission.community_id,
            mission__date=mission.date,
            mission__status__in=ACTIVE_MISSION_STATUSES,
            mission__deleted_at__isnull=True,
        )
        .exclude(mission=mission)
        .select_related("mission")
        .defer(*without_heavy_mission_fields())
        .order_by("mission_id", "id")
    )


def job_bookings(
    *,
    community_id: int,
    interventions: list[int] | tuple[int, ...] = (),
    reports: list[int] | tuple[int, ...] = (),
    exclude_mission_id: int | None = None,
) -> QuerySet[MissionStop]:
    """The stops that book these jobs (at most one per job: a database constraint), outside
    `exclude_mission_id`. A report counts only as a report stop (no intervention yet)."""
    return (
        MissionStop.objects.filter(
            Q(intervention_id__in=list(interventions))
            | Q(intervention__isnull=True, report_id__in=list(reports)),
            holds_job=True,
            mission__community_id=community_id,
        )
        .exclude(mission_id=exclude_mission_id or 0)
        .select_related("mission")
        # The mission's routing cache is its street matrix (megabytes of JSON): parsing it for
        # each booked job took 1.3 s for 100 of them.
        .defer(*without_heavy_mission_fields())
        .order_by("mission_id", "id")
    )
