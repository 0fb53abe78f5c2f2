"""Per-worker, in-memory store of the points heatmap tiles are binned from (points.Points).

Why: binning 1M points in SQL costs 36 ms (z14) to 0.9 s (z10) per tile; numpy over points
held in memory costs 1.5–13 ms. Each worker keeps, per community, the done interventions as
small fixed-width numpy columns sorted by (column, y) (points.py says which columns and why
that order), about 36 bytes per point: ~36 MB for 1M.

Freshness: a request older than settings.RONDE_HEATMAP_REFRESH_S since the last refresh
starts a background re-read of the rows updated since the high-water mark (index on
community, updated_at), merged without a full sort (merge.py); every
RONDE_HEATMAP_RELOAD_S everything is reloaded (this catches deletions). See PointStore.

Cold start: loading a million rows by COPY costs ~1.3–1.8 s (2.1–2.3 s before the raw
timestamps and no join of sql/points.sql; 15–26 s at 10M), so a worker that loads from the
interventions also stores the sorted columns in one row (tiles.HeatmapSnapshot); a
worker starting (or reloading) within RONDE_HEATMAP_RELOAD_S of that reads the row (~0.1 s)
and merges the changes since its high-water mark. Rows hard-deleted meanwhile show until the
next load from the interventions (at most twice RONDE_HEATMAP_RELOAD_S); soft deletions and
status changes are merged like any update.
"""

import contextlib
import ctypes
import datetime as dt
import io
import logging
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction

from core.sql import sql_path, sql_text
from interventions.models import Category

from .bins import town_pyramid
from .filters import HeatmapFilters
from .merge import points_combine
from .points import Points, points_build
from .snapfile import Snapshot, snapshot_lock, snapshot_map, snapshot_touch, snapshot_write

# A transaction commits rows stamped with its start time, possibly before the high-water
# mark another one already set: re-read this much (seconds) behind it; merging is idempotent.
OVERLAP_S = 120.0
YIELD_ROWS = 256  # see _read
LOADER_TIMEOUT_S = 600  # a 10M-point load takes 15–26 s

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


def _warm(points: Points) -> None:
    """Bin the default map's town grids (every done intervention, by count: what most tiles
    show) with the load, so that no low-zoom tile request pays the pass over every point."""
    town_pyramid(points, HeatmapFilters())


