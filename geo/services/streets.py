"""Load a community's street network for routing (replaces the previous one, all or nothing)."""

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum

from accounts.models import Community
from core.geometry import transformed
from core.sql import run_sql, sql_text
from geo.io.streets import read_streets, split_ways
from geo.services.addresses import street_names_refresh

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"  # geo/sql/
COPY_STAGING = "COPY streets_staging (idx, external_id, name, highway, kind, oneway, geom) FROM STDIN"


@dataclass
class StreetReport:
    file: str
    ways: int = 0  # highway ways read (lines of a layer)
    skipped_outside: int = 0  # OSM ways with no node near the territory, dropped while reading
    broken_ways: int = 0  # ways cut by the extract's edge (nodes not in the file): clipped
    no_geometry: int = 0  # line layer features with a null, empty or unreadable geometry: skipped
    segments: int = 0
    kept: int = 0
    outside: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    length_km: float = 0.0
    dry_run: bool = False

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.by_kind.items()))
        skipped = f" ({self.skipped_outside} outside the territory, skipped)" if self.skipped_outside else ""
        return (
            f"{self.file}: {self.ways} ways{skipped} → {self.segments} segments ({kinds}); "
            f"{self.kept} kept, {self.outside} outside the territory, {self.length_km:.1f} km"
            + (
                f"; {self.broken_ways} ways cut by the extract's edge (nodes missing from the file) "
                "clipped to their nodes inside it"
                if self.broken_ways
                else ""
            )
            + (f"; {self.no_geometry} features without a usable geometry skipped" if self.no_geometry else "")
        )


def _linestrings(parts: list[Any]) -> Any:
    """Line strings from (n_i, 2) coordinate arrays of different lengths (real ways vary).

    shapely.linestrings() of a list of ragged arrays fails ("inhomogeneous shape"): give it all
    vertices at once with the index of the line each belongs to.
    """
    if not parts:
        return []
    counts = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    indices = np.repeat(np.arange(len(parts)), counts)
    return shapely.linestrings(np.concatenate(parts), indices=indices)


# Margin of the reading window around the territory: a way with a node this close is read
# whole (its segments crossing the boundary keep their real ends); farther ones are skipped.
WINDOW_MARGIN_M = 1000.0
METRES_PER_DEGREE = 111_320.0  # of latitude; of longitude times cos(latitude)


def reading_window(territory: Any) -> tuple[float, float, float, float]:
    """WGS84 (west, south, east, north) of `territory` widened by WINDOW_MARGIN_M."""
    west, south, east, north = transformed(territory, 4326).extent
    dlat = WINDOW_MARGIN_M / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(max(abs(south), abs(north)))), 0.01)
    return west - dlon, south - dlat, east + dlon, north + dlat


def street_network_import(
    *,
    community: Community,
    path: str | Path,
    layer: str | None = None,
    srid: int | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> StreetReport:
    """Replace `community`'s street segments with the network in `path` (OSM or line layer).

    Raises geo.io.errors.ImportFileError for an unreadable file. The routing topology
    (source/target) is left null: geo.routing.topology rebuilds it when it is stale.
    """
    path = Path(path)
    read = read_streets(path, layer=layer, srid=srid, window=reading_window(community.territory))
    report = StreetReport(
        file=path.name,
        ways=read.read,
        skipped_outside=read.outside,
        broken_ways=read.clipped,
        no_geometry=read.no_geometry,
        dry_run=dry_run,
    )
    segments = list(split_ways(read.ways))
    del read  # the segments hold the coordinates now
    report.segments = len(segments)
    report.by_kind = dict(Counter(s.kind for s in segments))
    total = len(segments)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql_text(SQL_DIR / "streets_staging.sql"))
            raw: Any = cursor.cursor
            lines = _linestrings([s.coords for s in segments])
            hexes = shapely.to_wkb(shapely.set_srid(lines, settings.RONDE_SRID), hex=True, include_srid=True)
            with raw.copy(COPY_STAGING) as copy:
                for i, (segment, ewkb) in enumerate(zip(segments, hexes, strict=True)):
                    copy.write_row(
                        (
                            i,
                            segment.external_id,
                            segment.name,
                            segment.highway,
                            segment.kind,
                            segment.oneway,
                            ewkb,
                        )
                    )
                    if progress and i % 10000 == 0:
                        progress(i, total)
        kept, outside = run_sql(SQL_DIR / "streets_replace.sql", {"community_id": community.pk})[0]
        report.kept, report.outside = int(kept), int(outside)
        total_m = community.street_segments.aggregate(total=Sum("length_m"))["total"] or 0.0
        report.length_km = total_m / 1000
        if dry_run or report.kept == 0:
            # Nothing inside the territory: keep the network the community already has.
            transaction.set_rollback(True)
    if not dry_run and report.kept:
        street_names_refresh(community=community)  # the search box finds the new streets
    if progress:
        progress(total, total)
    return report
