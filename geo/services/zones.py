"""Zones (districts, sectors): written by community admins."""

from collections.abc import Mapping
from typing import Any

from django.contrib.gis.geos import MultiPolygon
from django.db import transaction

from accounts.models import Community
from audit.models import AuditAction
from audit.services import audit_record, diff, snapshot
from geo.models import Zone, ZoneKind

from .validation import ensure_within_territory, save_checked

ZONE_FIELDS = {"name", "kind", "external_id", "attributes", "geom"}


@transaction.atomic
def zone_create(
    *,
    community: Community,
    name: str,
    geom: MultiPolygon,
    kind: str = ZoneKind.DISTRICT,
    external_id: str = "",
    attributes: dict[str, Any] | None = None,
) -> Zone:
    ensure_within_territory(community=community, geom=geom)
    zone = Zone(
        community=community,
        name=name,
        geom=geom,
        kind=kind,
        external_id=external_id,
        attributes=attributes or {},
    )
    save_checked(zone)
    audit_record(obj=zone, action=AuditAction.CREATE)
    return zone


@transaction.atomic
def zone_update(*, zone: Zone, data: Mapping[str, Any]) -> Zone:
    """Change the given fields of `zone` (names as on the model; others are refused)."""
    unknown = set(data) - ZONE_FIELDS
    if unknown:
        raise ValueError(f"zone_update cannot change {', '.join(sorted(unknown))}")
    if "geom" in data:
        ensure_within_territory(community=zone.community, geom=data["geom"])
    before = snapshot(zone)
    for name, value in data.items():
        setattr(zone, name, value)
    save_checked(zone)
    audit_record(obj=zone, action=AuditAction.UPDATE, changes=diff(before, snapshot(zone)))
    return zone


@transaction.atomic
def zone_delete(*, zone: Zone) -> None:
    """Delete a zone. Nothing refers to a zone by key (mission templates and dashboards keep
    their own copy of the shape or filter by it at read time), so a zone is always unused."""
    audit_record(obj=zone, action=AuditAction.DELETE, changes={"name": [zone.name, None]})
    zone.delete()
