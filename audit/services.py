"""Writing the audit trail. Services call `audit_record` inside their own transaction, so an
event exists exactly when the change was committed."""

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import GEOSGeometry
from django.db import models

from .context import current_actor
from .models import AuditAction, AuditEvent

# Fields never worth a line in the history: bookkeeping, derived or bulky.
SKIPPED_FIELDS = frozenset({"id", "created_at", "updated_at", "geom_3857", "routing_cache"})
# A geometry longer than this (EWKT characters) is recorded by its size only.
MAX_GEOMETRY_TEXT = 400


def jsonable(value: Any) -> Any:
    """A value as the history shows it (and JSON can store)."""
    if isinstance(value, GEOSGeometry):
        text = value.ewkt
        return text if len(text) <= MAX_GEOMETRY_TEXT else f"{value.geom_type} ({value.num_coords} points)"
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of `obj` (foreign keys as ids), ready for `diff`."""
    wanted = set(fields) if fields is not None else None
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SKIPPED_FIELDS or (wanted is not None and field.name not in wanted):
            continue
        values[field.name] = jsonable(field.value_from_object(obj))
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if name in before and before[name] != value
    }


def _repr(obj: models.Model) -> str:
    # No str(obj): it may follow foreign keys (one query per event in bulk changes).
    name = getattr(obj, "name", "") or ""
    return f"{obj._meta.verbose_name_raw} #{obj.pk}{f' {name}' if name else ''}"[:200]


def audit_record(
    *,
    obj: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    client_uuid: uuid.UUID | None = None,
    username: str | None = None,
    community_id: int | None = None,
    label: str | None = None,
) -> AuditEvent | None:
    """Add one event about `obj` (which has a `community_id`); the actor comes from the context
    (`username` names a caller without a user account, e.g. an Open311 partner app).

    An object that belongs to no one community (a user, the community itself) names the
    community the change was made in with `community_id`; `label` replaces its "#id name" text.

    An update that changed nothing records nothing (returns None).
    """
    if action == AuditAction.UPDATE and not changes:
        return None
    if action == AuditAction.CREATE and changes is None:
        changes = {name: [None, value] for name, value in snapshot(obj).items() if value not in (None, "")}
    actor = current_actor()
    return AuditEvent.objects.create(
        community_id=community_id if community_id is not None else obj.community_id,  # type: ignore[attr-defined]
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=obj.pk,
        object_repr=(label or _repr(obj))[:200],
        action=action,
        changes=changes or {},
        user_id=actor.user_id,
        username=username or actor.username,
        source=actor.source,
        user_agent=actor.user_agent,
        client_uuid=client_uuid or actor.client_uuid or getattr(obj, "client_uuid", None),
    )


def audit_many(*, objs: Iterable[models.Model], action: str, changes_for: dict[int, dict[str, Any]]) -> int:
    """One event per object of a bulk change (bulk_update/update do not go through save())."""
    actor = current_actor()
    events = []
    for obj in objs:
        changes = changes_for.get(obj.pk) or {}
        if action == AuditAction.UPDATE and not changes:
            continue
        events.append(
            AuditEvent(
                community_id=obj.community_id,  # type: ignore[attr-defined]
                content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
                object_id=obj.pk,
                object_repr=_repr(obj),
                action=action,
                changes=changes,
                user_id=actor.user_id,
                username=actor.username,
                source=actor.source,
                user_agent=actor.user_agent,
                client_uuid=actor.client_uuid or getattr(obj, "client_uuid", None),
            )
        )
    AuditEvent.objects.bulk_create(events)
    return len(events)
