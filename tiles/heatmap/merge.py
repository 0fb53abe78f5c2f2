"""Merging a few changed rows into the sorted point columns without sorting them again.

Why: a refresh merges the interventions changed in the last RONDE_HEATMAP_REFRESH_S (tens
to hundreds of rows); sorting all the points again cost ~4–5 s at 10M. Here the changed
rows' old versions are dropped by a mask, the new ones sorted among themselves and inserted
at their binary-searched places (one search per zoom-16 column of the store's index), and
the returns flag recomputed only at the sites the change touched: O(n) copies, no O(n log n).

The result is exactly what a full stable sort of (kept rows, then new rows) gives, which is
how every merge was done before (points.points_build; tests/tiles/heatmap/test_refresher.py
compares both on random changes).
"""

import numpy as np

from .points import COL_SHIFT, COLUMNS, Points, points_build, points_order, site_returns

# Above this share of the store changed, a full sort is as cheap as many insertions.
FULL_SORT_SHARE = 0.05
# Up to this many runs of kept rows, slice copies; beyond, boolean masks.
MAX_RUNS = 20_000


def _positions(points: Points, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For (x, y) sorted by points_order: the index in `points` after every row of an equal
    or smaller key (searchsorted side='right' on the store's (column, y) key)."""
    first, starts = points.columns
    last = first + starts.size - 2  # the store's last column
    cols = (x >> COL_SHIFT).astype(np.int64)
    out = np.empty(x.size, dtype=np.int64)
    before, after = cols < first, cols > last
    out[before], out[after] = 0, len(points)
    inside = np.flatnonzero(~(before | after))
    if inside.size:
        # The new rows are sorted by column: one search per column they fall in.
        bounds = np.flatnonzero(np.diff(cols[inside])) + 1
        for group in np.split(inside, bounds):
            k = int(cols[group[0]]) - first
            lo, hi = int(starts[k]), int(starts[k + 1])
            out[group] = lo + np.searchsorted(points.y[lo:hi], y[group], side="right")
    return out


def points_combine(
    points: Points, drop: np.ndarray, fresh: dict[str, np.ndarray], high_water: float, *, full: bool = False
) -> Points:
    """`points` without the rows where `drop` is True, plus the `fresh` rows (columns as
    store._columns makes them, any order), in the store's order, with the returns
    flag up to date. full=True: the old way (one stable sort of everything)."""
    kept = len(points) - int(np.count_nonzero(drop))
    n_fresh = int(fresh["id"].size)
    if full or n_fresh + len(points) - kept > FULL_SORT_SHARE * len(points):
        keep = ~drop
        every = {name: np.concatenate([getattr(points, name)[keep], fresh[name]]) for name in fresh}
        return points_build(every, high_water)
    order = points_order(fresh["x"], fresh["y"])  # stable: ties keep the rows' read order
    new = {name: fresh[name][order] for name in fresh}
    dropped = np.flatnonzero(drop)
    before = _positions(points, new["x"], new["y"])  # new row j goes before old row before[j]
    # Final indices of the new rows: kept rows before them, plus the new rows before them. A
    # stable sort of (kept, fresh) puts a new row after kept rows of an equal key, hence
    # side='right' in _positions.
    at = before - np.searchsorted(dropped, before, side="left") + np.arange(n_fresh)
    total = kept + n_fresh
    cols = {name: np.empty(total, dtype=getattr(points, name).dtype) for name in COLUMNS}
    # The kept old rows come in runs between the dropped rows and insertion points, each run
    # moved by a constant: one slice copy per run and column (a few hundred for a refresh).
    cuts = np.unique(np.concatenate([[0, len(points)], dropped, dropped + 1, before]))
    starts, ends = cuts[:-1], cuts[1:]
    run = ~np.isin(starts, dropped)
    starts, ends = starts[run], ends[run]
    dest = (
        starts - np.searchsorted(dropped, starts, side="left") + np.searchsorted(before, starts, side="right")
    )
    if starts.size <= MAX_RUNS:
        for name, col in cols.items():
            old = getattr(points, name)
            for a, b, d in zip(starts.tolist(), ends.tolist(), dest.tolist(), strict=True):
                col[d : d + b - a] = old[a:b]
    else:  # many scattered changes: masks (two passes per column) beat a Python loop
        slots = np.ones(total, dtype=bool)
        slots[at] = False
        for name, col in cols.items():
            col[slots] = np.delete(getattr(points, name), dropped)
    for name, col in cols.items():
        col[at] = new[name] if name != "ret" else False
    # A return depends on the other removals at the same site only: recompute those sites
    # (a lookup table over the site ids: one gather, no sort of the store).
    sites = np.unique(np.concatenate([points.asset[dropped], new["asset"]]))
    sites = sites[sites > 0]
    if sites.size:
        table = np.zeros(max(int(cols["asset"].max()), int(sites[-1])) + 1, dtype=bool)
        table[sites] = True
        rows = np.flatnonzero(table[np.maximum(cols["asset"], 0)])
        cols["ret"][rows] = site_returns(
            cols["asset"][rows], cols["tag"][rows], cols["day"][rows], cols["id"][rows]
        )
    return Points(high_water=high_water, **cols)
