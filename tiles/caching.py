"""Build, cache, serve and purge tiles.

- A tile is built by ONE SQL statement (tiles/statements.py) that also returns the count and
  max(updated_at) of the rows inside it: the ETag is made of those, plus layer, z/x/y,
  community and filters. Layers whose rows have no updated_at (streets)
  hash the tile bytes instead.
- A tile built while a write to its layer was in flight is served but not cached: the purge
  triggers note each write (tiles_purge_log) and hold a lock until commit; storing waits for
  it and compares the writes with the build's snapshot (sql/cache_put.sql).
- The cache stores the gzip bytes (gzip of a large tile costs as much as building it) in the
  UNLOGGED table tiles_tilecacheentry, shared by every worker, with the ETag, so a cache hit
  is one indexed read and a 304 needs no tile query at all.
- A write purges only the tiles whose buffered envelope meets the old or the new geometry, at
  every zoom of the layers it feeds: database triggers do it in the writing transaction,
  whoever writes (tiles/triggers.py); `tiles_invalidate_*` remain for other purges.
"""

import datetime as dt
import gzip
import hashlib
import itertools
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse

from core.replicas import read_connection
from core.sql import run_sql, sql_path, sql_text

from .filters import TileFilters
from .layers import LAYERS, Layer
from .statements import BUFFER, EXTENT, query_rows, tile_statement
from .tilemath import tile_origin, tile_ranges, tile_size

MVT_TYPE = "application/vnd.mapbox-vector-tile"
GZIP_LEVEL = 6  # the cache pays it once per tile; level 9 gains ~2 % for twice the time
# Each worker checks the cache's size every TRIM_EVERY tiles it stores (a COUNT of an indexed
# table: ~50 ms at 500k rows, so ~0.05 ms a stored tile).
TRIM_EVERY = 1000
_puts = itertools.count()
_ACCEPTS_GZIP = re.compile(r"\bgzip\b(?!\s*;\s*q=0(?:\.0*)?\b)")


@dataclass(frozen=True)
class Tile:
    etag: str
    features: int
    capped: bool
    raw: bytes | None = None  # MVT bytes (fresh tiles)
    gz: bytes | None = None  # gzip of them (cached tiles)
    cache: str = "off"  # "hit", "miss" or "off"
    snapshot: str = ""  # the database snapshot a fresh tile was read from

    @property
    def empty(self) -> bool:
        return not (self.raw or self.gz)


def cache_enabled() -> bool:
    return bool(getattr(settings, "RONDE_TILE_CACHE", True))


def tile_params(
    layer: type[Layer], community_id: int, z: int, x: int, y: int, filters: TileFilters
) -> dict[str, Any]:
    grid = layer.grid_at(z)
    ox, oy = tile_origin(z, x, y)
    return {
        "z": z,
        "x": x,
        "y": y,
        "community": community_id,
        "srid": settings.RONDE_SRID,
        "margin": 0.0 if grid else BUFFER / EXTENT,
        "buffer": BUFFER,
        "clip": not layer.points,
        "cap": layer.feature_cap,
        "cell": tile_size(z) / layer.grid_cells,
        "ox": ox,
        "oy": oy,
        **filters.params(),
    }


def _etag(
    layer: type[Layer],
    community_id: int,
    key: str,
    variant: str,
    n: int,
    stamp: dt.datetime | None,
    raw: bytes,
) -> str:
    parts = [layer.id, str(community_id), key, variant, str(n), stamp.isoformat() if stamp else "-"]
    if not layer.stamped():
        parts.append(hashlib.blake2b(raw, digest_size=16).hexdigest())
    return hashlib.blake2b("|".join(parts).encode(), digest_size=16).hexdigest()


def tile_build(
    *, layer: type[Layer], community_id: int, z: int, x: int, y: int, filters: TileFilters
) -> Tile:
    """Run the layer's one statement for tile z/x/y of a community; never touches the cache."""
    params = tile_params(layer, community_id, z, x, y, filters)
    # A replica within the lag bound when the request allows it (core/replicas.py: a tile
    # built there is cached on the primary only if its snapshot saw every write).
    with read_connection().cursor() as cursor:
        cursor.execute(tile_statement(layer.id, layer.grid_at(z)), params)
        ((raw, n, stamp, snapshot),) = query_rows(cursor)
    raw = bytes(raw or b"")
    etag = _etag(layer, community_id, f"{z}/{x}/{y}", filters.variant, n, stamp, raw)
    capped = not layer.grid_at(z) and n >= layer.feature_cap
    return Tile(etag=etag, features=int(n), capped=capped, raw=raw, snapshot=snapshot)


