"""The asset registry (patrimoine): written by community admins."""

from collections.abc import Mapping
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction

from accounts.models import Community
from geo.models import Asset, AssetCategory

from .asset_categories import ensure_category_active
from .validation import ensure_same_community, ensure_within_territory, save_checked

ASSET_FIELDS = {"category", "name", "external_id", "support", "attributes", "geom"}


@transaction.atomic
def asset_create(
    *,
    community: Community,
    category: AssetCategory,
    geom: GEOSGeometry,
    name: str = "",
    external_id: str = "",
    support: str = "",
    attributes: dict[str, Any] | None = None,
) -> Asset:
    ensure_same_community(community=community, field="category", obj=category)
    ensure_category_active(category=category)
    ensure_within_territory(community=community, geom=geom)
    asset = Asset(
        community=community,
        category=category,
        geom=geom,
        name=name,
        external_id=external_id,
        support=support,
        attributes=attributes or {},
    )
    save_checked(asset)
    return asset


@transaction.atomic
def asset_update(*, asset: Asset, data: Mapping[str, Any]) -> Asset:
    """Change the given fields of `asset` (names as on the model; others are refused)."""
    unknown = set(data) - ASSET_FIELDS
    if unknown:
        raise ValueError(f"asset_update cannot change {', '.join(sorted(unknown))}")
    if "category" in data:
        ensure_same_community(community=asset.community, field="category", obj=data["category"])
        if data["category"].pk != asset.category_id:  # its own category, even inactive, stays
            ensure_category_active(category=data["category"])
    if "geom" in data:
        ensure_within_territory(community=asset.community, geom=data["geom"])
    for name, value in data.items():
        setattr(asset, name, value)
    save_checked(asset)
    return asset


@transaction.atomic
def asset_delete(*, asset: Asset) -> None:
    # Reports and interventions keep their position; their `asset` becomes null.
    asset.delete()
