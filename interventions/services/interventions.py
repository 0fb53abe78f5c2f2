"""Interventions: planned by dispatchers, recorded by agents in the field."""

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Community, Membership, Team, User
from audit.models import AuditAction
from audit.services import audit_record, diff, snapshot
from geo.models import Asset
from geo.services.validation import ensure_same_community, ensure_within_territory, save_checked
from interventions.models import (
    Category,
    Intervention,
    InterventionStatus,
    Mission,
    MissionStop,
    Report,
    ReportStatus,
    StopStatus,
)

from . import deletion

# What a field agent may change on an intervention: its outcome and the tag sheet.
AGENT_FIELDS = frozenset(
    {
        "status",
        "not_done_reason",
        "support",
        "surface_m2",
        "method",
        "product",
        "offensive",
        "notes",
        "started_at",
        "ended_at",
    }
)
INTERVENTION_FIELDS = AGENT_FIELDS | {
    "category",
    "report",
    "asset",
    "mission",
    "team",
    "agents",
    "priority",
    "planned_date",
    "external_id",
    "geom",
}
RELATIONS = ("category", "report", "asset", "mission", "team")
# What the mission stops show once the agent records the outcome (the dispatcher's progress view).
STOP_STATUS_FOR: dict[str, str] = {
    InterventionStatus.DONE: StopStatus.DONE,
    InterventionStatus.NOT_DONE: StopStatus.NOT_DONE,
}


def _check_relations(community: Community, data: Mapping[str, Any]) -> None:
    for field in RELATIONS:
        if field in data:
            ensure_same_community(community=community, field=field, obj=data[field])
    agents = data.get("agents") or []
    member_ids = set(
        Membership.objects.filter(community=community, user__in=agents).values_list("user_id", flat=True)
    )
    outsiders = [str(u.pk) for u in agents if u.pk not in member_ids]
    if outsiders:
        raise ValidationError(
            {
                "agents": [
                    _("Unknown agent(s) %(ids)s: not in your community.") % {"ids": ", ".join(outsiders)}
                ]
            }
        )


def _check_outcome(intervention: Intervention) -> None:
    """Rules that read several fields (the single-field ones are model/DB constraints)."""
    if intervention.started_at and intervention.ended_at and intervention.ended_at < intervention.started_at:
        raise ValidationError({"ended_at": [_("The intervention cannot end before it started.")]})
    if intervention.surface_m2 is not None and intervention.surface_m2 <= 0:
        raise ValidationError({"surface_m2": [_("The surface must be greater than 0 m².")]})
    if intervention.not_done_reason and intervention.status != InterventionStatus.NOT_DONE:
        raise ValidationError({"not_done_reason": [_("A reason is only given when the status is not_done.")]})


@transaction.atomic
def intervention_create(
    *,
    community: Community,
    category: Category,
    geom: Point,
    status: str = InterventionStatus.TODO,
    report: Report | None = None,
    asset: Asset | None = None,
    mission: Mission | None = None,
    team: Team | None = None,
    agents: list[User] | None = None,
    priority: int = 2,
    planned_date: dt.date | None = None,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    not_done_reason: str = "",
    support: str = "",
    surface_m2: Decimal | None = None,
    method: str = "",
    product: str = "",
    offensive: bool = False,
    notes: str = "",
    external_id: str = "",
    client_uuid: uuid.UUID | None = None,
) -> Intervention:
    """Create an intervention; a replay with the same `client_uuid` returns the first one."""
    if client_uuid is not None:
        existing = Intervention.all_objects.select_for_update().filter(client_uuid=client_uuid).first()
        if existing is not None:
            if existing.community_id != community.pk:
                raise ValidationError({"client_uuid": [_("This client_uuid is already used.")]})
            if existing.deleted_at is not None:
                raise ValidationError({"client_uuid": [_("This intervention was deleted.")]})
            return existing
    agents = agents or []
    _check_relations(
        community,
        {
            "category": category,
            "report": report,
            "asset": asset,
            "mission": mission,
            "team": team,
            "agents": agents,
        },
    )
    ensure_within_territory(community=community, geom=geom)
    intervention = Intervention(
        community=community,
        category=category,
        geom=geom,
        status=status,
        report=report,
        asset=asset,
        mission=mission,
        team=team,
        priority=priority,
        planned_date=planned_date,
        started_at=started_at,
        ended_at=ended_at,
        not_done_reason=not_done_reason,
        support=support,
        surface_m2=surface_m2,
        method=method,
        product=product,
        offensive=offensive,
        notes=notes,
        external_id=external_id,
        client_uuid=client_uuid,
    )
    _check_outcome(intervention)
    save_checked(intervention)
    intervention.agents.set(agents)
    audit_record(obj=intervention, action=AuditAction.CREATE)
    return intervention


@transaction.atomic
def intervention_update(*, intervention: Intervention, data: Mapping[str, Any]) -> Intervention:
    """Change the given fields (names as on the model; others are refused).

    Role rules (an agent only changes AGENT_FIELDS) are the caller's: the API checks them.
    """
    unknown = set(data) - INTERVENTION_FIELDS
    if unknown:
        raise ValueError(f"intervention_update cannot change {', '.join(sorted(unknown))}")
    community = intervention.community
    _check_relations(community, data)
    if "geom" in data:
        ensure_within_territory(community=community, geom=data["geom"])
    before = snapshot(intervention)
    agents_before = sorted(intervention.agents.values_list("pk", flat=True)) if "agents" in data else None
    for name, value in data.items():
        if name != "agents":
            setattr(intervention, name, value)
    _check_outcome(intervention)
    save_checked(intervention)
    changes = diff(before, snapshot(intervention))
    if "agents" in data:
        intervention.agents.set(data["agents"])
        agents_after = sorted(u.pk for u in data["agents"])
        if agents_after != agents_before:
            changes["agents"] = [agents_before, agents_after]
    audit_record(obj=intervention, action=AuditAction.UPDATE, changes=changes)
    return intervention


