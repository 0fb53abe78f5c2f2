"""Leg geometry on the street network, in travel order."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, LineString

from core.sql import run_sql

from . import routing_sql


@dataclass(frozen=True)
class Leg:
    distance_m: float
    geom: LineString | None  # storage SRID; None for a zero-length leg


def route_legs(*, pids: list[int]) -> list[Leg]:
    """Legs between consecutive routing points `pids` (1-based): len(pids) - 1 legs."""
    legs = [Leg(0.0, None) for _ in range(max(len(pids) - 1, 0))]
    if len(pids) < 2:
        return legs
    for path_id, metres, wkb in run_sql(routing_sql("routing_legs.sql"), {"via": [-p for p in pids]}):
        line = None
        if wkb is not None:
            geom = GEOSGeometry(memoryview(bytes(wkb)), srid=settings.RONDE_SRID)
            line = geom if isinstance(geom, LineString) else None
        legs[int(path_id) - 1] = Leg(float(metres), line)
    return legs
