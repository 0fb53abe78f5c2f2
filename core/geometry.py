"""Reprojection of geometries built in Python, with the transformation built once per thread.

`geom.transform(2154)` with an SRID makes GDAL look both systems up in PROJ's database and
build a new transformation on every call: ~3.5 ms of CPU, twice per report sent from the field
(its position, then its distance check), a quarter of that request's time under the mixed
load (benchmarks/load.py). A `CoordTransform` kept per (source, target) pair costs that once
per thread (core/per_thread.py); a transform with it is a few microseconds.

Coordinates the target system cannot express (a pole in Lambert-93: PROJ answers "Point
outside of projection domain") are bad input, not a server fault: `NotProjectable`, a Django
`ValidationError`, so a form or the API answers it as one (core/api/errors.py). Callers that
know which field the coordinates came from name it.
"""

from typing import TypeVar, cast

from django.contrib.gis.gdal import CoordTransform, GDALException, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .per_thread import per_thread

G = TypeVar("G", bound=GEOSGeometry)

MAX_PAIRS = 32


class NotProjectable(ValidationError):
    """A geometry GDAL cannot move into the target system (its message says which)."""

    def __init__(self, source: int, target: int) -> None:
        super().__init__(
            _(
                "These coordinates cannot be placed in EPSG:%(target)s (given in EPSG:%(source)s): "
                "send longitude, latitude in degrees of a place near the community."
            ),
            code="not_projectable",
            params={"source": source, "target": target},
        )

    @property
    def text(self) -> str:
        """The message, its parameters filled in (for a caller that names the field)."""
        return self.messages[0]


def coord_transform(source: int, target: int) -> CoordTransform:
    """The GDAL transformation between two EPSG codes, built once per thread."""
    # Bounded: `bbox-crs` lets a client choose SRIDs.
    return per_thread(
        "transforms",
        (source, target),
        lambda: CoordTransform(SpatialReference(source), SpatialReference(target)),
        limit=MAX_PAIRS,
    )


def transformed(geom: G, srid: int) -> G:
    """A copy of `geom` in `srid` (the geometry itself is left as it is)."""
    if geom.srid is None or geom.srid < 0:
        raise GEOSException("Calling transform() with no SRID set is not supported")
    if geom.srid == srid:
        return geom.clone()
    transform = coord_transform(geom.srid, srid)  # an unknown SRID stays GDAL's own error
    try:
        out = geom.transform(transform, clone=True)
    except GDALException as exc:
        raise NotProjectable(geom.srid, srid) from exc
    assert out is not None  # noqa: S101 — clone=True returns the copy
    out.srid = srid  # a CoordTransform leaves the copy's SRID to GDAL's guess
    return cast(G, out)


def transform_in_place(geom: GEOSGeometry, srid: int) -> None:
    """`geom` itself moved to `srid`, as `geom.transform(srid)` does."""
    if geom.srid == srid:
        return
    if geom.srid is None or geom.srid < 0:
        raise GEOSException("Calling transform() with no SRID set is not supported")
    transform = coord_transform(geom.srid, srid)
    try:
        geom.transform(transform)
    except GDALException as exc:
        raise NotProjectable(geom.srid, srid) from exc
    geom.srid = srid
