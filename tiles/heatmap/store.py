"""The points heatmap tiles are binned from (points.Points), per community, shared by the
workers of a machine and refreshed off the request path.

Why: binning 1M points in SQL costs 36 ms (z14) to 0.9 s (z10) per tile; numpy over points
held in memory costs 1.5–13 ms. The done interventions are small fixed-width numpy columns
sorted by (column, y) (points.py says which columns and why that order), ~34 bytes per
point: ~34 MB at 1M, ~340 MB at 10M, in a snapshot file every worker maps (snapfile.py:
one copy in the page cache for all of them; a cold start maps it instead of reading it).

Freshness: a request older than settings.RONDE_HEATMAP_REFRESH_S since the last refresh
starts a background re-read of the rows updated since the high-water mark, merged
(loader.py); every RONDE_HEATMAP_RELOAD_S everything is reloaded (this catches deletions),
by a separate process (manage.py heatmap_snapshot) so that no worker holds the load's
memory. One process at a time writes the next file; see PointStore.
"""

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, connections

from .bins import town_finest, town_forget, town_pyramid
from .filters import HeatmapFilters
from .loader import points_load, points_merge, release_freed_memory
from .points import Points
from .snapfile import Snapshot, snapshot_lock, snapshot_map, snapshot_touch, snapshot_write

LOADER_TIMEOUT_S = 600  # a 10M-point load takes 15–26 s
logger = logging.getLogger(__name__)


def _warm(points: Points, file: Snapshot | None = None) -> None:
    """Bin the default map's town grids (every done intervention, by count: what most tiles
    show) with the load, so that no low-zoom tile request pays the pass over every point;
    from the file's stored grid when it has one (no pass at all)."""
    town = file.town if file is not None and file.points is points else None
    town_pyramid(points, HeatmapFilters(), finest=town)


def _write(path: Path, points: Points, *, loaded: float, database: str) -> None:
    """The snapshot file, with the default map's finest town grid."""
    town = town_finest(points, HeatmapFilters())
    snapshot_write(path, points, loaded_at=loaded, database=database, town=town)


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
            _warm(points, file)  # before the swap: no request pays the town grids
            release_freed_memory()
        with self._lock:
            replaced = self._points.get(community_id)
            if new and replaced is not None:
                town_forget(replaced)  # requests still drawing them rebuild what they need
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
        _write(path, points_load(community_id), loaded=loaded, database=database)
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
        _write(path, points, loaded=loaded, database=database)
    except OSError:
        logger.warning("heatmap: could not write the snapshot file %s", path, exc_info=True)
        return None
    return snapshot_map(path, database=database)


# One per worker process.
STORE = PointStore()
