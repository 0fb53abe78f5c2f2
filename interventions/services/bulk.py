"""Bulk actions a dispatcher runs on several interventions at once (list checkboxes)."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Community, Team
from audit.models import AuditAction
from audit.services import audit_many, diff, snapshot
from interventions.models import (
    Intervention,
    InterventionStatus,
    MissionStatus,
    MissionStop,
    NotDoneReason,
)

BULK_ACTIONS = ("reassign", "cancel", "close")
FINISHED = (InterventionStatus.DONE, InterventionStatus.NOT_DONE)
# Stops leave missions that are still being planned or carried out; finished missions keep
# their history.
LIVE_MISSIONS = (MissionStatus.DRAFT, MissionStatus.DISPATCHED, MissionStatus.IN_PROGRESS)


def _detach(ids: list[int]) -> None:
    """Take the interventions out of the live missions that hold them."""
    MissionStop.objects.filter(intervention_id__in=ids, mission__status__in=LIVE_MISSIONS).delete()


@transaction.atomic
def interventions_bulk_update(
    *,
    community: Community,
    ids: list[int],
    action: str,
    team: Team | None = None,
    date: dt.date | None = None,
    outcome: str = InterventionStatus.DONE,
    reason: str = "",
) -> dict[str, Any]:
    """Reassign (to a team, optionally a date), cancel the planning, or close interventions.

    - reassign: team (and planned date), scheduled, out of its current mission;
    - cancel: back to the to-do pile: no team, no date, out of its mission;
    - close: done, or not done with a reason; ended now.
    Finished interventions are skipped (reported with the reason); all or nothing otherwise.
    Takes row locks on the interventions (SELECT … FOR UPDATE) in id order.
    """
    if action not in BULK_ACTIONS:
        raise ValidationError(
            {"action": [f"Unknown action '{action}' (allowed: {', '.join(BULK_ACTIONS)})."]}
        )
    if not ids:
        raise ValidationError({"ids": ["Select at least one intervention."]})
    jobs = list(
        Intervention.objects.select_for_update().filter(community=community, pk__in=ids).order_by("pk")
    )
    missing = set(ids) - {j.pk for j in jobs}
    if missing:
        raise ValidationError({"ids": [f"Unknown intervention {min(missing)} in your community."]})
    if action == "reassign":
        if team is None:
            raise ValidationError({"team": ["Choose the team that takes the interventions over."]})
        if team.community_id != community.pk:
            raise ValidationError({"team": ["Unknown team in your community."]})
    if action == "close":
        if outcome not in FINISHED:
            raise ValidationError({"outcome": ["Close as done or not_done."]})
        if outcome == InterventionStatus.NOT_DONE and reason not in NotDoneReason.values:
            raise ValidationError(
                {"reason": [f"Say why it was not done ({', '.join(NotDoneReason.values)})."]}
            )
    now = timezone.now()
    updated: list[int] = []
    skipped: list[dict[str, Any]] = []
    audited = ["team", "mission", "planned_date", "status", "not_done_reason", "ended_at", "started_at"]
    changes: dict[int, dict[str, Any]] = {}
    for job in jobs:
        if job.status in FINISHED:
            skipped.append({"id": job.pk, "reason": f"already {job.status}"})
            continue
        before = snapshot(job, audited)
        if action == "reassign":
            job.team = team
            job.mission = None
            job.planned_date = date or job.planned_date
            job.status = InterventionStatus.SCHEDULED
        elif action == "cancel":
            job.team = job.mission = job.planned_date = None
            job.status = InterventionStatus.TODO
        else:
            job.status = outcome
            job.not_done_reason = reason if outcome == InterventionStatus.NOT_DONE else ""
            job.ended_at = now
            if job.started_at and job.started_at > now:
                job.started_at = now
        job.updated_at = now
        updated.append(job.pk)
        changes[job.pk] = diff(before, snapshot(job, audited))
    to_save = [j for j in jobs if j.pk in set(updated)]
    audit_many(objs=to_save, action=AuditAction.UPDATE, changes_for=changes)
    Intervention.objects.bulk_update(
        to_save,
        [
            "team",
            "mission",
            "planned_date",
            "status",
            "not_done_reason",
            "ended_at",
            "started_at",
            "updated_at",
        ],
    )
    if action in ("reassign", "cancel"):
        _detach(updated)
    elif updated:
        # A closed job's stop shows the outcome on the dispatcher's live map.
        MissionStop.objects.filter(intervention_id__in=updated).exclude(status="unassigned").update(
            status=outcome, updated_at=now
        )
    return {"action": action, "updated": updated, "skipped": skipped}
