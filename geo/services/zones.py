"""Zones (districts, sectors): written by community admins."""

from collections.abc import Mapping
from typing import Any

from django.contrib.gis.geos import MultiPolygon
from django.db import transaction

from accounts.models import Community
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
    return zone


@transaction.atomic
def zone_update(*, zone: Zone, data: Mapping[str, Any]) -> Zone:
    """Change the given fields of `zone` (names as on the model; others are refused)."""
    unknown = set(data) - ZONE_FIELDS
    if unknown:
        raise ValueError(f"zone_update cannot change {', '.join(sorted(unknown))}")
    if "geom" in data:
        ensure_within_territory(community=zone.community, geom=data["geom"])
    for name, value in data.items():
        setattr(zone, name, value)
    save_checked(zone)
    return zone


@transaction.atomic
def zone_delete(*, zone: Zone) -> None:
    zone.delete()
