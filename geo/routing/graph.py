"""Per-request routing graph: a pruned copy of the network, and stops snapped onto it.

Both live in temporary tables (ronde_route_edges, ronde_route_points) dropped at the end
of the transaction: callers run the pipeline inside transaction.atomic().
"""

from dataclasses import dataclass

from django.conf import settings

from core.sql import run_sql

from . import routing_sql
from .profiles import Profile

# Metres added around the stops' box: paths may leave the box a little to go round a block.
PRUNE_MARGIN_M = 800.0
# A stop further than this from the main component's streets is unreachable.
SNAP_TOLERANCE_M = 250.0


@dataclass(frozen=True)
class Snap:
    """Where a point meets the graph: an edge, a fraction along it, and the snapped position."""

    edge_id: int
    fraction: float
    distance_m: float
    x: float
    y: float


def graph_prepare(
    *,
    community_id: int,
    profile: Profile,
    bbox: tuple[float, float, float, float],
    margin_m: float = PRUNE_MARGIN_M,
) -> None:
    """Copy the community's graph for `profile` inside bbox+margin, keep its main component."""
    xmin, ymin, xmax, ymax = bbox
    # Wide boxes need a wider margin (detours scale with the area covered).
    margin = max(margin_m, 0.15 * max(xmax - xmin, ymax - ymin))
    run_sql(
        routing_sql("routing_graph.sql"),
        {
            "community_id": community_id,
            "kinds": list(profile.kinds),
            "oneway": profile.oneway,
            "xmin": xmin - margin,
            "ymin": ymin - margin,
            "xmax": xmax + margin,
            "ymax": ymax + margin,
            "srid": settings.RONDE_SRID,
        },
    )
    prune = "routing_prune_directed.sql" if profile.oneway else "routing_prune_undirected.sql"
    run_sql(routing_sql(prune))


def points_snap(
    *, points: list[tuple[float, float]], tolerance_m: float = SNAP_TOLERANCE_M
) -> list[Snap | None]:
    """Snap points (storage SRID) in order; point i becomes routing point i+1. None = unreachable."""
    if not points:
        return []
    run_sql(
        routing_sql("routing_snap.sql"),
        {
            "xs": [float(x) for x, _ in points],
            "ys": [float(y) for _, y in points],
            "srid": settings.RONDE_SRID,
            "tolerance": tolerance_m,
        },
    )
    rows = run_sql(routing_sql("routing_snapped.sql"))
    snaps: list[Snap | None] = [None] * len(points)
    for pid, edge_id, fraction, _side, distance, x, y in rows:
        snaps[int(pid) - 1] = Snap(int(edge_id), float(fraction), float(distance), float(x), float(y))
    return snaps


def points_load(*, snaps: list[Snap | None]) -> None:
    """Re-create the routing points from snaps computed earlier for the same graph."""
    kept = [(i + 1, s) for i, s in enumerate(snaps) if s is not None]
    run_sql(
        routing_sql("routing_points_load.sql"),
        {
            "pids": [pid for pid, _ in kept],
            "edges": [s.edge_id for _, s in kept],
            "fractions": [s.fraction for _, s in kept],
        },
    )
