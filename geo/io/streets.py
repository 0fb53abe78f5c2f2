"""Street networks for routing: OpenStreetMap extracts (.osm.pbf / .osm XML, via pyosmium) or
any line layer (Shapefile, GeoPackage, GeoJSON) in any CRS.

Each way becomes segments split at intersections: at OSM nodes shared by several ways (a
bridge over a street shares no node, so it is not split), and for line layers at vertices
shared by several lines (coordinates equal to 1 cm in the storage SRID). Walk/drive flags and
one-way come from OSM tags (or the layer's highway/oneway columns).
"""

from collections import Counter
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import shapely
from django.conf import settings
from pyproj import Transformer

from .errors import ImportFileError
from .mapping import clean_text
from .readers import read_source

WALK_ONLY = {"footway", "pedestrian", "steps", "path", "cycleway", "bridleway", "corridor"}
DRIVE_ONLY = {"motorway", "motorway_link", "trunk", "trunk_link"}
NOT_STREETS = {
    "proposed", "construction", "abandoned", "disused", "razed", "platform", "raceway", "bus_stop",
    "elevator", "rest_area", "services", "escape", "emergency_bay", "busway", "bus_guideway", "via_ferrata",
}  # fmt: skip
YES = {"yes", "true", "1", "designated", "permissive", "destination"}
NO = {"no", "private"}


@dataclass
class Way:
    ref: str  # external id base: "osm:way/123" or "<file>:<index>"
    name: str
    highway: str
    tags: dict[str, str]
    keys: list[Hashable]  # one per vertex: OSM node id, or the vertex rounded to 1 cm
    coords: np.ndarray  # (n, 2) storage SRID, metres


@dataclass
class Segment:
    external_id: str
    name: str
    highway: str
    kind: str  # walk | drive | both
    oneway: bool
    coords: np.ndarray


def classify(tags: dict[str, str]) -> tuple[str | None, bool, bool]:
    """(kind or None to skip, oneway for vehicles, reversed) from OSM-style tags."""
    highway = tags.get("highway", "")
    if not highway or highway in NOT_STREETS or tags.get("area") == "yes":
        return None, False, False
    walk = highway not in DRIVE_ONLY
    drive = highway not in WALK_ONLY
    access = tags.get("access", "")
    foot = tags.get("foot", "")
    vehicle = tags.get("motor_vehicle") or tags.get("motorcar") or tags.get("vehicle") or ""
    if foot in NO or (access in NO and foot not in YES):
        walk = walk and foot in YES
    if vehicle in NO or (access in NO and vehicle not in YES):
        drive = drive and vehicle in YES
    if foot in YES:
        walk = True
    if not walk and not drive:
        return None, False, False
    kind = "both" if walk and drive else "walk" if walk else "drive"
    oneway_tag = tags.get("oneway", "").lower()
    reverse = oneway_tag in ("-1", "reverse", "t")  # Geofabrik shapefiles: T = against digitising
    oneway = drive and (
        oneway_tag in ("yes", "true", "1", "f", "-1", "reverse", "t")
        or (
            oneway_tag not in ("no", "false", "0", "b")
            and (
                tags.get("junction") in ("roundabout", "circular") or highway in ("motorway", "motorway_link")
            )
        )
    )
    return kind, oneway, reverse and oneway


def split_ways(ways: list[Way]) -> Iterator[Segment]:
    """Cut each way at vertices it shares with another way (or with itself: loops)."""
    uses: Counter = Counter()
    for way in ways:
        uses.update(way.keys)
    for way in ways:
        kind, oneway, reverse = classify({**way.tags, "highway": way.highway})
        if kind is None:
            continue
        start, part = 0, 0
        last = len(way.keys) - 1
        for i in range(1, last + 1):
            if i == last or uses[way.keys[i]] > 1:
                coords = way.coords[start : i + 1]
                start = i
                # Drop repeated vertices; a segment needs two distinct points.
                keep = np.concatenate([[True], np.any(np.diff(coords, axis=0) != 0, axis=1)])
                coords = coords[keep]
                if len(coords) < 2:
                    continue
                if reverse:
                    coords = coords[::-1]
                yield Segment(f"{way.ref}:{part}", way.name[:200], way.highway[:32], kind, oneway, coords)
                part += 1


def _valid_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of at least two consecutive True values."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], valid.astype(np.int8), [0]])))
    return [(int(lo), int(hi)) for lo, hi in zip(edges[::2], edges[1::2], strict=True) if hi - lo >= 2]


