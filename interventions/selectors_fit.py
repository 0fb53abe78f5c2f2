"""Before a mission exists: how many of a zone's jobs fit the day (issue 18).

The dispatcher sees "≈ 38 of 45 jobs fit" while choosing the team, the shift and the number
of agents, with what one more agent or one more hour would give; the jobs that do not fit
stay in the pool. The estimate is the optimiser's own pre-selection on straight lines
(geo.routing.preselect.estimate): milliseconds, no street network read, nothing written.
"""

import datetime as dt
from dataclasses import replace
from typing import Any

from django.contrib.gis.geos import Point, Polygon

from accounts.models import Community, Team
from geo.routing.planner import PlanJob, PlanOptions, fit_estimate

from .selectors_missions import job_bookings, open_interventions_within_zone, open_reports_within_zone
from .services.missions import service_seconds
from .services.optimize import plan_job

LATEST_END_S = 23 * 3600 + 59 * 60  # "one more hour" stops at 23:59


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _zone_jobs(
    *, community: Community, zone: Polygon, exclude_reports: set[int], exclude_interventions: set[int]
) -> list[PlanJob]:
    """The jobs mission_create would put in the zone's mission (booked ones left out), minus
    those the dispatcher unticked."""
    interventions = [
        j
        for j in open_interventions_within_zone(community=community, zone=zone)
        if j.pk not in exclude_interventions
    ]
    reports = [
        r for r in open_reports_within_zone(community=community, zone=zone) if r.pk not in exclude_reports
    ]
    booked = job_bookings(
        community_id=community.pk,
        interventions=[j.pk for j in interventions],
        reports=[r.pk for r in reports],
    )
    pairs = list(booked.values_list("intervention_id", "report_id"))
    taken_i = {job for job, _ in pairs if job}
    taken_r = {report for job, report in pairs if not job}
    kept: list[tuple[Any, Any, int]] = [
        (j, None, service_seconds(minutes=j.category.service_minutes, surface_m2=j.surface_m2))
        for j in interventions
        if j.pk not in taken_i
    ]
    kept += [
        (None, r, service_seconds(minutes=r.category.service_minutes, surface_m2=None))
        for r in reports
        if r.pk not in taken_r
    ]
    return [
        plan_job(key=key, intervention=job, report=report, service_s=service)
        for key, (job, report, service) in enumerate(kept)
    ]


def zone_fit_estimate(
    *,
    community: Community,
    zone: Polygon,
    team: Team | None,
    profile: str,
    shift_start: dt.time,
    shift_end: dt.time,
    agents: int = 1,
    break_minutes: int = 0,
    open_round: bool = False,
    start_point: Point | None = None,
    exclude_reports: set[int] | None = None,
    exclude_interventions: set[int] | None = None,
) -> dict[str, Any]:
    """How many jobs of `zone` (storage SRID) fit the shift, and the ways out for the others:
    one more agent, one more hour. Starts from `start_point`, else the team's depot, else the
    middle of the zone (`from_depot` false)."""
    jobs = _zone_jobs(
        community=community,
        zone=zone,
        exclude_reports=exclude_reports or set(),
        exclude_interventions=exclude_interventions or set(),
    )
    start = start_point or (team.depot if team is not None else None)
    from_depot = start is not None
    if start is None:
        start = zone.centroid
    start_s, end_s = _seconds(shift_start), _seconds(shift_end)
    options = PlanOptions(
        start=(start.x, start.y),
        profile=profile,
        open_round=open_round,
        shift=(start_s, end_s),
        break_=(start_s, end_s, break_minutes * 60) if break_minutes else None,
        agents=agents,
    )
    base = fit_estimate(jobs=jobs, options=options)
    one_more_agent = one_more_hour = None
    if base.fit < base.total:
        one_more_agent = {
            "agents": agents + 1,
            "fit": fit_estimate(jobs=jobs, options=replace(options, agents=agents + 1)).fit,
        }
        later = min(end_s + 3600, LATEST_END_S)
        if later > end_s:
            longer = replace(options, shift=(start_s, later))
            one_more_hour = {"shift_end": _clock(later), "fit": fit_estimate(jobs=jobs, options=longer).fit}
    return {
        "total": base.total,
        "fit": base.fit,
        "left": base.total - base.fit,
        "service_s": base.service_s,
        "travel_s": base.travel_s,
        "working_s": max(agents, 1) * (end_s - start_s - break_minutes * 60),
        "agents": agents,
        "profile": profile,
        "shift_start": _clock(start_s),
        "shift_end": _clock(end_s),
        "from_depot": from_depot,
        "ways_out": {"one_more_agent": one_more_agent, "one_more_hour": one_more_hour},
    }
