"""ONE SQL statement per tile, composed from a layer's declared sources (tiles/layers.py).

Every source-layer becomes a few CTEs (tiles/sql/tile_features.sql or tile_grid.sql around
the layer's own tiles/sql/layer_*.sql); the final SELECT concatenates their MVTs (an MVT is
a list of layers, so bytes concatenate) and returns the row count and max(updated_at) that
the ETag is made of. The text is built once per (layer, mode) from declarations only: no
request value is ever formatted into SQL, they are all bound parameters.

A capped tile (every mode but the grid) asks for the first `cap` rows in a box, and
PostgreSQL's default costs plan that badly where rows are dense. It expects the matches to be
spread evenly through the table, so for a tile holding 15 % of the rows it picks a sequential
scan that stops at the cap: but it reads the table in physical order, from wherever the last
sequential scan left off (synchronised scans), until it has met `cap` rows of that box. On the
benchmark's 1M interventions one such tile took 14 to 180 ms, run after run, and those tiles
were two thirds of the tile list's database time (benchmarks/tiles.py). A bitmap scan first
collects every match in the box (157,000 for that tile: ~50 ms); the GiST index scan stops
at the cap (~9 ms), but at the default random_page_cost of 4 (a disk that seeks) the planner
rates its heap reads too dear. So the statement runs with CAPPED_PLANNER: a page read at
random costs about a sequential one (the tables a tile server reads are in memory, or on
SSD: PostgreSQL's own advice for both is 1.1), and no sequential scan. The settings are the
statement's own: SET before and RESET after, in the same query string, which PostgreSQL runs as
one implicit transaction (an error undoes the SETs too), so the connection's other queries
plan as before. Grid tiles read every row in the tile and keep the default plan.

Which `cap` rows a capped tile keeps follows the plan, and no plan promised a spread sample. The
index scan keeps the first in the GiST's order: a compact part of the tile (on the benchmark, 7
to 15 of a capped tile's 4 × 4 cells). A sequential or bitmap scan kept the first in the table's
order: on the benchmark's seeded town, also a part (8 to 16 cells); on a real table, filled over
the years, the oldest rows. A sample spread over the tile (a quota per cell) is still to do.
"""

from functools import cache
from typing import Any

from core.sql import sql_path, sql_text

from .layers import LAYERS, Layer

EXTENT = 4096  # MVT tile coordinates
BUFFER = 64  # tile units kept around the tile (1/64 of a tile) so lines and circles join up
# Planner settings for capped tiles (see the module docstring): constants, never request values.
CAPPED_PLANNER = (("random_page_cost", "1.1"), ("enable_seqscan", "off"))


def _code(name: str) -> str:
    """A .sql file without its comment lines (they document the file, not the statement)."""
    lines = sql_text(sql_path(__file__, name)).splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip().rstrip(";")


def _part(layer: type[Layer], grid: bool, index: int) -> str:
    source = layer.sources[index]
    template = _code(
        "tile_grid.sql" if grid else "tile_points.sql" if layer.point_rows else "tile_features.sql"
    )
    body = _code(source.sql)
    columns = "".join(f", s.{field}" for field in source.fields)
    # The CTE names must be identifiers: source names are declared constants ([a-z_]).
    assert source.name.isidentifier(), source.name
    return template.format(name=source.name, source=body, columns=columns)


def planned(query: str, settings: tuple[tuple[str, str], ...]) -> str:
    """`query` between SET and RESET of `settings`: one query string, so one round trip. Run it
    with a cursor that binds on the client, as Django's do; `query_rows` reads its rows."""
    sets = "".join(f"SET {name} = {value};\n" for name, value in settings)
    resets = "".join(f";\nRESET {name}" for name, _value in settings)
    return f"{sets}{query}{resets}"


@cache
def tile_statement(layer_id: str, grid: bool) -> str:
    """The layer's tile statement: one SELECT, in its planner settings when capped."""
    query = tile_query(layer_id, grid)
    return query if grid else planned(query, CAPPED_PLANNER)


def query_rows(cursor: Any) -> list[tuple[Any, ...]]:
    """The rows of a `planned` query: its first result with columns (the SETs have none)."""
    while cursor.description is None and cursor.nextset():
        pass
    return cursor.fetchall()


def tile_query(layer_id: str, grid: bool) -> str:
    layer = LAYERS[layer_id]
    names = [source.name for source in layer.sources]
    ctes = ",\n".join(_part(layer, grid, i) for i in range(len(names)))
    tile = " || ".join(f"coalesce(mvt_{n}.tile, ''::bytea)" for n in names)
    count = " + ".join(f"stats_{n}.n" for n in names)
    stamp = f"greatest({', '.join(f'stats_{n}.stamp' for n in names)})"
    sources = ", ".join(f"mvt_{n}, stats_{n}" for n in names)
    # The snapshot the tile is read from: tiles/caching.py caches the tile only if no write to
    # the layer was invisible to it (see tiles/sql/cache_put.sql).
    return (
        f"WITH\n{ctes}\nSELECT {tile} AS tile, ({count})::bigint AS n, {stamp} AS stamp, "
        f"pg_current_snapshot()::text AS snapshot\nFROM {sources}"
    )
