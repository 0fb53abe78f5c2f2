"""Writes from the field app's outbox: interventions and reports, idempotent on client UUIDs.

Rules (DESIGN §5 "nothing is lost"):
- A client UUID is an idempotency key: a replay, a double tap or a retry after a timeout
  returns the same row and creates nothing.
- Edits are ordered by the device clock (`client_updated_at`): the latest value wins,
  however late it arrives; when it overwrites (or loses to) another device's edit, an
  AuditEntry says so.
- Work on a mission that was cancelled, or reassigned after it was handed to the agent,
  is kept and flagged for the dispatcher.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg.errors
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Community, User
from audit.models import AuditAction
from audit.services import audit_record
from interventions.models import (
    Category,
    Intervention,
    InterventionStatus,
    Mission,
    MissionStatus,
    MissionStop,
    Report,
    ReportSource,
)
from interventions.selectors import intervention_check_writable, user_in_team_of

from ..models import AuditEntry, AuditKind, InterventionAlias, InterventionSync, MissionDelivery
from ..selectors import (
    delivered_to,
    intervention_alias_target,
    intervention_key_owner,
    mission_stops,
)

# The fields an agent edits; everything else (category, position, mission) is the dispatcher's.
EDITABLE = (
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
)
STOP_STATUS_FOR: dict[str, str] = {InterventionStatus.DONE: "done", InterventionStatus.NOT_DONE: "not_done"}


@dataclass
class InterventionEdit:
    """What one outbox entry says about one intervention (already validated by the API)."""

    client_uuid: uuid.UUID
    client_updated_at: dt.datetime
    values: dict[str, Any]  # a subset of EDITABLE
    stop_id: int | None = None
    intervention_id: int | None = None
    mission_id: int | None = None
    category_id: int | None = None
    position: Point | None = None  # storage SRID


@dataclass
class SyncResult:
    intervention: Intervention
    created: bool  # first time this key was seen (201), else a replay or an update (200)
    applied: bool  # the values were written (False: a replay, or older than what is stored)
    flags: list[str] = field(default_factory=list)
    flagged: bool = False  # kept for the dispatcher to look at (this or an earlier edit)


def mission_deliver(*, mission: Mission, user: User) -> MissionDelivery:
    """Record that `mission` (with these stops) was handed to `user` while their team had it."""
    stops = mission_stops(mission=mission)
    delivery, _ = MissionDelivery.objects.update_or_create(
        mission=mission,
        user=user,
        defaults={
            "team": mission.team,
            "intervention_ids": sorted(s.intervention.pk for s in stops if s.intervention),
            "stop_ids": sorted(s.stop_id for s in stops if s.stop_id),
        },
    )
    return delivery


def intervention_record(*, community: Community, user: User, edit: InterventionEdit) -> SyncResult:
    """Apply one outbox edit of an intervention; safe to call any number of times."""
    # The future is the device's clock gone wrong: it must not win every later edit forever.
    edit.client_updated_at = min(edit.client_updated_at, timezone.now() + dt.timedelta(minutes=5))
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _record(community=community, user=user, edit=edit)
        except IntegrityError as exc:
            if isinstance(exc.__cause__, psycopg.errors.CheckViolation):
                # A value the database's CHECK refuses (e.g. an end before the stored start).
                name = exc.__cause__.diag.constraint_name or "a database rule"
                raise ValidationError({"non_field_errors": f"Refused by {name}."}) from exc
            # Two deliveries of the same new key raced (double tap on two connections):
            # the loser retries and now finds the winner's row — a replay.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _record(*, community: Community, user: User, edit: InterventionEdit) -> SyncResult:
    key = edit.client_uuid
    flags: list[str] = []
    created = False
    # One query tells a known key, a deleted one and another community's apart.
    owner = intervention_key_owner(client_uuid=key)
    target_pk: int | None = None
    if owner is not None:
        if owner.community_id != community.pk:
            raise ValidationError({"client_uuid": "This key is already used elsewhere."})
        if owner.deleted:
            raise ValidationError({"client_uuid": "This intervention was deleted in the office."})
        target_pk = owner.intervention_id
    else:
        target_pk = intervention_alias_target(community=community, client_uuid=key)
    key_to_store = False
    if target_pk is not None:
        target = _locked(community=community, pk=target_pk)
        intervention_check_writable(user=user, intervention=target, stop_id=edit.stop_id)
    else:
        target = _resolve_new_key(community=community, user=user, edit=edit)
        created = True
        if target.client_uuid is None:
            # Written with the edit below (one UPDATE), or alone if the edit is not applied.
            target.client_uuid = key
            key_to_store = True
        elif target.client_uuid != key:
            InterventionAlias.objects.create(client_uuid=key, intervention=target, community=community)

    mission = target.mission
    if mission is not None and mission.status == MissionStatus.CANCELLED:
        flags.append(AuditKind.MISSION_CANCELLED)
    if mission is not None and not user_in_team_of(user=user, mission=mission):
        flags.append(AuditKind.MISSION_REASSIGNED)

    state = InterventionSync.objects.select_for_update().filter(intervention=target).first()
    applied, state = _apply(
        target=target, state=state, user=user, edit=edit, community=community, store_key=key_to_store
    )
    if key_to_store and not applied:
        target.save(update_fields=["client_uuid", "updated_at"])
    if flags:
        if state is None:
            state = InterventionSync.objects.get(intervention=target)
        if not state.flagged:
            state.flagged, state.flag_reason = True, flags[0]
            state.save(update_fields=["flagged", "flag_reason", "updated_at"])
        for kind in flags:
            _audit(
                community=community,
                kind=kind,
                intervention=target,
                mission=mission,
                user=user,
                edit=edit,
                detail={"mission_status": mission.status if mission else None},
            )
    flagged = bool(state and state.flagged)
    return SyncResult(intervention=target, created=created, applied=applied, flags=flags, flagged=flagged)


def _locked(*, community: Community, pk: int) -> Intervention:
    """The intervention row locked for this transaction, with its mission and team (one query)."""
    return (
        Intervention.objects.select_for_update(of=("self",))
        .select_related("mission__team", "team")
        .get(community=community, pk=pk)
    )


def _resolve_new_key(*, community: Community, user: User, edit: InterventionEdit) -> Intervention:
    """The intervention a never-seen key is about: a mission stop, a known id, or a new one."""
    if edit.stop_id is not None:
        stop = (
            MissionStop.objects.select_for_update(of=("self",))
            .select_related("mission__team", "report", "intervention")
            .filter(mission__community=community, pk=edit.stop_id)
            .first()
        )
        if stop is None:
            raise ValidationError({"stop_id": "No such stop in your community."})
        if not user_in_team_of(user=user, mission=stop.mission) and not delivered_to(
            user=user, stop_id=stop.pk
        ):
            raise PermissionDenied("This stop is not in one of your missions.")
        if stop.intervention is None:
            assert stop.report is not None  # a stop has a job
            stop.intervention = _intervention_from_report(report=stop.report, mission=stop.mission)
            stop.save(update_fields=["intervention", "updated_at"])
        return _locked(community=community, pk=stop.intervention.pk)
    if edit.intervention_id is not None:
        try:
            target = _locked(community=community, pk=edit.intervention_id)
        except Intervention.DoesNotExist:
            target = None
        if target is None:
            raise ValidationError({"intervention_id": "No such intervention in your community."})
        intervention_check_writable(user=user, intervention=target, stop_id=None)
        return target
    # Work nobody planned (a tag removed on the way): a new intervention.
    if edit.category_id is None or edit.position is None:
        raise ValidationError(
            {"category_id": "A new intervention needs a category and a position (lon, lat)."}
        )
    category = Category.objects.filter(community=community, pk=edit.category_id, active=True).first()
    if category is None:
        raise ValidationError({"category_id": "No such active category in your community."})
    if not community.territory.contains(edit.position):
        raise ValidationError({"lon": "This position is outside your community's territory."})
    mission = None
    if edit.mission_id is not None:
        mission = Mission.objects.filter(community=community, pk=edit.mission_id, team__members=user).first()
    target = Intervention.objects.create(
        community=community,
        category=category,
        geom=edit.position,
        mission=mission,
        team=mission.team if mission else None,
        planned_date=timezone.localdate(),
        client_uuid=edit.client_uuid,
    )
    target.agents.add(user)
    audit_record(obj=target, action=AuditAction.CREATE, client_uuid=edit.client_uuid)
    return target


def _intervention_from_report(*, report: Report, mission: Mission) -> Intervention:
    intervention = Intervention.objects.create(
        community=report.community,
        category=report.category,
        report=report,
        asset=report.asset,
        mission=mission,
        team=mission.team,
        support=report.support,
        offensive=report.offensive,
        priority=report.priority,
        planned_date=mission.date,
        geom=report.geom,
        status=InterventionStatus.SCHEDULED,
    )
    audit_record(obj=intervention, action=AuditAction.CREATE)
    return intervention


def _apply(
    *,
    target: Intervention,
    state: InterventionSync | None,
    user: User,
    edit: InterventionEdit,
    community: Community,
    store_key: bool = False,
) -> tuple[bool, InterventionSync | None]:
    """Write the edit if it is the latest on the device clocks; audit when devices disagree.

    Returns (applied, the sync state row). `store_key`: target.client_uuid was just set and
    goes out with the same UPDATE.
    """
    incoming = edit.client_updated_at
    other_device = state is not None and state.client_key != edit.client_uuid
    if state is not None and incoming <= state.client_updated_at:
        if other_device:
            _audit(
                community=community,
                kind=AuditKind.STALE_EDIT,
                intervention=target,
                mission=target.mission,
                user=user,
                edit=edit,
                detail={"dropped": _jsonable(edit.values), "kept_from": str(state.client_key)},
            )
        # Same device, same or older clock: a replay or an out-of-order retry — nothing to do.
        return False, state
    changes = {
        name: [_jsonable_value(getattr(target, name)), _jsonable_value(value)]
        for name, value in edit.values.items()
        if getattr(target, name) != value
    }
    for name, value in edit.values.items():
        setattr(target, name, value)
    edited = set(edit.values)
    # Field checks in Python only (no query): the serializer already checked every value
    # against the same choices and ranges; the CHECK constraints stay the database's
    # backstop, and a violation becomes a 400 in intervention_record.
    target.full_clean(
        exclude=[f.name for f in Intervention._meta.concrete_fields if f.name not in edited],
        validate_unique=False,
        validate_constraints=False,
    )
    # Only what changed: the tile purge then skips re-reading the (unchanged) position.
    target.save(update_fields=[*edited, "updated_at", *(["client_uuid"] if store_key else [])])
    target.agents.add(user)
    audit_record(obj=target, action=AuditAction.UPDATE, changes=changes, client_uuid=edit.client_uuid)
    if other_device and changes:
        _audit(
            community=community,
            kind=AuditKind.CONCURRENT_EDIT,
            intervention=target,
            mission=target.mission,
            user=user,
            edit=edit,
            detail={"changes": changes, "replaced": str(state.client_key) if state else None},
        )
    if state is None:
        state = InterventionSync.objects.create(
            intervention=target,
            community=community,
            client_updated_at=incoming,
            client_key=edit.client_uuid,
            updated_by=user,
        )
    else:
        state.client_updated_at, state.client_key, state.updated_by = incoming, edit.client_uuid, user
        state.save(update_fields=["client_updated_at", "client_key", "updated_by", "updated_at"])
    stop_status = STOP_STATUS_FOR.get(target.status)
    if stop_status:
        # The dispatcher's progress view reads the stops.
        MissionStop.objects.filter(intervention=target).exclude(status="unassigned").update(
            status=stop_status, updated_at=timezone.now()
        )
    return True, state


def _audit(
    *,
    community: Community,
    kind: str,
    intervention: Intervention,
    mission: Mission | None,
    user: User,
    edit: InterventionEdit,
    detail: dict[str, Any],
) -> None:
    # get_or_create on the unique key: a replayed request writes no second entry.
    AuditEntry.objects.get_or_create(
        intervention=intervention,
        kind=kind,
        client_key=edit.client_uuid,
        client_updated_at=edit.client_updated_at,
        defaults={"community": community, "mission": mission, "user": user, "detail": detail},
    )


def _jsonable_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable_value(v) for k, v in values.items()}


def report_submit(
    *,
    community: Community,
    user: User,
    client_uuid: uuid.UUID,
    category_id: int,
    position: Point,
    description: str = "",
    support: str = "",
    offensive: bool = False,
    reported_at: dt.datetime | None = None,
) -> tuple[Report, bool]:
    """A new report seen on the way; (report, created). A replayed key returns the first one."""
    existing = Report.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.community_id != community.pk:
            raise ValidationError({"client_uuid": "This key is already used elsewhere."})
        return existing, False
    category = Category.objects.filter(community=community, pk=category_id, active=True).first()
    if category is None:
        raise ValidationError({"category_id": "No such active category in your community."})
    if not community.territory.contains(position):
        raise ValidationError({"lon": "This position is outside your community's territory."})
    report = Report(
        community=community,
        category=category,
        source=ReportSource.AGENT,
        reporter=user,
        description=description,
        support=support,
        offensive=offensive,
        reported_at=min(reported_at or timezone.now(), timezone.now()),
        geom=position,
        client_uuid=client_uuid,
    )
    try:
        with transaction.atomic():
            report.save()
            audit_record(obj=report, action=AuditAction.CREATE, client_uuid=client_uuid)
    except IntegrityError:
        # The same key arrived twice at once: the other request created it.
        return Report.objects.get(client_uuid=client_uuid, community=community), False
    return report, True
