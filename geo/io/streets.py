"""Street networks for routing: OpenStreetMap extracts (.osm.pbf / .osm XML, via pyosmium) or
any line layer (Shapefile, GeoPackage, GeoJSON) in any CRS.

Each way becomes segments split at intersections: at OSM nodes shared by several ways (a
bridge over a street shares no node, so it is not split), and for line layers at vertices
shared by several lines (coordinates equal to 1 cm in the storage SRID). Walk/drive flags and
one-way come from OSM tags (or the layer's highway/oneway columns, or BD TOPO's nature, sens
and access columns).
"""

from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
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
from .osm_nodes import LonLatBox, WindowNodes, sorted_locations
from .readers import read_source

WALK_ONLY = {"footway", "pedestrian", "steps", "path", "cycleway", "bridleway", "corridor"}
DRIVE_ONLY = {"motorway", "motorway_link", "trunk", "trunk_link"}
NOT_STREETS = {
    "proposed", "construction", "abandoned", "disused", "razed", "platform", "raceway", "bus_stop",
    "elevator", "rest_area", "services", "escape", "emergency_bay", "busway", "bus_guideway", "via_ferrata",
    "ferry",
}  # fmt: skip
YES = {"yes", "true", "1", "designated", "permissive", "destination"}
NO = {"no", "private"}


@dataclass
class Way:
    ref: str  # external id base: "osm:way/123" or "<file>:<index>"
    name: str
    highway: str
    tags: dict[str, str]
    keys: Sequence[Hashable]  # one per vertex: OSM node id, or the vertex rounded to 1 cm
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


@dataclass
class StreetRead:
    """The ways of a street file as read, and the counts for the import's summary."""

    ways: list[Way]
    read: int = 0  # highway ways (lines of a layer) in the file
    outside: int = 0  # ways with no node in the reading window: skipped while reading
    clipped: int = 0  # ways with nodes missing from the file, clipped to their located runs
    no_geometry: int = 0  # features of a line layer with a null, empty or unreadable geometry


class _HighwayWays(osmium.SimpleHandler):
    """Pass 2: (id, tags, node ids) of the highway ways with a node in `inside`."""

    def __init__(self, inside: frozenset[int], read: StreetRead) -> None:
        super().__init__()
        self.inside, self.read = inside, read
        self.kept: list[tuple[int, dict[str, str], list[int]]] = []

    def way(self, way: Any) -> None:
        self.read.read += 1
        refs = [n.ref for n in way.nodes]
        if len(refs) < 2:
            return
        if self.inside.isdisjoint(refs):
            self.read.outside += 1
            return
        self.kept.append((way.id, {t.k: t.v for t in way.tags}, refs))


def read_osm_ways(path: Path, *, window: LonLatBox | None = None) -> StreetRead:
    """Highway ways of an OSM file with node locations, in the storage SRID.

    Streams the file twice and keeps in memory only what the window needs: (1) the nodes
    inside `window` (WGS84; None: every node; the others go to temporary files, see
    geo.io.osm_nodes), (2) the highway ways with at least one of them (the others are counted
    as outside and dropped at once); then the nodes of the kept ways beyond the window are
    looked up in the temporary files, so a way crossing the window's edge keeps its real
    geometry.

    An extract cut by a bounding box keeps ways whose nodes outside it are missing: such a
    way is clipped to its runs of located nodes (each run its own way, "osm:way/ID.k"), and a
    way with no run of two located nodes is dropped. `clipped` counts the ways concerned.
    """
    result = StreetRead(ways=[])
    with WindowNodes(window) as nodes:
        try:
            nodes.apply_file(str(path))
            inside = frozenset(nodes.inside()[0].tolist())
            highways = _HighwayWays(inside, result)
            # libosmium drops the other ways before Python sees them.
            highways.apply_file(str(path), filters=[osmium.filter.KeyFilter("highway")])
        except RuntimeError as exc:  # libosmium reports unreadable/corrupt files this way
            raise ImportFileError(path.name, f"cannot read the OpenStreetMap file ({exc})") from exc
        kept = highways.kept
        wanted = np.fromiter(
            {ref for _, _, refs in kept for ref in refs if ref not in inside}, dtype=np.int64
        )
        del inside
        node_ids, node_lonlat = sorted_locations(nodes.inside(), nodes.outside(wanted))
    if not kept:
        return result
    refs_all = np.fromiter((ref for _, _, refs in kept for ref in refs), dtype=np.int64)
    at = np.minimum(np.searchsorted(node_ids, refs_all), max(len(node_ids) - 1, 0))
    found = node_ids[at] == refs_all if len(node_ids) else np.zeros(len(refs_all), dtype=bool)
    # A node not in the file (an extract's edge) has no location: NaN marks it.
    lonlat = np.full((len(refs_all), 2), np.nan)
    lonlat[found] = node_lonlat[at[found]]
    # One transformation for every vertex: per way, PROJ's call overhead dominates.
    to_storage = Transformer.from_crs(4326, settings.RONDE_SRID, always_xy=True)
    x, y = to_storage.transform(lonlat[:, 0], lonlat[:, 1])
    coords_all = np.column_stack([x, y])
    start = 0
    for way_id, tags, refs in kept:
        end = start + len(refs)
        coords, valid = coords_all[start:end], found[start:end]
        start = end
        runs = [(0, len(refs))] if valid.all() else _valid_runs(valid)
        if len(runs) != 1 or runs[0] != (0, len(refs)):
            result.clipped += 1
        for k, (lo, hi) in enumerate(runs):
            ref = f"osm:way/{way_id}" if (lo, hi) == (0, len(refs)) else f"osm:way/{way_id}.{k}"
            result.ways.append(
                Way(ref, tags.get("name", ""), tags["highway"], tags, refs[lo:hi], coords[lo:hi])
            )
    return result