def tile_get(*, layer: type[Layer], community_id: int, z: int, x: int, y: int, filters: TileFilters) -> Tile:
    """The tile from the cache, or built and stored (gzip) when missing or caching is off."""
    if not cache_enabled():
        return tile_build(layer=layer, community_id=community_id, z=z, x=x, y=y, filters=filters)
    key: dict[str, Any] = {
        "community": community_id,
        "layer": layer.id,
        "z": z,
        "x": x,
        "y": y,
        "variant": filters.variant,
    }
    rows = run_sql(sql_path(__file__, "cache_get.sql"), key)
    if rows:
        data, etag, features = rows[0]
        capped = not layer.grid_at(z) and features >= layer.feature_cap
        return Tile(etag=etag, features=features, capped=capped, gz=bytes(data), cache="hit")
    fresh = tile_build(layer=layer, community_id=community_id, z=z, x=x, y=y, filters=filters)
    gz = gzip.compress(fresh.raw, GZIP_LEVEL, mtime=0) if fresh.raw else b""
    with transaction.atomic(), connection.cursor() as cursor:
        # Wait for the writes to this layer still in flight (they hold the lock shared until
        # they commit), so cache_put.sql sees them all and skips a tile they made stale.
        cursor.execute("SELECT pg_advisory_xact_lock(tiles_lock_key(%s, %s))", [community_id, layer.id])
        cursor.execute(
            sql_text(sql_path(__file__, "cache_put.sql")),
            {**key, "etag": fresh.etag, "features": fresh.features, "data": gz, "snapshot": fresh.snapshot},
        )
    if next(_puts) % TRIM_EVERY == TRIM_EVERY - 1:
        tiles_cache_trim()
    return Tile(etag=fresh.etag, features=fresh.features, capped=fresh.capped, gz=gz, cache="miss")


def tiles_cache_trim(*, max_tiles: int | None = None) -> int:
    """Drop the oldest cached tiles beyond the limit (down to 90 % of it); the rows deleted."""
    limit = max_tiles if max_tiles is not None else settings.RONDE_TILE_CACHE_MAX_TILES
    with connection.cursor() as cursor:
        cursor.execute(sql_text(sql_path(__file__, "cache_trim.sql")), {"keep": int(limit * 0.9)})
        return cursor.rowcount


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    # META, not request.headers: that view of the headers is built from every META key on its
    # first use (~5 µs of the ~0.2 ms of Python a cached tile costs: hit_shortcut.py).
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return etag in tags


def tile_response(request: HttpRequest, tile: Tile) -> HttpResponse:
    """304 when the client has it, 204 when empty, else the MVT (gzip if the client takes it)."""
    if _etag_matches(request, tile.etag):
        response = HttpResponse(status=304)
    elif tile.empty:
        response = HttpResponse(status=204)
    else:
        accepts_gzip = bool(_ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))
        if tile.gz is not None and accepts_gzip:
            response = HttpResponse(tile.gz, content_type=MVT_TYPE)
            response["Content-Encoding"] = "gzip"
        else:
            body = tile.raw if tile.raw is not None else gzip.decompress(tile.gz or b"")
            response = HttpResponse(body, content_type=MVT_TYPE)
        if tile.capped:
            response["X-Tile-Capped"] = str(tile.features)
    response["ETag"] = f'"{tile.etag}"'
    # Private (per community and user), and always revalidated: a 304 costs one cache read.
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Accept-Encoding, Cookie, Authorization"
    response["X-Tile-Cache"] = tile.cache
    return response


def _layers_zooms(layers: list[str]) -> range:
    known = [LAYERS[name] for name in layers]
    return range(min(la.minzoom for la in known), max(la.maxzoom for la in known) + 1)


def tiles_invalidate_now(
    *, community_id: int, layers: list[str], bbox: tuple[float, float, float, float]
) -> int:
    """Purge the cached tiles of `layers` whose buffered envelope meets `bbox` (EPSG:3857)."""
    ranges = tile_ranges(bbox, _layers_zooms(layers), margin=BUFFER / EXTENT)
    zs, x0s, x1s, y0s, y1s = (list(col) for col in zip(*ranges, strict=True))
    params: dict[str, Any] = {"community": community_id, "layers": layers}
    params |= {"zs": zs, "x0s": x0s, "x1s": x1s, "y0s": y0s, "y1s": y1s}
    with connection.cursor() as cursor:
        cursor.execute(sql_text(sql_path(__file__, "cache_invalidate.sql")), params)
        return cursor.rowcount


def tiles_invalidate_bbox(
    *, community_id: int, layers: list[str], bboxes: list[tuple[float, float, float, float]]
) -> None:
    """After the current transaction commits, purge the tiles that cover each bbox (EPSG:3857).

    Pass the old and the new extent of a moved feature. Outside a transaction it runs now.
    """

    def purge() -> None:
        for bbox in bboxes:
            tiles_invalidate_now(community_id=community_id, layers=layers, bbox=bbox)

    transaction.on_commit(purge)


def tiles_invalidate_community(*, community_id: int, layers: list[str] | None = None) -> None:
    """After commit, purge every cached tile of a community (all layers by default)."""
    names = layers or list(LAYERS)

    def purge() -> None:
        run_sql(sql_path(__file__, "cache_invalidate_all.sql"), {"community": community_id, "layers": names})

    transaction.on_commit(purge)
