"""Reading a community's heatmap points from the database: a full load, or the changes since.

A full load reads every done intervention by COPY BINARY (sql/points.sql), converted in
numpy (~1.3–1.8 s at 1M rows; 15–26 s at 10M); the changes since a high-water mark (index on
community, updated_at) are merged without a full sort (merge.py). A full load also stores the
sorted columns in one database row (tiles.HeatmapSnapshot): a load within
RONDE_HEATMAP_RELOAD_S of it, on any machine, reads the row (~0.1 s at 1M) and merges the
changes since its mark. Rows hard-deleted meanwhile show until the next load from the
interventions (at most twice RONDE_HEATMAP_RELOAD_S); soft deletions and status changes are
merged like any update. store.py decides when, and shares the result between workers.
"""

import contextlib
import ctypes
import datetime as dt
import io
import logging
import threading
import time
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from core.sql import sql_path, sql_text
from interventions.models import Category

from .merge import points_combine
from .points import Points, points_build

# A transaction commits rows stamped with its start time, possibly before the high-water
# mark another one already set: re-read this much (seconds) behind it; merging is idempotent.
OVERLAP_S = 120.0
YIELD_ROWS = 256  # see _read

# COPY BINARY: 19-byte header, then per row int16 field count and (int32 length, value) pairs.
# Timestamps are PostgreSQL's own: int64 microseconds since 2000-01-01 00:00 UTC.
_ROW = np.dtype(
    [
        ("nf", ">i2"),
        ("l_id", ">i4"), ("id", ">i8"),
        ("l_x", ">i4"), ("x", ">i4"),
        ("l_y", ">i4"), ("y", ">i4"),
        ("l_ended", ">i4"), ("ended", ">i8"),
        ("l_cat", ">i4"), ("cat", ">i4"),
        ("l_team", ">i4"), ("team", ">i4"),
        ("l_asset", ">i4"), ("asset", ">i4"),
        ("l_cm2", ">i4"), ("cm2", ">i4"),  # hundredths of m²
        ("l_alive", ">i4"), ("alive", "?"),
        ("l_upd", ">i4"), ("upd", ">i8"),
    ]
)  # fmt: skip
_HEADER = 19
_US = 1_000_000
_DAY_US = 86_400 * _US
_PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # PostgreSQL timestamps count from here
_PG_EPOCH_UNIX_US = 946_684_800 * _US
logger = logging.getLogger(__name__)


def _read(community_id: int, since: float | None) -> np.ndarray:
    """The raw rows (structured array) from COPY BINARY."""
    buf = io.BytesIO()
    params: dict[str, Any] = {
        "community": community_id,
        "tz": settings.TIME_ZONE,
        "since": None if since is None else _ts(since),
    }
    with (
        connection.cursor() as cursor,
        # The psycopg cursor itself: Django's debug wrapper (DEBUG=True) drops COPY parameters.
        cursor.cursor.copy(sql_text(sql_path(__file__, "points.sql")), params) as copy,
    ):
        # One message per row, a Python step each: off the main thread (the refresher), hand
        # the GIL over every YIELD_ROWS rows, or a request in the worker waits up to 5 ms
        # (the switch interval) each time it takes the GIL back (measured: 100–200 ms tiles
        # during a reload instead of 3 ms).
        background = threading.current_thread() is not threading.main_thread()
        for n, chunk in enumerate(copy):
            buf.write(chunk)
            if background and not n % YIELD_ROWS:
                time.sleep(0)
    data = buf.getbuffer()[_HEADER:]
    rows = (len(data) - 2) // _ROW.itemsize  # minus the int16 trailer (-1)
    return np.frombuffer(data, dtype=_ROW, count=max(rows, 0))


def _updated(raw: np.ndarray) -> np.ndarray:
    """updated_at as epoch seconds (float64: EXTRACT(EPOCH FROM updated_at)::float8 exactly)."""
    return (raw["upd"].astype(np.int64) + _PG_EPOCH_UNIX_US) / _US


def _offset_us(us: int, tz: ZoneInfo) -> int:
    offset = (_PG_EPOCH + dt.timedelta(microseconds=us)).astimezone(tz).utcoffset()
    return int(offset.total_seconds() * _US) if offset is not None else 0


def local_days(us: np.ndarray, tz_name: str) -> np.ndarray:
    """(t AT TIME ZONE tz)::date - DATE '2000-01-01' for timestamps t in microseconds since
    2000-01-01 UTC (int64), in numpy: the UTC offsets in force over the span, then one
    search per row (PostgreSQL's per-row time zone conversion was the dearest column of the
    COPY)."""
    if us.size == 0:
        return np.zeros(0, dtype=np.int64)
    tz = ZoneInfo(tz_name)
    lo, hi = int(us.min()), int(us.max())
    # Offsets change a few times a year, never twice within 6 h: sample every 6 h and find
    # each change to the microsecond by bisection.
    starts, offsets = [lo], [_offset_us(lo, tz)]
    step = 6 * 3600 * _US
    t = lo
    while t < hi:
        nxt = min(t + step, hi)
        offset = _offset_us(nxt, tz)
        if offset != offsets[-1]:
            a, b = t, nxt  # offsets[-1] in force at a, the new offset at b
            while b - a > 1:
                mid = (a + b) // 2
                a, b = (mid, b) if _offset_us(mid, tz) == offsets[-1] else (a, mid)
            starts.append(b)
            offsets.append(offset)
        t = nxt
    # In place where possible: a worker's freed temporaries stay resident (heap fragmentation).
    index = np.searchsorted(np.array(starts, dtype=np.int64), us, side="right")
    index -= 1
    local = np.take(np.array(offsets, dtype=np.int64), index, out=index)
    local += us
    local //= _DAY_US
    return local