def read_osm_ways(path: Path) -> tuple[list[Way], int]:
    """Highway ways of an OSM file with node locations, in the storage SRID; (ways, clipped).

    An extract cut by a bounding box keeps ways whose nodes outside it are missing: such a
    way is clipped to its runs of located nodes (each run its own way, "osm:way/ID.k"), and a
    way with no run of two located nodes is dropped. `clipped` counts the ways concerned.
    """
    to_storage = Transformer.from_crs(4326, settings.RONDE_SRID, always_xy=True)
    ways: list[Way] = []
    clipped = 0
    try:
        # Node locations are kept in C++; only highway ways come up to Python (a city's
        # hundreds of thousands of nodes would cost seconds as Python objects).
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in processor:
            if not isinstance(obj, osmium.osm.Way):  # the filters pass ways only
                continue
            refs: list[Hashable] = []
            points = []
            for n in obj.nodes:
                refs.append(n.ref)
                location = n.location
                # A node not in the file (an extract's edge) has no location: NaN marks it.
                points.append((location.lon, location.lat) if location.valid() else (np.nan, np.nan))
            if len(refs) < 2:
                continue
            lonlat = np.array(points, dtype=np.float64)
            valid = ~np.isnan(lonlat[:, 0])
            runs = [(0, len(refs))] if valid.all() else _valid_runs(valid)
            if len(runs) != 1 or runs[0] != (0, len(refs)):
                clipped += 1
            tags = {t.k: t.v for t in obj.tags}
            for k, (lo, hi) in enumerate(runs):
                ref = f"osm:way/{obj.id}" if (lo, hi) == (0, len(refs)) else f"osm:way/{obj.id}.{k}"
                ways.append(Way(ref, tags.get("name", ""), tags["highway"], tags, refs[lo:hi], lonlat[lo:hi]))
    except RuntimeError as exc:  # libosmium reports unreadable/corrupt files this way
        raise ImportFileError(path.name, f"cannot read the OpenStreetMap file ({exc})") from exc
    if ways:  # one transformation for every vertex: per way, PROJ's call overhead dominates
        lonlat = np.concatenate([way.coords for way in ways])
        x, y = to_storage.transform(lonlat[:, 0], lonlat[:, 1])
        ends = np.cumsum([len(way.coords) for way in ways])[:-1]
        for way, coords in zip(ways, np.split(np.column_stack([x, y]), ends), strict=True):
            way.coords = coords
    return ways, clipped


def _column(frame: Any, *names: str) -> str | None:
    lowered = {str(c).lower(): c for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


SENS = {"sens direct": "yes", "sens inverse": "-1", "double sens": "no"}  # BD TOPO « sens »


def read_line_layer(path: Path, *, layer: str | None, srid: int | None) -> list[Way]:
    """Lines of any layer, transformed to the storage SRID; tags from its columns."""
    source = read_source(path, layer=layer, srid=srid)
    frame = source.frame.to_crs(settings.RONDE_SRID).explode(index_parts=False).reset_index()
    kinds = set(frame.geometry.geom_type.dropna())
    if not kinds <= {"LineString", "LinearRing"}:
        raise ImportFileError(
            path.name, f"a street network needs lines, the layer has {', '.join(sorted(kinds))}"
        )
    highway_col = _column(frame, "highway", "fclass", "type", "class", "nature")
    name_col = _column(frame, "name", "nom", "nom_voie", "nom_1_gauche")
    oneway_col = _column(frame, "oneway", "sens")
    ways = []
    for i, geom in enumerate(frame.geometry.values):
        if geom is None or geom.is_empty:
            continue
        coords = shapely.get_coordinates(geom)
        tags = {}
        if oneway_col:
            value = clean_text(frame[oneway_col].iat[i]).lower()
            tags["oneway"] = SENS.get(value, value)
        highway = (clean_text(frame[highway_col].iat[i]).lower() if highway_col else "") or "road"
        keys: list[Hashable] = [tuple(v) for v in np.round(coords * 100).astype(np.int64).tolist()]
        name = clean_text(frame[name_col].iat[i]) if name_col else ""
        ways.append(Way(f"{path.stem}:{frame['index'].iat[i]}", name, highway, tags, keys, coords))
    return ways


def read_streets(
    path: str | Path, *, layer: str | None = None, srid: int | None = None
) -> tuple[list[Way], int]:
    path = Path(path)
    if not path.exists():
        raise ImportFileError(path.name, "file not found")
    if path.name.lower().endswith((".osm", ".pbf", ".osm.bz2", ".osm.gz", ".o5m")):
        return read_osm_ways(path)
    return read_line_layer(path, layer=layer, srid=srid), 0
