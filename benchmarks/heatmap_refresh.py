"""Heatmap point store refreshes (in-process, inside the heatmap bench's child process).

- A merge of CHANGED interventions (their updated_at set to now() in the bench database:
  harmless, the rows stay as they were): the read + merge without a full sort (what the
  refresher thread does every RONDE_HEATMAP_REFRESH_S), then the same merge with the old
  full sort, both results compared column by column.
- Tile renders while a full reload from the interventions runs in the store's background
  thread (the worst case: no snapshot), against the same tiles rendered before it: the
  request path must not pay the reload (max tile latency during it ≈ a normal tile).
"""

import time
from typing import Any

import numpy as np

CHANGED = 100
RELOAD_TILES = 60  # tiles rendered (in a loop) while the reload runs


def _touch(community_id: int, ids: np.ndarray) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            # Past the high-water mark even when the seeded data has updated_at in the future
            # (planned work): else the merge would not read them back.
            """
            UPDATE interventions_intervention SET updated_at = GREATEST(now(), (
                SELECT max(updated_at) + interval '1 millisecond' FROM interventions_intervention
                WHERE community_id = %(community)s))
            WHERE community_id = %(community)s AND id = ANY(%(ids)s)
            """,
            {"community": community_id, "ids": [int(i) for i in ids]},
        )


def _render(community_id: int, tiles: list) -> list[float]:
    from tiles.heatmap.filters import HeatmapFilters
    from tiles.heatmap.render import PNG_CACHE, heatmap_tile

    filters = HeatmapFilters()
    out = []
    for z, x, y in tiles:
        PNG_CACHE.clear()  # a render every time, not a cache hit
        t0 = time.perf_counter()
        heatmap_tile(community_id=community_id, z=z, x=x, y=y, filters=filters)
        out.append(time.perf_counter() - t0)
    return out


def refresh_timings(community_id: int, points: Any, tiles: list) -> dict:
    from django.test import override_settings

    from tiles.heatmap import loader, merge, store
    from tiles.heatmap.points import COLUMNS
    from tiles.heatmap.store import STORE, points_merge

    rng = np.random.default_rng(7)
    _touch(community_id, rng.choice(points.id, size=CHANGED, replace=False))
    t0 = time.perf_counter()
    quick = points_merge(points, community_id)
    merge_s = time.perf_counter() - t0
    share, merge.FULL_SORT_SHARE = merge.FULL_SORT_SHARE, -1.0
    try:
        t0 = time.perf_counter()
        full = points_merge(points, community_id)  # the same rows, merged the old way
        full_s = time.perf_counter() - t0
    finally:
        merge.FULL_SORT_SHARE = share
    same = all(np.array_equal(getattr(quick, n), getattr(full, n)) for n in COLUMNS)
    read = int(loader._read(community_id, points.high_water - loader.OVERLAP_S).size)
    del full

    sample = [tiles[i] for i in rng.choice(len(tiles), size=min(RELOAD_TILES, len(tiles)), replace=False)]
    STORE._points[community_id], STORE._refreshed[community_id] = quick, time.monotonic()
    STORE._loaded[community_id] = time.time()
    _render(community_id, sample[:5])  # town grids, caches
    before = _render(community_id, sample)
    real_load = store.points_load

    def from_interventions(community: int, *, use_snapshot: bool = True) -> Any:
        return real_load(community, use_snapshot=False)  # the worst case: no snapshot to read

    store.points_load = from_interventions  # type: ignore[assignment]
    during: list[float] = []
    try:
        # In the store's own thread (the worst case for its requests), not the loader process.
        with override_settings(
            RONDE_HEATMAP_BACKGROUND=True, RONDE_HEATMAP_RELOAD_S=0, RONDE_HEATMAP_LOADER_PROCESS=False
        ):
            t0 = time.perf_counter()
            assert STORE.get(community_id, max_age=0) is quick  # starts the reload, serves at once
            first_s = time.perf_counter() - t0
            while STORE._threads:
                during += _render(community_id, [sample[len(during) % len(sample)]])
            assert STORE.wait(600)
            reload_s = time.perf_counter() - t0
    finally:
        store.points_load = real_load  # type: ignore[assignment]
    swapped = STORE.get(community_id, max_age=3600)
    STORE.forget(community_id)
    return {
        "refresh": {
            "changed": CHANGED, "read": read, "merge_s": merge_s, "full_sort_merge_s": full_s, "same": same,
            "reload_s": reload_s, "trigger_ms": first_s * 1000, "swapped": swapped is not quick,
            "before_ms": sorted(t * 1000 for t in before), "during_ms": sorted(t * 1000 for t in during),
        }
    }  # fmt: skip


def print_refresh(inner: dict, label: str) -> None:
    r = inner["refresh"]
    before, during = r["before_ms"], r["during_ms"]

    def p(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    print(
        f"{label} merge of {r['changed']} changed rows ({r['read']} read back with the overlap; read + merge, no full sort): {r['merge_s'] * 1000:.0f} ms; "
        f"with the full sort {r['full_sort_merge_s'] * 1000:.0f} ms; identical results: {r['same']}",
        flush=True,
    )
    print(
        f"{label} full reload from the interventions in the background thread: {r['reload_s']:.1f} s "
        f"(the request that started it: {r['trigger_ms']:.1f} ms; swapped in: {r['swapped']}); "
        f"tile renders during it: {len(during)}, p50 {p(during, 0.5):.1f} ms, p95 {p(during, 0.95):.1f} ms, "
        f"max {max(during, default=float('nan')):.1f} ms; the same tiles before: p50 {p(before, 0.5):.1f} ms, "
        f"p95 {p(before, 0.95):.1f} ms, max {max(before, default=float('nan')):.1f} ms",
        flush=True,
    )
