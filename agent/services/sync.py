"""The field app's sync protocol: its outbox's interventions and reports, idempotent on client UUIDs.

This module keeps the keys, the device clocks and the deliveries; the writes themselves are the
interventions' services (interventions/services/interventions.py, reports.py).

Rules (offline work is never lost, and never written twice):
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
from typing import Any

import psycopg.errors
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Community, User
from audit.services import jsonable
from core.sql import run_sql, sql_path
from interventions.models import (
    MISSION_HEAVY_FIELDS,
    Category,
    Intervention,
    Mission,
    MissionStatus,
    MissionStop,
    Report,
    ReportSource,
    without_heavy_mission_fields,
)
from interventions.selectors import intervention_check_writable, user_in_team_of
from interventions.services.interventions import (
    intervention_create,
    intervention_key_assign,
    intervention_record_work,
    mission_stop_intervention,
)
from interventions.services.reports import report_create

from ..models import AuditEntry, AuditKind, InterventionAlias, InterventionSync, MissionDelivery
from ..selectors import (
    delivered_to,
    intervention_key_owner,
    intervention_locked,
    mission_stops,
)


@dataclass
class InterventionEdit:
    """What one outbox entry says about one intervention (already validated by the API)."""

    client_uuid: uuid.UUID
    client_updated_at: dt.datetime
    values: dict[str, Any]  # a subset of interventions.services.interventions.AGENT_FIELDS
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
    delivery, _created = MissionDelivery.objects.update_or_create(
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
                if edit.stop_id is None and edit.intervention_id is None:
                    # Work nobody planned: the key alone names the row it creates.
                    _key_lock(edit.client_uuid)
                return _record(community=community, user=user, edit=edit)
        except IntegrityError as exc:
            if isinstance(exc.__cause__, psycopg.errors.CheckViolation):
                # A value the database's CHECK refuses.
                name = exc.__cause__.diag.constraint_name or "a database rule"
                raise ValidationError(
                    {"non_field_errors": _("Refused by %(rule)s.") % {"rule": name}}
                ) from exc
            # A double tap on planned work (locked by its row, not by its key) raced to
            # store the same key: the loser retries and now finds the winner's row.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _key_lock(key: uuid.UUID) -> None:
    """Wait for any other request with this key to commit (a double tap on two connections):
    it then finds the first one's row and is answered as a replay."""
    run_sql(sql_path(__file__, "client_key_lock.sql"), {"key": str(key)})


def _not_deleted(target: Intervention) -> Intervention:
    """Work sent for an intervention deleted in the office while the agent was offline is
    refused with the reason, as a replay of known work is (_record): written into the deleted
    row, nobody in the office would see it, and the app would say it was sent."""
    if target.deleted_at is not None:
        raise ValidationError({"intervention_id": _("This intervention was deleted in the office.")})
    return target


def _for_the_app(exc: ValidationError) -> ValidationError:
    """A service's error as the field app names its fields (a position is lon/lat, not geometry)."""
    if not hasattr(exc, "error_dict"):
        return exc
    errors = exc.message_dict
    if "geometry" in errors:
        errors["lon"] = errors.pop("geometry")
    return ValidationError(errors)


def _record(*, community: Community, user: User, edit: InterventionEdit) -> SyncResult:
    key = edit.client_uuid
    flags: list[str] = []
    created = False
    # One query tells a known key (or alias), a deleted one and another community's apart.
    owner = intervention_key_owner(community=community, client_uuid=key)
    target_pk: int | None = None
    if owner is not None:
        if owner.community_id != community.pk:
            raise ValidationError({"client_uuid": _("This key is already used elsewhere.")})
        if owner.deleted:
            raise ValidationError({"client_uuid": _("This intervention was deleted in the office.")})
        target_pk = owner.intervention_id
    store_key = False
    if target_pk is not None:
        target = intervention_locked(community=community, pk=target_pk)
        intervention_check_writable(user=user, intervention=target, stop_id=edit.stop_id)
    else:
        target = _resolve_new_key(community=community, user=user, edit=edit)
        created = True
        if target.client_uuid is None:
            # Written with the edit (one UPDATE), or alone if the edit is not applied.
            store_key = True
        elif target.client_uuid != key:
            InterventionAlias.objects.create(client_uuid=key, intervention=target, community=community)

    mission = target.mission
    if mission is not None and mission.status == MissionStatus.CANCELLED:
        flags.append(AuditKind.MISSION_CANCELLED)
    if mission is not None and not user_in_team_of(user=user, mission=mission):
        flags.append(AuditKind.MISSION_REASSIGNED)

    state = InterventionSync.objects.select_for_update().filter(intervention=target).first()
    applied, state = _apply(target=target, state=state, user=user, edit=edit, community=community)
    if store_key and not applied:
        intervention_key_assign(intervention=target, client_uuid=key)
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


