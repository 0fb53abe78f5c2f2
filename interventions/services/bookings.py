"""A job is planned in at most one active mission (issue 18).

`MissionStop.holds_job` marks the stop that books its job; two partial unique indexes (see
the model) make a second booking impossible. These helpers keep the flag in step with the
mission's status, deletion and the optimiser's choices, and describe a booking to people.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from interventions.models import Mission, MissionStop, StopStatus
from interventions.selectors_missions import ACTIVE_MISSION_STATUSES, job_bookings

# Stored in MissionStop.reason (English, like the optimiser's reasons; translated on display).
ALREADY_PLANNED = "already planned in mission {mission}"


class JobAlreadyPlanned(ValidationError):
    """Asked to plan a job another active mission holds: the API answers 409 naming it."""

    def __init__(self, bookings: list[dict[str, Any]]) -> None:
        self.bookings = bookings
        super().__init__("; ".join(b["detail"] for b in bookings))


def job_key(stop: MissionStop) -> str:
    return f"i{stop.intervention_id}" if stop.intervention_id else f"r{stop.report_id}"


def booking_json(stop: MissionStop) -> dict[str, Any]:
    """One booking, for the API and the board: which job, in which mission."""
    mission = stop.mission
    job = (
        _("Intervention %(id)s") % {"id": stop.intervention_id}
        if stop.intervention_id
        else _("Report %(id)s") % {"id": stop.report_id}
    )
    label = mission.name or _("Mission %(id)s") % {"id": mission.pk}
    return {
        "intervention": stop.intervention_id,
        "report": None if stop.intervention_id else stop.report_id,
        "mission": mission.pk,
        "mission_name": mission.name,
        "mission_date": mission.date.isoformat(),
        "mission_status": mission.status,
        "detail": _("%(job)s is already planned in %(mission)s (no. %(id)s) on %(date)s.")
        % {"job": job, "mission": label, "id": mission.pk, "date": mission.date.strftime("%d/%m/%Y")},
    }


def bookings_elsewhere(*, mission: Mission, stops: list[MissionStop]) -> dict[str, MissionStop]:
    """Job key ("i5", "r12") → the stop of another mission that books the job of one of `stops`."""
    return {
        job_key(stop): stop
        for stop in job_bookings(
            community_id=mission.community_id,
            interventions=[s.intervention_id for s in stops if s.intervention_id],
            reports=[s.report_id for s in stops if s.report_id and not s.intervention_id],
            exclude_mission_id=mission.pk,
        )
    }


def mission_is_active(mission: Mission) -> bool:
    return mission.status in ACTIVE_MISSION_STATUSES and mission.deleted_at is None


def mission_stops_hold(*, mission: Mission) -> None:
    """Book (or free) the jobs of `mission` after its status or deletion changed.

    An inactive mission frees all its jobs. An active one books its kept stops; a stop whose
    job another mission booked meanwhile leaves the round with the reason (never a 500).
    """
    if not mission_is_active(mission):
        MissionStop.objects.filter(mission=mission, holds_job=True).update(holds_job=False)
        return
    wanted = list(
        MissionStop.objects.filter(mission=mission, holds_job=False).exclude(status=StopStatus.UNASSIGNED)
    )
    if not wanted:
        return
    taken = bookings_elsewhere(mission=mission, stops=wanted)
    for stop in wanted:
        other = taken.get(job_key(stop))
        if other is None:
            stop.holds_job = True
            continue
        stop_drop(stop, ALREADY_PLANNED.format(mission=other.mission_id))
    MissionStop.objects.bulk_update(wanted, [*DROP_FIELDS, "holds_job"])


DROP_FIELDS = [
    "status", "reason", "sequence", "planned_arrival", "planned_departure", "leg_distance_m",
    "leg_duration_s",
]  # fmt: skip


def stop_drop(stop: MissionStop, reason: str) -> None:
    """Out of the round, back in the pool (the caller saves DROP_FIELDS and holds_job)."""
    stop.status = StopStatus.UNASSIGNED
    stop.reason = reason
    stop.holds_job = False
    stop.sequence = stop.planned_arrival = stop.planned_departure = None
    stop.leg_distance_m = stop.leg_duration_s = None
