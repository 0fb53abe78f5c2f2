"""Reprojection of geometries built in Python, with the transformation built once per thread.

`geom.transform(2154)` with an SRID makes GDAL look both systems up in PROJ's database and
build a new transformation on every call: ~3.5 ms of CPU, twice per report sent from the field
(its position, then its distance check), a quarter of that request's time under the mixed
load (benchmarks/load.py). A `CoordTransform` kept per (source, target) pair costs that once
per thread; a transform with it is a few microseconds. Per thread: PROJ objects are not
thread-safe, and gunicorn's gthread workers serve several requests at once.
"""

import threading
from typing import TypeVar, cast

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry

G = TypeVar("G", bound=GEOSGeometry)

_per_thread = threading.local()
MAX_PAIRS = 32


def coord_transform(source: int, target: int) -> CoordTransform:
    """The GDAL transformation between two EPSG codes, built once per thread."""
    cache: dict[tuple[int, int], CoordTransform] | None = getattr(_per_thread, "transforms", None)
    if cache is None:
        cache = _per_thread.transforms = {}
    key = (source, target)
    found = cache.get(key)
    if found is None:
        if len(cache) >= MAX_PAIRS:  # SRIDs a client chose (bbox-crs): keep the cache bounded
            cache.clear()
        found = cache[key] = CoordTransform(SpatialReference(source), SpatialReference(target))
    return found


def transformed(geom: G, srid: int) -> G:
    """A copy of `geom` in `srid` (the geometry itself is left as it is)."""
    if geom.srid is None or geom.srid < 0:
        raise GEOSException("Calling transform() with no SRID set is not supported")
    if geom.srid == srid:
        return geom.clone()
    out = geom.transform(coord_transform(geom.srid, srid), clone=True)
    assert out is not None  # noqa: S101 — clone=True returns the copy
    out.srid = srid  # a CoordTransform leaves the copy's SRID to GDAL's guess
    return cast(G, out)


def transform_in_place(geom: GEOSGeometry, srid: int) -> None:
    """`geom` itself moved to `srid`, as `geom.transform(srid)` does."""
    if geom.srid == srid:
        return
    if geom.srid is None or geom.srid < 0:
        raise GEOSException("Calling transform() with no SRID set is not supported")
    geom.transform(coord_transform(geom.srid, srid))
    geom.srid = srid