def _resolve_new_key(*, community: Community, user: User, edit: InterventionEdit) -> Intervention:
    """The intervention a never-seen key is about: a mission stop, a known id, or a new one."""
    if edit.stop_id is not None:
        stop = (
            MissionStop.objects.select_for_update(of=("self",))
            .select_related("mission__team", "report", "intervention")
            .defer(*without_heavy_mission_fields())
            .filter(mission__community=community, pk=edit.stop_id)
            .first()
        )
        if stop is None:
            raise ValidationError({"stop_id": _("No such stop in your community.")})
        if not user_in_team_of(user=user, mission=stop.mission) and not delivered_to(
            user=user, stop_id=stop.pk
        ):
            raise PermissionDenied(_("This stop is not in one of your missions."))
        return _not_deleted(
            intervention_locked(community=community, pk=mission_stop_intervention(stop=stop).pk)
        )
    if edit.intervention_id is not None:
        try:
            target = intervention_locked(community=community, pk=edit.intervention_id)
        except Intervention.DoesNotExist:
            target = None
        if target is None:
            raise ValidationError({"intervention_id": _("No such intervention in your community.")})
        intervention_check_writable(user=user, intervention=target, stop_id=None)
        return _not_deleted(target)
    # Work nobody planned (a tag removed on the way): a new intervention.
    if edit.category_id is None or edit.position is None:
        raise ValidationError(
            {"category_id": _("A new intervention needs a category and a position (lon, lat).")}
        )
    category = Category.objects.filter(community=community, pk=edit.category_id, active=True).first()
    if category is None:
        raise ValidationError({"category_id": _("No such active category in your community.")})
    mission = None
    if edit.mission_id is not None:
        mission = (
            Mission.objects.filter(community=community, pk=edit.mission_id, team__members=user)
            .defer(*MISSION_HEAVY_FIELDS)
            .first()
        )
    try:
        return intervention_create(
            community=community,
            category=category,
            geom=edit.position,
            mission=mission,
            team=mission.team if mission else None,
            agents=[user],
            planned_date=timezone.localdate(),
            client_uuid=edit.client_uuid,
        )
    except ValidationError as exc:
        raise _for_the_app(exc) from exc


def _apply(
    *,
    target: Intervention,
    state: InterventionSync | None,
    user: User,
    edit: InterventionEdit,
    community: Community,
) -> tuple[bool, InterventionSync | None]:
    """Write the edit if it is the latest on the device clocks; audit when devices disagree.

    Returns (applied, the sync state row).
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
                detail={
                    "dropped": {k: jsonable(v) for k, v in edit.values.items()},
                    "kept_from": str(state.client_key),
                },
            )
        # Same device, same or older clock: a replay or an out-of-order retry — nothing to do.
        return False, state
    changes = intervention_record_work(
        intervention=target, values=edit.values, agent=user, client_uuid=edit.client_uuid
    )
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


@transaction.atomic
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
    _key_lock(client_uuid)
    existing = Report.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.community_id != community.pk:
            raise ValidationError({"client_uuid": _("This key is already used elsewhere.")})
        return existing, False
    category = Category.objects.filter(community=community, pk=category_id, active=True).first()
    if category is None:
        raise ValidationError({"category_id": _("No such active category in your community.")})
    try:
        report = report_create(
            community=community,
            category=category,
            geom=position,
            reporter=user,
            source=ReportSource.AGENT,
            description=description,
            support=support,
            offensive=offensive,
            client_uuid=client_uuid,
            reported_at=min(reported_at or timezone.now(), timezone.now()),
            key_checked=True,
        )
    except ValidationError as exc:
        raise _for_the_app(exc) from exc
    return report, True