def _column(frame: Any, *names: str) -> str | None:
    lowered = {str(c).lower(): c for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


# IGN's BD TOPO (« troncon_de_route »), the French reference a GIS officer holds: its
# « nature » as the OSM highway it stands for (a stair is walked, a motorway driven, a ferry
# no street), its « sens » as OSM oneway, its « acces_vehicule_leger »/« acces_pieton » as
# OSM access. Column names: the GeoPackage's, then the Shapefile's (10 characters).
SENS = {"sens direct": "yes", "sens inverse": "-1", "double sens": "no"}
NATURE = {
    "type autoroutier": "motorway",
    "bretelle": "trunk_link",
    "route à 2 chaussées": "primary",
    "route à 1 chaussée": "road",
    "rond-point": "road",
    "route empierrée": "track",
    "chemin": "track",
    "sentier": "path",
    "escalier": "steps",
    "piste cyclable": "cycleway",
    "bac ou liaison maritime": "ferry",
}
BDTOPO_ACCESS = {"physiquement impossible": "no", "restreint aux ayants droit": "private"}
NAME_COLUMNS = (
    "name", "nom", "nom_voie", "nom_1_gauche", "nom_voie_ban_gauche", "nom_collaboratif_gauche",
    "nom_1_g", "nom_voie_b", "nom_coll_g", "nom_collab",
)  # fmt: skip
ONEWAY_COLUMNS = ("oneway", "sens", "sens_de_circulation", "sens_de_ci")
VEHICLE_COLUMNS = ("acces_vehicule_leger", "acces_vl", "acces_vehi")
FOOT_COLUMNS = ("acces_pieton", "acces_ped", "acces_piet")


def read_line_layer(path: Path, *, layer: str | None, srid: int | None) -> tuple[list[Way], int]:
    """(lines of any layer, transformed to the storage SRID, tags from its columns; the number
    of features skipped for having no usable geometry: null, empty or unreadable)."""
    source = read_source(path, layer=layer, srid=srid)
    geoms = source.frame.geometry.values
    no_geometry = int(np.count_nonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    frame = source.frame.to_crs(settings.RONDE_SRID).explode(index_parts=False).reset_index()
    kinds = set(frame.geometry.geom_type.dropna())
    if not kinds <= {"LineString", "LinearRing"}:
        other = frame.geometry.geom_type.isin(list(kinds - {"LineString", "LinearRing"}))
        first = int(frame["index"][other].iloc[0])
        raise ImportFileError(
            path.name,
            f"a street network needs lines, the layer has {', '.join(sorted(kinds))} "
            f"(first other is feature #{first})",
        )
    highway_col = _column(frame, "highway", "fclass", "type", "class", "nature")
    name_col = _column(frame, *NAME_COLUMNS)
    oneway_col = _column(frame, *ONEWAY_COLUMNS)
    access_cols = {"motor_vehicle": _column(frame, *VEHICLE_COLUMNS), "foot": _column(frame, *FOOT_COLUMNS)}
    ways = []
    for i, geom in enumerate(frame.geometry.values):
        if geom is None or geom.is_empty:
            continue
        coords = shapely.get_coordinates(geom)
        tags = {}
        if oneway_col:
            value = clean_text(frame[oneway_col].iat[i]).lower()
            tags["oneway"] = SENS.get(value, value)
        for tag, column in access_cols.items():
            access = BDTOPO_ACCESS.get(clean_text(frame[column].iat[i]).lower()) if column else None
            if access:
                tags[tag] = access
        highway = (clean_text(frame[highway_col].iat[i]).lower() if highway_col else "") or "road"
        highway = NATURE.get(highway, highway)
        keys: list[Hashable] = [tuple(v) for v in np.round(coords * 100).astype(np.int64).tolist()]
        name = clean_text(frame[name_col].iat[i]) if name_col else ""
        ways.append(Way(f"{path.stem}:{frame['index'].iat[i]}", name, highway, tags, keys, coords))
    return ways, no_geometry


def read_streets(
    path: str | Path, *, layer: str | None = None, srid: int | None = None, window: LonLatBox | None = None
) -> StreetRead:
    """The ways of a street file. `window` (WGS84 west, south, east, north): for an OSM file,
    the ways with no node inside it are skipped while reading (counted in `outside`)."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError(path.name, "file not found")
    if path.name.lower().endswith((".osm", ".pbf", ".osm.bz2", ".osm.gz", ".o5m")):
        return read_osm_ways(path, window=window)
    ways, no_geometry = read_line_layer(path, layer=layer, srid=srid)
    return StreetRead(ways=ways, read=len(ways), no_geometry=no_geometry)
