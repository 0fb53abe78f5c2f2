"""Soft delete, restore and purge of interventions and missions (nothing is lost by a click).

Deleting sets `deleted_at`/`deleted_by`: the row disappears from every selector, API,
tile, dashboard and export (default managers and SQL files filter `deleted_at IS NULL`) but
stays in the database; an admin restores it from the Django admin. Only `purge_deleted
--older-than DAYS` removes rows for good, and each purge is in the audit trail.
"""

import datetime as dt
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.context import current_actor
from audit.models import AuditAction
from audit.services import audit_record, snapshot
from interventions.models import Intervention, Mission
from interventions.services.bookings import mission_stops_hold

SoftDeletable = TypeVar("SoftDeletable", Intervention, Mission)


def _user_id(user: User | None) -> int | None:
    return user.pk if user is not None else current_actor().user_id


@transaction.atomic
def soft_delete(*, obj: SoftDeletable, user: User | None = None) -> SoftDeletable:
    """Hide `obj` everywhere; idempotent (a second delete changes nothing)."""
    locked = type(obj).all_objects.select_for_update().get(pk=obj.pk)
    if locked.deleted_at is not None:
        return locked
    locked.deleted_at = timezone.now()
    locked.deleted_by_id = _user_id(user)
    # save() sends post_save like any edit: the tile cache and heatmap store purge as usual.
    locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    if isinstance(locked, Mission):
        mission_stops_hold(mission=locked)  # a deleted mission frees its jobs
    audit_record(
        obj=locked, action=AuditAction.DELETE, changes={"deleted_at": [None, locked.deleted_at.isoformat()]}
    )
    return locked


@transaction.atomic
def restore(*, obj: SoftDeletable) -> SoftDeletable:
    """Bring a soft-deleted row back as it was."""
    locked = type(obj).all_objects.select_for_update().get(pk=obj.pk)
    if locked.deleted_at is None:
        return locked
    before = locked.deleted_at.isoformat()
    locked.deleted_at = None
    locked.deleted_by = None
    locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    if isinstance(locked, Mission):
        mission_stops_hold(mission=locked)  # books again what no other mission took meanwhile
    audit_record(obj=locked, action=AuditAction.RESTORE, changes={"deleted_at": [before, None]})
    return locked


def intervention_delete(*, intervention: Intervention, user: User | None = None) -> Intervention:
    return soft_delete(obj=intervention, user=user)


def intervention_restore(*, intervention: Intervention) -> Intervention:
    return restore(obj=intervention)


def mission_delete(*, mission: Mission, user: User | None = None) -> Mission:
    return soft_delete(obj=mission, user=user)


def mission_restore(*, mission: Mission) -> Mission:
    return restore(obj=mission)


@transaction.atomic
def purge_deleted(*, older_than: dt.timedelta, dry_run: bool = False) -> dict[str, int]:
    """Remove for good the interventions and missions deleted more than `older_than` ago.

    Each removed row leaves a "purge" event with its last values. Missions go first: their
    interventions then lose only the (already deleted) mission link.
    """
    cutoff = timezone.now() - older_than
    counts: dict[str, int] = {}
    for model in (Mission, Intervention):
        rows = list(model.all_objects.filter(deleted_at__lt=cutoff).order_by("pk"))
        counts[model._meta.model_name or model.__name__] = len(rows)
        if dry_run:
            continue
        for row in rows:
            audit_record(
                obj=row, action=AuditAction.PURGE, changes={k: [v, None] for k, v in snapshot(row).items()}
            )
        model.all_objects.filter(pk__in=[r.pk for r in rows]).delete()
    return counts
