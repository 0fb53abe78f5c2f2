"""ONE SQL statement per tile, composed from a layer's declared sources (tiles/layers.py).

Every source-layer becomes a few CTEs (tiles/sql/tile_features.sql or tile_grid.sql around
the layer's own tiles/sql/layer_*.sql); the final SELECT concatenates their MVTs (an MVT is
a list of layers, so bytes concatenate) and returns the row count and max(updated_at) that
the ETag is made of. The text is built once per (layer, mode) from declarations only: no
request value is ever formatted into SQL, they are all bound parameters.
"""

from functools import cache

from core.sql import sql_path, sql_text

from .layers import LAYERS, Layer

EXTENT = 4096  # MVT tile coordinates
BUFFER = 64  # tile units kept around the tile (1/64 of a tile) so lines and circles join up


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


@cache
def tile_statement(layer_id: str, grid: bool) -> str:
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