class PointStore:
    """The points of every community this worker has served, refreshed off the request path.

    A request gets the points this worker has, at most RONDE_HEATMAP_REFRESH_S stale when
    nothing is being rebuilt; when they are older it starts the refresh (changes since the
    high-water mark, or every RONDE_HEATMAP_RELOAD_S a reload) in a daemon thread and serves
    what it has: at 10M points a reload costs 15–26 s, which must not fall on a request (nor
    get the worker killed by gunicorn's 30 s timeout mid-reload). Only a worker with no points
    yet for the community waits for them (cold start: it maps the host's snapshot file when
    there is one loaded within RONDE_HEATMAP_RELOAD_S, and refreshes it behind when it is stale).

    The points are the host's snapshot file, mapped (snapfile.py): one process at a time
    (a file lock) merges the changes or reloads, writes the next file and renames it over
    the old one; the others find it fresh and map it instead of doing the same work. Each
    build swaps in a new immutable Points. Without a writable folder the points stay in
    private memory, as they were. RONDE_HEATMAP_BACKGROUND=False: the stale request
    refreshes itself (tests).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the dicts below (held for look-ups only)
        self._points: dict[int, Points] = {}
        self._refreshed: dict[int, float] = {}  # time.monotonic() of the data's check
        self._loaded: dict[int, float] = {}  # epoch seconds of the load the points come from
        self._files: dict[int, tuple[int, int]] = {}  # the snapshot file mapped (snapfile.Snapshot.inode)
        self._builds: dict[int, threading.Lock] = {}  # one build at a time per community
        self._threads: dict[int, threading.Thread] = {}

    def _fresh(self, community_id: int, max_age: float) -> Points | None:
        current = self._points.get(community_id)
        if current is not None and time.monotonic() - self._refreshed.get(community_id, -np.inf) < max_age:
            return current
        return None

    def get(self, community_id: int, *, max_age: float | None = None) -> Points:
        """The community's points, at most `max_age` seconds stale (default from settings)
        unless a refresh is under way in the background."""
        max_age = settings.RONDE_HEATMAP_REFRESH_S if max_age is None else max_age
        fresh = self._fresh(community_id, max_age)
        if fresh is not None:
            return fresh
        current = self._points.get(community_id)
        if current is None or not settings.RONDE_HEATMAP_BACKGROUND:
            with self._build_lock(community_id):  # another request may have built them meanwhile
                fresh = self._fresh(community_id, max_age)
                if fresh is not None:
                    return fresh
                if current is None and settings.RONDE_HEATMAP_BACKGROUND:
                    adopted = self._adopt(community_id)
                    if adopted is not None:
                        if self._fresh(community_id, max_age) is None:
                            self._start(community_id)  # stale: merged behind this request
                        return adopted
                return self._refresh(community_id, max_age)
        self._start(community_id)
        return current

    def _build_lock(self, community_id: int) -> threading.Lock:
        with self._lock:
            return self._builds.setdefault(community_id, threading.Lock())

    def _swap(
        self,
        community_id: int,
        points: Points,
        *,
        checked: float,
        loaded: float,
        file: Snapshot | None = None,
    ) -> None:
        """Serve `points` from now on (checked: time.monotonic() of the data's check; file:
        the snapshot they are mapped from)."""
        new = points is not self._points.get(community_id)
        if new:
            _warm(points)  # before the swap: no request pays the town grids
            release_freed_memory()
        with self._lock:
            if file is not None and file.points is points:
                self._files[community_id] = file.inode
            elif new:
                self._files.pop(community_id, None)
            self._refreshed[community_id] = checked
            self._loaded[community_id] = loaded
            self._points[community_id] = points

    def _adopt(self, community_id: int) -> Points | None:
        """Cold start: map the host's snapshot file if it was loaded within RELOAD_S."""
        found = snapshot_map(snapshot_path(community_id), database=_database())
        now = time.time()
        if found is None or now - found.loaded_at > settings.RONDE_HEATMAP_RELOAD_S:
            return None
        checked = time.monotonic() - max(now - found.checked_at, 0.0)
        self._swap(community_id, found.points, checked=checked, loaded=found.loaded_at, file=found)
        return found.points

    def _refresh(self, community_id: int, max_age: float | None = None) -> Points:
        """Build the next version and swap it in (the caller holds the community's build
        lock; the snapshot file's lock makes it one build at a time on the host)."""
        max_age = settings.RONDE_HEATMAP_REFRESH_S if max_age is None else max_age
        path, database = snapshot_path(community_id), _database()
        asked = np.inf  # loads from before this time are due a reload
        if settings.RONDE_HEATMAP_LOADER_PROCESS and self._reload_due(community_id):
            asked = time.time()
            _load_in_a_process(community_id)  # then mapped below; if it failed, loaded below
        with snapshot_lock(path):
            started, now = time.monotonic(), time.time()
            on_disk = snapshot_map(path, database=database)
            base: Points | None
            file: Snapshot | None
            if on_disk is not None:
                base, loaded = on_disk.points, on_disk.loaded_at
            else:
                base, loaded = self._points.get(community_id), self._loaded.get(community_id, now)
            if base is None or (now - loaded > settings.RONDE_HEATMAP_RELOAD_S and loaded < asked):
                fresh, loaded = points_load(community_id), now
            elif on_disk is not None and now - on_disk.checked_at < max_age:
                fresh = base  # another worker has just checked it
            else:
                fresh = points_merge(base, community_id)
            if on_disk is not None and base is not None and fresh.id is base.id:
                # Nothing to draw changed (the mark may have moved over rows that are not
                # done: they are read again next time, the file is not rewritten for them).
                fresh, file = base, on_disk
                if now - on_disk.checked_at >= max_age:
                    snapshot_touch(path)
                current = self._points.get(community_id)
                if current is not None and self._files.get(community_id) == on_disk.inode:
                    fresh, file = current, None  # the file this worker maps already
            else:
                file = _stored(path, fresh, loaded=loaded, database=database)
                fresh = fresh if file is None else file.points
        self._swap(community_id, fresh, checked=started, loaded=loaded, file=file)
        return fresh

    def _reload_due(self, community_id: int) -> bool:
        """Whether the next refresh is a reload (no points, or loaded over RELOAD_S ago)."""
        found = snapshot_map(snapshot_path(community_id), database=_database())
        loaded = found.loaded_at if found is not None else self._loaded.get(community_id)
        return loaded is None or time.time() - loaded > settings.RONDE_HEATMAP_RELOAD_S

    def _start(self, community_id: int) -> None:
        with self._lock:
            if community_id in self._threads:
                return  # one under way: this request serves what there is
            thread = threading.Thread(
                target=self._background, args=(community_id,), name=f"heatmap-{community_id}", daemon=True
            )
            self._threads[community_id] = thread
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: the next stale request tries again
            logger.exception("heatmap: could not start the refresh of community %s", community_id)
            with self._lock:
                self._threads.pop(community_id, None)

    def _background(self, community_id: int) -> None:
        try:
            with self._build_lock(community_id):
                self._refresh(community_id)
        except Exception:  # logged, retried after the refresh window: requests keep the old points
            logger.exception("heatmap: refreshing the points of community %s failed", community_id)
            with self._lock:
                if community_id in self._refreshed:
                    self._refreshed[community_id] = time.monotonic()
        finally:
            connections.close_all()  # this thread's own connection
            with self._lock:
                self._threads.pop(community_id, None)

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait for the background refreshes under way (tests, benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                threads = list(self._threads.values())
            if not threads:
                return True
            threads[0].join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                return not any(t.is_alive() for t in threads)

    def forget(self, community_id: int | None = None) -> None:
        """Drop this worker's points (the host's snapshot files stay)."""
        with self._lock:
            if community_id is None:
                self._points.clear()
            else:
                self._points.pop(community_id, None)


def _database() -> str:
    return str(connection.settings_dict["NAME"])


def snapshot_path(community_id: int) -> Path:
    """The host's snapshot file of a community (one folder per database)."""
    return Path(settings.RONDE_HEATMAP_DIR) / _database() / f"community-{community_id}.points"


def snapshot_reload(community_id: int, *, loaded_before: float | None = None) -> bool:
    """Load the points (points_load) and write them as the host's snapshot file, unless the
    file was loaded after `loaded_before` (another loader came first). What the
    heatmap_snapshot command (the separate loader process) does; True if written."""
    path, database = snapshot_path(community_id), _database()
    with snapshot_lock(path):
        found = snapshot_map(path, database=database)
        if loaded_before is not None and found is not None and found.loaded_at > loaded_before:
            return False
        loaded = time.time()
        snapshot_write(path, points_load(community_id), loaded_at=loaded, database=database)
    return True


def _load_in_a_process(community_id: int) -> None:
    """snapshot_reload in a child process (manage.py heatmap_snapshot), the caller waiting:
    the load's ~600 MB at 10M points never enter a worker's own memory."""
    argv = [sys.executable, str(settings.BASE_DIR / "manage.py"), "heatmap_snapshot",
            "--community-id", str(community_id), "--loaded-before", repr(time.time())]  # fmt: skip
    try:
        subprocess.run(argv, check=True, timeout=LOADER_TIMEOUT_S, stdin=subprocess.DEVNULL)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        logger.exception("heatmap: the loader process failed for community %s; loading here", community_id)


def _stored(path: Path, points: Points, *, loaded: float, database: str) -> Snapshot | None:
    """`points` written as the host's snapshot file and mapped back (the caller then drops
    its private arrays); None when the file cannot be written (the caller keeps them)."""
    try:
        snapshot_write(path, points, loaded_at=loaded, database=database)
    except OSError:
        logger.warning("heatmap: could not write the snapshot file %s", path, exc_info=True)
        return None
    return snapshot_map(path, database=database)


# One per worker process.
STORE = PointStore()