@transaction.atomic
def intervention_from_report(*, report: Report, mission: Mission) -> Intervention:
    """The intervention that handles `report` in `mission`: scheduled for the mission's team
    on its date, with the report's category, site, tag sheet and priority; the report becomes
    accepted. Dispatching a mission and an agent starting a report stop both come here."""
    intervention = Intervention.objects.create(
        community_id=report.community_id,
        category_id=report.category_id,
        report=report,
        asset_id=report.asset_id,
        mission=mission,
        team_id=mission.team_id,
        support=report.support,
        offensive=report.offensive,
        priority=report.priority,
        planned_date=mission.date,
        geom=report.geom,
        status=InterventionStatus.SCHEDULED,
    )
    audit_record(obj=intervention, action=AuditAction.CREATE)
    if report.status != ReportStatus.ACCEPTED:
        audit_record(obj=report, action=AuditAction.UPDATE, changes={"status": [report.status, "accepted"]})
        report.status = ReportStatus.ACCEPTED
        report.save(update_fields=["status", "updated_at"])
    return intervention


def mission_stop_intervention(*, stop: MissionStop) -> Intervention:
    """The intervention of a mission stop; a stop that is still a report gets one now
    (intervention_from_report), linked to the stop."""
    if stop.intervention is None:
        assert stop.report is not None  # noqa: S101 — the mission_stop_has_job constraint
        stop.intervention = intervention_from_report(report=stop.report, mission=stop.mission)
        stop.save(update_fields=["intervention", "updated_at"])
    return stop.intervention


def _keeping_recorded_work(intervention: Intervention, values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` minus what would erase work recorded by an earlier edit.

    A stop resumed on a device that no longer has its form (another phone, cleared storage)
    sends empty notes and a new start time: the notes already written stay, and the work
    started at the earliest start recorded (never later, never unset).
    """
    kept = dict(values)
    if intervention.notes.strip() and not (kept.get("notes") or "").strip():
        kept.pop("notes", None)
    if intervention.started_at is not None and "started_at" in kept:
        started = kept["started_at"]
        if started is None or started > intervention.started_at:
            kept.pop("started_at")
    return kept


# No savepoint of its own inside a caller's transaction (the field sync's, per request): an
# error there rolls the whole request back anyway, and a savepoint is two more round trips.
@transaction.atomic(savepoint=False)
def intervention_record_work(
    *,
    intervention: Intervention,
    values: Mapping[str, Any],
    agent: User,
    client_uuid: uuid.UUID | None = None,
) -> dict[str, list[Any]]:
    """An agent records the outcome and the tag sheet (AGENT_FIELDS only); returns the changes.

    Nothing an earlier edit recorded is erased (_keeping_recorded_work). The agent joins the
    intervention's agents; its mission stops show done / not done. `client_uuid` (the
    device's key) goes into the audit trail, and becomes the intervention's own key when it
    has none (intervention_key_assign). The caller locks the row and decides which edit is
    the latest (the field app orders them by device clock: agent/services/sync.py).
    """
    unknown = set(values) - AGENT_FIELDS
    if unknown:
        raise ValueError(f"intervention_record_work cannot change {', '.join(sorted(unknown))}")
    values = _keeping_recorded_work(intervention, values)
    before = snapshot(intervention, values)
    for name, value in values.items():
        setattr(intervention, name, value)
    # Field checks in Python only (no query): the database's CHECK constraints stay the
    # backstop, and the caller turns their IntegrityError into a 400.
    intervention.full_clean(
        exclude=[f.name for f in Intervention._meta.concrete_fields if f.name not in values],
        validate_unique=False,
        validate_constraints=False,
    )
    _check_outcome(intervention)
    fields = [*values]
    if client_uuid is not None and intervention.client_uuid is None:
        intervention.client_uuid = client_uuid
        fields.append("client_uuid")
    # Only what changed: the tile purge then skips re-reading the (unchanged) position.
    intervention.save(update_fields=[*fields, "updated_at"])
    intervention.agents.add(agent)
    changes = diff(before, snapshot(intervention, values))
    audit_record(obj=intervention, action=AuditAction.UPDATE, changes=changes, client_uuid=client_uuid)
    stop_status = STOP_STATUS_FOR.get(intervention.status)
    if stop_status:
        MissionStop.objects.filter(intervention=intervention).exclude(status=StopStatus.UNASSIGNED).update(
            status=stop_status, updated_at=timezone.now()
        )
    return changes


def intervention_key_assign(*, intervention: Intervention, client_uuid: uuid.UUID) -> None:
    """Make `client_uuid` the intervention's own key (an offline client names it by that key)."""
    intervention.client_uuid = client_uuid
    intervention.save(update_fields=["client_uuid", "updated_at"])


def intervention_delete(*, intervention: Intervention, user: User | None = None) -> None:
    """Soft delete (interventions/services/deletion.py): restorable by an admin."""
    deletion.intervention_delete(intervention=intervention, user=user)
