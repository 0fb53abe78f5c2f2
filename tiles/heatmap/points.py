"""The value the heatmap is drawn from: a community's done interventions as sorted numpy columns.

Columns (one entry per done intervention): x, y world pixel coordinates at zoom 22
(uint32, EPSG:3857, y southwards), day (uint16, local date of ended_at, days since
2000-01-01), category, team (int32, 0 = none), m2 (float32), ret (bool: a tag removal at a
site cleaned before, i.e. a return), plus id and asset (for updates and returns).
About 36 bytes per point: ~36 MB for 1M.

Rows are sorted by (column, y), a column being the width of a zoom-16 tile (COL_SHIFT): a
tile at z14–22 is a few binary searches on y, one per column it spans, and touches only its
own points (not the whole north–south strip of the town). store.py reads them, merge.py
folds changes in, bins.py bins them into pixels.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

ZREF = 22  # zoom of the stored pixel coordinates (2^30 px across the world)
COL_SHIFT = ZREF - 16 + 8  # x >> COL_SHIFT: the zoom-16 tile column (~611 m at the equator)
EPOCH_OFFSET = 10957  # days from 1970-01-01 to 2000-01-01

# The columns of Points, in the order the snapshot and merges walk them.
COLUMNS = ("id", "x", "y", "day", "cat", "team", "asset", "m2", "tag", "ret")


@dataclass(frozen=True)
class Points:
    """An immutable snapshot; a refresh swaps in a new one (readers never see a half merge)."""

    id: np.ndarray  # int64
    x: np.ndarray  # uint32; rows sorted by (x >> COL_SHIFT, y): see points_order
    y: np.ndarray  # uint32
    day: np.ndarray  # uint16
    cat: np.ndarray  # int32
    team: np.ndarray  # int32
    asset: np.ndarray  # int32
    m2: np.ndarray  # float32
    tag: np.ndarray  # bool
    ret: np.ndarray  # bool
    high_water: float  # max updated_at seen (epoch seconds)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in COLUMNS)

    @cached_property
    def columns(self) -> tuple[int, np.ndarray]:
        """(first column, starts): rows of column first + k are starts[k]:starts[k + 1]."""
        if len(self) == 0:
            return 0, np.zeros(1, dtype=np.int64)
        cols = self.x >> COL_SHIFT
        first, last = int(cols[0]), int(cols[-1])
        return first, np.searchsorted(cols, np.arange(first, last + 2, dtype=cols.dtype)).astype(np.int64)

    @property
    def version(self) -> str:
        """Same data, same version, in every worker (the heatmap ETag is built on it)."""
        return f"{len(self)}:{self.high_water:.6f}"


def site_returns(asset: np.ndarray, tag: np.ndarray, day: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """True for a tag removal at a site that had an earlier one (ties on a day: by id)."""
    ret = np.zeros(asset.shape[0], dtype=bool)
    on_site = np.flatnonzero(tag & (asset > 0))
    if on_site.size == 0:
        return ret
    order = on_site[np.lexsort((ids[on_site], day[on_site], asset[on_site]))]
    first = np.ones(order.size, dtype=bool)
    first[1:] = asset[order][1:] != asset[order][:-1]
    ret[order[~first]] = True
    return ret


def points_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The row order Points expects: by zoom-16 column, then y (one argsort of a uint64 key)."""
    key = ((x.astype(np.uint64) >> np.uint64(COL_SHIFT)) << np.uint64(32)) | y.astype(np.uint64)
    return np.argsort(key, kind="stable")


def points_build(rows: dict[str, np.ndarray], high_water: float) -> Points:
    """Points from unsorted columns (every column but ret): one full sort, returns computed."""
    order = points_order(rows["x"], rows["y"])
    cols = {name: np.ascontiguousarray(rows[name][order]) for name in rows}
    ret = site_returns(cols["asset"], cols["tag"], cols["day"], cols["id"])
    return Points(high_water=high_water, ret=ret, **cols)
