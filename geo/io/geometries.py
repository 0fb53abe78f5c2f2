"""Geometries as the readers hand them over (geo/io/readers.py): the ones GEOS refuses set
aside with their reason, GeometryCollections of one geometry type as the Multi* they are."""

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from django.utils.translation import gettext as _

from .errors import Note


def read_salvaging(
    gdal_path: str, layer: str | None, max_features: int | None, encoding: str | None
) -> tuple[gpd.GeoDataFrame, dict[int, Note]]:
    """The layer when GEOS refuses some of its geometries (a line of one point, an unclosed
    ring: GDAL hands them over, shapely cannot build them, and pyogrio then fails the whole
    layer): the others as usual, each refused one None with its reason, as a row problem."""
    options = {"layer": layer, "max_features": max_features, "encoding": encoding}
    attributes = pyogrio.read_dataframe(gdal_path, read_geometry=False, **options)
    meta, _fids, wkb, _fields = pyogrio.raw.read(gdal_path, columns=[], force_2d=True, **options)
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    problems: dict[int, Note] = {}
    for i in np.flatnonzero(shapely.is_missing(geoms) & np.array([w is not None for w in wkb], dtype=bool)):
        try:
            shapely.from_wkb(wkb[i])
            reason = "?"
        except shapely.errors.GEOSException as exc:
            reason = str(exc)[:200]
        problems[int(i)] = Note(
            f"unreadable geometry ({reason})", _("unreadable geometry (%(reason)s)") % {"reason": reason}
        )
    return gpd.GeoDataFrame(attributes, geometry=geoms, crs=meta["crs"]), problems


def off_globe(bounds: np.ndarray) -> np.ndarray:
    """Per geometry of `shapely.bounds(...)`: some coordinate is beyond ±180° of longitude or
    ±90° of latitude (a missing or empty geometry, NaN bounds, never is)."""
    with np.errstate(invalid="ignore"):
        return (bounds[:, 0] < -180) | (bounds[:, 2] > 180) | (bounds[:, 1] < -90) | (bounds[:, 3] > 90)


MULTI = {0: shapely.multipoints, 1: shapely.multilinestrings, 3: shapely.multipolygons}  # by GEOS type id


def collections_unwrapped(frame: gpd.GeoDataFrame, notes: list[Note]) -> gpd.GeoDataFrame:
    """Each GeometryCollection of polygons only (lines only, points only) as the Multi* it is:
    overlays and "collect" tools write districts that way. Mixed ones stay (refused later)."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    unwrapped = 0
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):
        parts = shapely.get_parts(geoms[i])
        while len(parts) and np.isin(shapely.get_type_id(parts), (4, 5, 6, 7)).any():
            parts = shapely.get_parts(parts)  # nested collections and multi-parts, flattened
        kinds = {1 if k == 2 else k for k in shapely.get_type_id(parts).tolist()}  # a LinearRing is a line
        if len(kinds) == 1 and kinds <= MULTI.keys():
            geoms[i], unwrapped = MULTI[kinds.pop()](parts), unwrapped + 1
    if not unwrapped:
        return frame
    notes.append(
        Note(
            f"{unwrapped} GeometryCollection(s) of one geometry type read as Multi geometries",
            _("%(n)s geometry collections of one geometry type were read as multi-geometries.")
            % {"n": unwrapped},
        )
    )
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
