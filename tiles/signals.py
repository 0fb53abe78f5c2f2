"""Purge the cached tiles a write touches: the old and the new geometry, after commit.

Signals catch every ORM save/delete wherever it comes from (services, admin, API). Bulk
writes (QuerySet.update, bulk_create, raw SQL imports) send no signals: their services call
tiles.caching.tiles_invalidate_bbox / tiles_invalidate_community themselves.
"""

from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from accounts.models import Community
from geo.models import Asset, StreetSegment, Zone
from interventions.models import Intervention, Mission, Report

from .caching import tiles_invalidate_bbox, tiles_invalidate_community

# model -> (geometry field, the layers its rows appear in)
MAPPED: dict[type[models.Model], tuple[str, list[str]]] = {
    Asset: ("geom", ["assets", "basemap"]),
    Report: ("geom", ["reports"]),
    Intervention: ("geom", ["interventions"]),
    Mission: ("zone", ["missions"]),
    Zone: ("geom", ["zones", "basemap"]),
    StreetSegment: ("geom", ["streets", "basemap"]),
}
Extent = tuple[float, float, float, float]


def extent_3857(geom: GEOSGeometry | None, srid: int) -> Extent | None:
    """The bbox of a geometry in EPSG:3857 (metres)."""
    if geom is None or geom.empty:
        return None
    if geom.srid is None:
        geom = GEOSGeometry(geom.wkb, srid=srid)
    if geom.srid != 3857:
        geom = geom.transform(3857, clone=True)
    return geom.extent


def _field_srid(sender: type[models.Model], field: str) -> int:
    return sender._meta.get_field(field).srid  # type: ignore[union-attr]


def remember_old_extent(sender: type[models.Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    field, _layers = MAPPED[sender]
    instance._tiles_old_extent = None
    if raw or instance.pk is None or instance._state.adding:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and field not in update_fields:
        return  # the geometry stays: the new extent covers the same tiles
    old = sender._base_manager.filter(pk=instance.pk).values_list(field, flat=True).first()
    instance._tiles_old_extent = extent_3857(old, _field_srid(sender, field))


def purge_after_save(sender: type[models.Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    field, layers = MAPPED[sender]
    new = extent_3857(getattr(instance, field), _field_srid(sender, field))
    old = getattr(instance, "_tiles_old_extent", None)
    bboxes = [b for b in (new, old) if b is not None]
    if old is not None and old == new:
        bboxes = [new]  # type: ignore[list-item]
    if bboxes:
        tiles_invalidate_bbox(community_id=instance.community_id, layers=layers, bboxes=bboxes)


def purge_after_delete(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    field, layers = MAPPED[sender]
    old = extent_3857(getattr(instance, field), _field_srid(sender, field))
    if old is not None:
        tiles_invalidate_bbox(community_id=instance.community_id, layers=layers, bboxes=[old])


def purge_community_basemap(
    sender: type[Community], instance: Community, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        tiles_invalidate_community(community_id=instance.pk, layers=["basemap"])


def connect() -> None:
    for model in MAPPED:
        uid = f"tiles-{model._meta.label_lower}"
        pre_save.connect(remember_old_extent, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(purge_after_save, sender=model, dispatch_uid=f"{uid}-post")
        post_delete.connect(purge_after_delete, sender=model, dispatch_uid=f"{uid}-delete")
    post_save.connect(purge_community_basemap, sender=Community, dispatch_uid="tiles-community")
