"""Node locations of an OSM file, in memory bounded by a window rather than by the file.

A regional extract carries tens of millions of nodes; a commune needs tens of thousands.
libosmium's own location indexes keep every node (16 bytes each, in memory) and its id sets
are dense per 4 M ids (gigabytes on sparse OSM ids), so the nodes go through Python once:
those inside the window stay in flat arrays, the others are written to temporary files, where
the few the kept ways need (their ends beyond the window) are looked up with numpy.
"""

import tempfile
from array import array
from contextlib import ExitStack
from typing import Any, BinaryIO

import numpy as np
import osmium

# libosmium's integer coordinates: 1e-7 degree (exact, 4 bytes).
COORD_UNITS = 10_000_000
SPILL_CHUNK = 1_000_000  # nodes per write to (and read from) the temporary files: 16 MB
LonLatBox = tuple[float, float, float, float]  # west, south, east, north (WGS84 degrees)


class WindowNodes(osmium.SimpleHandler):
    """One pass over a file's nodes: inside `window` (None: the world) kept, others spilled.

    Call close() (or use `with`) to delete the temporary files.
    """

    def __init__(self, window: LonLatBox | None) -> None:
        super().__init__()
        box = window or (-180.0, -90.0, 180.0, 90.0)
        self.west, self.south, self.east, self.north = (round(v * COORD_UNITS) for v in box)
        self.ids, self.x, self.y = array("q"), array("i"), array("i")
        self._out_ids, self._out_x, self._out_y = array("q"), array("i"), array("i")
        self._files: tuple[BinaryIO, ...] = ()
        self._temporary = ExitStack()  # the files live as long as the handler (close())

    def node(self, n: Any) -> None:  # a few µs a node: keep it short
        loc = n.location
        x, y = loc.x, loc.y  # an invalid location is 2**31 - 1: outside any window
        if self.west <= x <= self.east and self.south <= y <= self.north:
            self.ids.append(n.id)
            self.x.append(x)
            self.y.append(y)
        else:
            out = self._out_ids
            out.append(n.id)
            self._out_x.append(x)
            self._out_y.append(y)
            if len(out) >= SPILL_CHUNK:
                self._spill()

    def _spill(self) -> None:
        if not self._files:
            self._files = tuple(self._temporary.enter_context(tempfile.TemporaryFile()) for _ in range(3))  # noqa: SIM115 (closed by close())
        for values, file in zip((self._out_ids, self._out_x, self._out_y), self._files, strict=True):
            values.tofile(file)
            del values[:]

    def inside(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ids, x, y) of the nodes inside the window (file order)."""
        return (
            np.frombuffer(self.ids, dtype=np.int64),
            np.frombuffer(self.x, dtype=np.int32),
            np.frombuffer(self.y, dtype=np.int32),
        )

    def outside(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ids, x, y) of the `wanted` nodes found outside the window (valid locations only)."""
        found = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32))]
        if not len(wanted):
            return found[0]

        def take(ids: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
            hit = np.isin(ids, wanted) & (np.abs(x) <= 180 * COORD_UNITS) & (np.abs(y) <= 90 * COORD_UNITS)
            found.append((ids[hit], x[hit], y[hit]))

        if self._files:
            for file in self._files:
                file.seek(0)
            ids_f, x_f, y_f = self._files
            while len(ids := np.fromfile(ids_f, dtype=np.int64, count=SPILL_CHUNK)):
                take(
                    ids,
                    np.fromfile(x_f, dtype=np.int32, count=len(ids)),
                    np.fromfile(y_f, dtype=np.int32, count=len(ids)),
                )
        take(
            *(
                np.frombuffer(a, dtype=t)
                for a, t in ((self._out_ids, np.int64), (self._out_x, np.int32), (self._out_y, np.int32))
            )
        )
        return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))  # type: ignore[return-value]

    def close(self) -> None:
        self._temporary.close()
        self._files = ()

    def __enter__(self) -> "WindowNodes":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sorted_locations(*parts: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(sorted ids, (n, 2) lon/lat in degrees) of (ids, x, y) parts."""
    ids = np.concatenate([p[0] for p in parts])
    order = np.argsort(ids, kind="stable")
    x = np.concatenate([p[1] for p in parts])[order]
    y = np.concatenate([p[2] for p in parts])[order]
    return ids[order], np.column_stack([x, y]).astype(np.float64) / COORD_UNITS
