"""Which writes purge which cached tiles.

Rows of the mapped models are purged by database triggers (tiles/triggers.py), so every
writer is covered: the ORM, bulk updates, COPY imports, raw SQL. This module declares the
mapping they are built from, and purges a community's base map when its territory changes.
"""

from typing import Any

from django.db import models
from django.db.models.signals import post_save

from accounts.models import Community
from geo.models import Asset, StreetSegment, Zone
from interventions.models import Intervention, Mission, Report

from .caching import tiles_invalidate_community

# model -> (geometry field, the layers its rows appear in)
MAPPED: dict[type[models.Model], tuple[str, list[str]]] = {
    Asset: ("geom", ["assets", "basemap"]),
    Report: ("geom", ["reports"]),
    Intervention: ("geom", ["interventions"]),
    Mission: ("zone", ["missions"]),
    Zone: ("geom", ["zones", "basemap"]),
    StreetSegment: ("geom", ["streets", "basemap"]),
}


def purge_community_basemap(
    sender: type[Community], instance: Community, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        tiles_invalidate_community(community_id=instance.pk, layers=["basemap"])


def connect() -> None:
    post_save.connect(purge_community_basemap, sender=Community, dispatch_uid="tiles-community")
