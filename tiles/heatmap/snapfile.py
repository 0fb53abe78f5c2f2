"""The point snapshot as a file every worker of the host maps (shared memory via the page cache).

Why: at 10M points a worker's columns are ~340 MB. Read from the database snapshot into
private memory, each worker held its own copy (~600 MB with the temporaries), a cold start
cost 2.6–3.2 s, and a reload held the old and the new copy at once. Mapped from one file,
the pages are the OS page cache's: a cold start is a few page-table entries (the pages are
read on first use, and usually already cached), every worker on the host shares them (PSS,
not RSS, is what a worker costs), and a reload maps the new file and drops the old mapping.

Layout (little-endian): MAGIC, header length (uint32), a JSON header (rows, high_water,
loaded_at, database, the columns' names, dtypes and offsets), then each column at a 64-byte
aligned offset, then the zoom-16 column index of points.Points.columns (int64). A file is
written whole to a temporary name in the same folder and renamed over the old one (atomic:
a reader opens either the old inode or the new one, never a half-written file; a worker that
mapped the old one keeps reading it until it maps the new). The file's mtime says when a
worker last checked it against the interventions (store.py touches it when nothing changed).
It is a cache: anything odd (wrong magic, size, layout, database) and it is ignored, the
store then loads as it would without it.
"""

import contextlib
import fcntl
import json
import logging
import mmap
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .points import COLUMNS, Points

MAGIC = b"RONDEHM1"
ALIGN = 64
# dtype of each column on disk (points.Points' dtypes, explicitly little-endian).
DTYPES = {
    "id": "<i8", "x": "<u4", "y": "<u4", "day": "<u2", "cat": "<i4", "team": "<i4", "asset": "<i4",
    "m2": "<f4", "tag": "|b1", "ret": "|b1",
}  # fmt: skip
INDEX = "columns"  # the zoom-16 column index (points.Points.columns), stored after the columns
TOWN = "town"  # the default map's finest town grid (float64, bins.town_finest), if given
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """A mapped snapshot file: its points (read-only arrays over the mapping) and dates."""

    points: Points
    loaded_at: float  # epoch seconds: when the load from the interventions it comes from began
    checked_at: float  # epoch seconds (the file's mtime): last checked against the interventions
    inode: tuple[int, int]  # (st_dev, st_ino): the same file in two workers, the same points
    town: tuple[int, np.ndarray, int, int] | None = None  # (zoom, grid, x0, y0): bins.town_finest


def _aligned(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


def snapshot_write(
    path: Path,
    points: Points,
    *,
    loaded_at: float,
    database: str,
    town: tuple[int, np.ndarray, int, int] | None = None,
) -> None:
    """Write `points` to `path` atomically (a temporary file in the same folder, renamed),
    with the town grid when given (a worker mapping the file then skips the pass over
    every point that computes it: the cold start no longer grows with the points)."""
    first, starts = points.columns
    arrays = [(name, np.ascontiguousarray(getattr(points, name), dtype=DTYPES[name])) for name in COLUMNS]
    arrays.append((INDEX, np.ascontiguousarray(starts, dtype="<i8")))
    town_header = None
    if town is not None:
        zoom, grid, x0, y0 = town
        arrays.append((TOWN, np.ascontiguousarray(grid, dtype="<f8").ravel()))
        town_header = {"zoom": zoom, "x0": x0, "y0": y0, "height": grid.shape[0], "width": grid.shape[1]}
    columns: list[tuple[str, str, int]] = []
    offset = 0
    for name, array in arrays:
        columns.append((name, array.dtype.str, offset))
        offset = _aligned(offset + array.nbytes)
    header = json.dumps(
        {
            "rows": len(points),
            "high_water": points.high_water,
            "loaded_at": loaded_at,
            "database": database,
            "first": first,
            "index_size": int(starts.size),
            "columns": columns,
            "town": town_header,
        }  # fmt: skip
    ).encode()
    start = _aligned(len(MAGIC) + 4 + len(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + len(header).to_bytes(4, "little") + header)
            for (_name, array), (_n, _dtype, at) in zip(arrays, columns, strict=True):
                out.seek(start + at)
                out.write(array.data.cast("B"))  # the array's own bytes, no copy
            out.truncate(start + offset)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def snapshot_map(path: Path, *, database: str) -> Snapshot | None:
    """The snapshot at `path` mapped read-only, or None (no file, or not one this code wrote
    for this database)."""
    try:
        with open(path, "rb") as file:
            stat = os.fstat(file.fileno())
            head = file.read(len(MAGIC) + 4)
            if len(head) < len(MAGIC) + 4 or head[: len(MAGIC)] != MAGIC:
                return None
            header = json.loads(file.read(int.from_bytes(head[len(MAGIC) :], "little")))
            start = _aligned(file.tell())  # as snapshot_write placed the data
            rows = int(header["rows"])
            layout = {name: (dtype, int(at)) for name, dtype, at in header["columns"]}
            if header["database"] != database or any(layout.get(n, ("",))[0] != DTYPES[n] for n in COLUMNS):
                return None
            sizes = dict.fromkeys(COLUMNS, rows) | {INDEX: int(header["index_size"])}
            town = header.get("town")
            if town is not None:
                sizes[TOWN] = int(town["height"]) * int(town["width"])
            if set(layout) != set(sizes):
                return None
            end = max(at + sizes[name] * np.dtype(dtype).itemsize for name, (dtype, at) in layout.items())
            if stat.st_size < start + end or stat.st_size == 0:
                return None  # cut short (a crash before the data reached the disk, say)
            # The mapping outlives the file object (and the file's name: a rename or unlink
            # leaves the mapped inode readable); the arrays keep it alive, the last one to go unmaps it.
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    cols = {
        name: np.frombuffer(mapped, dtype=dtype, count=sizes[name], offset=start + at)
        for name, (dtype, at) in layout.items()
    }
    index = cols.pop(INDEX)
    grid = cols.pop(TOWN, None)
    points = Points(high_water=float(header["high_water"]), **cols)
    points.__dict__["columns"] = (int(header["first"]), index)  # the cached_property, precomputed
    return Snapshot(
        points=points,
        loaded_at=float(header["loaded_at"]),
        checked_at=stat.st_mtime,
        inode=(stat.st_dev, stat.st_ino),
        town=None
        if grid is None
        else (
            int(town["zoom"]),
            grid.reshape(int(town["height"]), int(town["width"])),
            int(town["x0"]),
            int(town["y0"]),
        ),
    )


def snapshot_touch(path: Path) -> None:
    """Record that the snapshot was just found up to date (its mtime)."""
    with contextlib.suppress(OSError):
        os.utime(path)


@contextlib.contextmanager
def snapshot_lock(path: Path) -> Iterator[None]:
    """One writer at a time for `path`, across the host's processes (flock on a lock file
    beside it; released when the holder exits, even killed). Without a writable folder, no
    lock (and no file: the store keeps its points in memory)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        logger.warning("heatmap: no snapshot lock at %s", path, exc_info=True)
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
