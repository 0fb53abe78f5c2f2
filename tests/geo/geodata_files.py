"""Small geodata files written by the tests themselves, around Poitiers (see tests/factories)."""

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from pyproj import Transformer
from shapely.geometry import Point, Polygon

from tests.factories import POITIERS

TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)
TO_3857 = Transformer.from_crs(2154, 3857, always_xy=True)


def l93(dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    """A point dx, dy metres from Poitiers centre, Lambert-93."""
    return POITIERS[0] + dx, POITIERS[1] + dy


def lonlat(dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    """The WGS84 twin of l93(dx, dy)."""
    x, y = TO_WGS84.transform(*l93(dx, dy))
    return float(x), float(y)


# 20 km east: outside the 10 km square territory of the test community.
FAR = (20_000.0, 0.0)


def feature(geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def point(dx: float = 0.0, dy: float = 0.0) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(lonlat(dx, dy))}


def write_geojson(path: Path, features: list[dict[str, Any]], **extra: Any) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", **extra, "features": features}), encoding="utf-8"
    )
    return path


def write_layer(path: Path, records: list[dict[str, Any]], geoms: list, crs: int, **kwargs: Any) -> Path:
    """Write records + geometries with pyogrio (GPKG, Shapefile, KML… chosen by suffix/driver)."""
    frame = gpd.GeoDataFrame(records, geometry=geoms, crs=f"EPSG:{crs}")
    pyogrio.write_dataframe(frame, path, **kwargs)
    return path


def l93_square(dx: float, dy: float, half: float) -> Polygon:
    x, y = l93(dx, dy)
    return Polygon([(x - half, y - half), (x + half, y - half), (x + half, y + half), (x - half, y + half)])


def l93_point(dx: float = 0.0, dy: float = 0.0) -> Point:
    return Point(*l93(dx, dy))