def _tag_categories() -> np.ndarray:
    """Ids of the tag categories (a few rows: cheaper than joining them to every intervention)."""
    return np.array(Category.objects.filter(is_tag=True).values_list("id", flat=True), dtype=np.int64)


def _ts(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).isoformat()


def _columns(raw: np.ndarray) -> dict[str, np.ndarray]:
    cat = raw["cat"].astype(np.int32)
    day = local_days(raw["ended"].astype(np.int64), settings.TIME_ZONE)
    day[~raw["alive"]] = 0  # rows no longer done may have no end date; they are dropped anyway
    m2 = raw["cm2"].astype(np.float64)
    m2 /= 100  # hundredths → the nearest double to the decimal → float32, as numeric::float4
    return {
        "id": raw["id"].astype(np.int64),
        "x": raw["x"].astype(np.uint32),
        "y": raw["y"].astype(np.uint32),
        "day": day.astype(np.uint16),
        "cat": cat,
        "team": raw["team"].astype(np.int32),
        "asset": raw["asset"].astype(np.int32),
        "m2": m2.astype(np.float32),
        "tag": np.isin(cat, _tag_categories()),
    }


# The snapshot's columns, in this order, little-endian (the `columns` bytea concatenates them).
_SNAPSHOT = (
    ("id", "<i8"), ("x", "<u4"), ("y", "<u4"), ("day", "<u2"), ("cat", "<i4"), ("team", "<i4"),
    ("asset", "<i4"), ("m2", "<f4"), ("tag", "?"), ("ret", "?"),
)  # fmt: skip


def _snapshot_read(community_id: int) -> Points | None:
    params = {"community": community_id, "max_age": float(settings.RONDE_HEATMAP_RELOAD_S)}
    connection.ensure_connection()
    # A server-binding psycopg cursor (Django's are client-side, which cannot), binary
    # results: the bytea arrives as raw bytes, not as twice as many hex digits to decode.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql_text(sql_path(__file__, "snapshot_get.sql")), params, binary=True)
        row = cursor.fetchone()
    if row is None:
        return None
    high_water, rows, data = float(row[0]), int(row[1]), memoryview(row[2])
    if len(data) != rows * sum(np.dtype(dtype).itemsize for _name, dtype in _SNAPSHOT):
        return None  # written by another layout: load from the interventions
    cols: dict[str, np.ndarray] = {}
    offset = 0
    for name, dtype in _SNAPSHOT:
        cols[name] = np.frombuffer(data, dtype=dtype, count=rows, offset=offset)
        offset += cols[name].nbytes
    return Points(high_water=high_water, **cols)


def _snapshot_write(community_id: int, points: Points, loaded_at: dt.datetime) -> None:
    columns = b"".join(getattr(points, name).astype(dtype, copy=False).tobytes() for name, dtype in _SNAPSHOT)
    params = {
        "community": community_id,
        "loaded_at": loaded_at,
        "high_water": points.high_water,
        "rows": len(points),
        "columns": columns,
    }
    try:
        connection.ensure_connection()
        # Server-side binding: the bytes travel as a binary parameter (Django's client-side
        # cursor would inline them as a hex literal twice their size).
        with transaction.atomic(), psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql_text(sql_path(__file__, "snapshot_put.sql")), params)
    except DatabaseError:  # a read-only replica, say: workers then load from the interventions
        logger.warning("heatmap: could not store the point snapshot of community %s", community_id)


def points_load(community_id: int, *, use_snapshot: bool = True) -> Points:
    """Every done intervention of the community (cold start): from a recent snapshot plus
    the changes since, else from the interventions (then stored as the new snapshot)."""
    if use_snapshot:
        snapshot = _snapshot_read(community_id)
        if snapshot is not None:
            return points_merge(snapshot, community_id)
    loaded_at = dt.datetime.now(tz=dt.UTC)
    raw = _read(community_id, None)
    high_water = float(_updated(raw).max()) if raw.size else 0.0
    points = points_build(_columns(raw), high_water)
    del raw
    release_freed_memory()
    if use_snapshot:
        _snapshot_write(community_id, points, loaded_at)
    return points


def points_merge(points: Points, community_id: int) -> Points:
    """Rows updated since the high-water mark replace their old version (or leave)."""
    raw = _read(community_id, points.high_water - OVERLAP_S)
    if raw.size == 0:
        return points
    changed = raw["id"].astype(np.int64)
    alive = raw["alive"].astype(bool)
    seen = np.isin(changed, points.id)  # a lookup table over the ids' range (O(n), no sort)
    updated = _updated(raw)
    high_water = max(points.high_water, float(updated.max()))
    newer = updated > points.high_water
    if not ((alive & ~seen) | (~alive & seen) | (alive & seen & newer)).any():
        # Only rows already merged, or rows that are not done and were not here (a planned
        # intervention edited): same points; the mark moves on so they are not re-read.
        return points if high_water == points.high_water else replace(points, high_water=high_water)
    return points_combine(points, np.isin(points.id, changed), _columns(raw[alive]), high_water)


def release_freed_memory() -> None:
    """Hand the freed heap pages back to the OS. Loading and merging allocate large numpy
    temporaries that glibc may keep resident (measured after a 1M load: +69 MB RSS instead of
    the arrays' 33 MB; malloc_trim takes 2–3 ms). No-op where the C library has no malloc_trim."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
