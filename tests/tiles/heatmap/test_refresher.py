"""The heatmap point store refreshed off the request path, and merges without a full sort.

Background tests use transactional_db: the refresher thread has its own connection and must
see the rows the test wrote (committed).
"""

import logging
import threading

import numpy as np
import pytest
from django.db import connections
from django.test import override_settings

from tests.dashboards.helpers import cleaning
from tests.factories import CategoryFactory
from tests.tiles.heatmap.test_tiles import Z, get_png, pixel_of, viewer  # noqa: F401
from tiles.heatmap import merge, store
from tiles.heatmap.merge import points_combine
from tiles.heatmap.points import COL_SHIFT, Points, points_build
from tiles.heatmap.store import STORE

NAMES = ("id", "x", "y", "day", "cat", "team", "asset", "m2", "tag", "ret")


def _rows(rng, ids: np.ndarray, base_x: int) -> dict[str, np.ndarray]:
    """Random rows crowded on few columns and few y values: many equal sort keys."""
    n = ids.size
    col = rng.integers(0, 6, n).astype(np.uint32)
    return {
        "id": ids.astype(np.int64),
        "x": ((np.uint32(base_x) + col) << np.uint32(COL_SHIFT)) + rng.integers(0, 50, n).astype(np.uint32),
        "y": rng.integers(1000, 1040, n).astype(np.uint32),
        "day": rng.integers(0, 40, n).astype(np.uint16),
        "cat": rng.integers(1, 4, n).astype(np.int32),
        "team": rng.integers(0, 3, n).astype(np.int32),
        "asset": rng.integers(0, 30, n).astype(np.int32),
        "m2": rng.random(n).astype(np.float32),
        "tag": rng.random(n) < 0.7,
    }


@pytest.mark.parametrize("seed", range(12))
def test_merging_few_changes_without_resort_equals_the_full_sort(seed, monkeypatch):
    if seed >= 9:
        monkeypatch.setattr(merge, "MAX_RUNS", 3)  # the boolean-mask way
    rng = np.random.default_rng(seed)
    base = 5000
    points = points_build(_rows(rng, rng.permutation(np.arange(1, 3 * base, 3))[:4000], base), 1.0)
    # ~100 changes: rows updated (same id, new place or day), removed, new; new rows also in
    # columns before and after the store's (the first and last insertion places).
    changed = rng.choice(points.id, size=60, replace=False)
    drop = np.isin(points.id, changed)
    fresh_ids = np.concatenate([changed[:40], np.arange(2, 2 + 3 * 50, 3)])
    fresh = _rows(rng, rng.permutation(fresh_ids), base - 2 + seed % 6)
    if seed == 0:
        fresh = {name: col[:0] for name, col in fresh.items()}  # removals only
    if seed == 1:
        drop[:] = False  # additions only
    full = points_combine(points, drop, fresh, 2.0, full=True)

    def no_full_sort(*_args, **_kwargs):
        raise AssertionError("the merge sorted everything again")

    monkeypatch.setattr(merge, "points_build", no_full_sort)
    quick = points_combine(points, drop, fresh, 2.0)
    assert len(quick) == len(full) == len(points) - drop.sum() + fresh["id"].size
    for name in NAMES:
        got, want = getattr(quick, name), getattr(full, name)
        assert got.dtype == want.dtype and np.array_equal(got, want), name
    assert quick.ret.any() and quick.high_water == 2.0
    first, starts = quick.columns
    assert np.array_equal(starts, full.columns[1]) and first == full.columns[0]


def test_many_changes_fall_back_to_the_full_sort(monkeypatch):
    rng = np.random.default_rng(5)
    points = points_build(_rows(rng, np.arange(1, 1001), 5000), 1.0)
    fresh = _rows(rng, np.arange(2000, 2200), 5000)  # 20 % of the store
    calls: list[float] = []

    def counted(rows: dict[str, np.ndarray], high_water: float) -> Points:
        calls.append(high_water)
        return points_build(rows, high_water)

    monkeypatch.setattr(merge, "points_build", counted)
    merged = points_combine(points, np.zeros(len(points), dtype=bool), fresh, 3.0)
    assert calls == [3.0] and len(merged) == 1200


@pytest.fixture
def removal(community):
    tag = CategoryFactory(community=community)
    first = cleaning(community, tag, day="2025-01-10")
    return tag, first


def _held(monkeypatch, name: str):
    """Replace store.<name> by a version that waits for `release` (and records the
    thread's connection), so a test sees what requests get while a build is under way."""
    real = getattr(store, name)
    release, entered, used = threading.Event(), threading.Event(), []

    def held(*args, **kwargs):
        entered.set()
        used.append(connections["default"])
        assert release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, name, held)
    return release, entered, used


@pytest.mark.django_db(transaction=True)
@override_settings(RONDE_HEATMAP_BACKGROUND=True)
def test_a_stale_request_serves_its_points_while_a_thread_merges_the_changes(community, removal, monkeypatch):
    tag, _first = removal
    cold = STORE.get(community.pk)  # no points yet: this request loads them (cold start)
    assert len(cold) == 1 and not STORE._threads
    cleaning(community, tag, day="2025-01-11", dx=40)
    release, entered, used = _held(monkeypatch, "points_merge")
    with override_settings(RONDE_HEATMAP_REFRESH_S=0):
        assert STORE.get(community.pk) is cold  # served at once, the merge runs behind
        assert entered.wait(10)
        assert STORE.get(community.pk) is cold and len(STORE._threads) == 1  # never two at once
    release.set()
    assert STORE.wait(30)
    merged = STORE.get(community.pk, max_age=3600)
    assert len(merged) == 2 and merged is not cold
    assert used[0].connection is None  # the thread closed its own connection
    assert used[0] is not connections["default"]


@pytest.mark.django_db(transaction=True)
@override_settings(RONDE_HEATMAP_BACKGROUND=True)
def test_a_reload_runs_in_the_background_too(community, removal, monkeypatch):
    tag, first = removal
    cold = STORE.get(community.pk)
    first.delete()  # a hard deletion: only a reload catches it
    cleaning(community, tag, day="2025-01-11", dx=40)
    release, entered, _used = _held(monkeypatch, "points_load")
    with override_settings(RONDE_HEATMAP_REFRESH_S=0, RONDE_HEATMAP_RELOAD_S=0):
        assert STORE.get(community.pk) is cold  # the reload runs behind
        assert entered.wait(10)
        assert STORE.get(community.pk) is cold
        release.set()
        assert STORE.wait(30)
    reloaded = STORE.get(community.pk, max_age=3600)
    assert len(reloaded) == 1 and first.pk not in reloaded.id


@pytest.mark.django_db(transaction=True)
@override_settings(RONDE_HEATMAP_BACKGROUND=True)
def test_a_failed_refresh_is_logged_and_the_old_points_stay(community, removal, monkeypatch, caplog):
    cold = STORE.get(community.pk)

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(store, "points_merge", broken)
    with caplog.at_level(logging.ERROR, logger="tiles.heatmap.store"):
        with override_settings(RONDE_HEATMAP_REFRESH_S=0):
            assert STORE.get(community.pk) is cold
        assert STORE.wait(30)
    assert "refreshing the points of community" in caplog.text and "database went away" in caplog.text
    assert STORE.get(community.pk, max_age=3600) is cold and not STORE._threads


@pytest.mark.django_db(transaction=True)
@override_settings(RONDE_HEATMAP_BACKGROUND=True)
def test_a_new_intervention_shows_on_the_tile_after_the_background_refresh(viewer, community, removal):  # noqa: F811
    tag, first = removal
    tx, ty, _col, _row = pixel_of(first.geom)
    response, _image = get_png(viewer, Z, tx, ty)
    second = cleaning(community, tag, day="2025-01-11", dx=40)
    _tx, _ty, col2, row2 = pixel_of(second.geom)
    with override_settings(RONDE_HEATMAP_REFRESH_S=0):
        _r, stale = get_png(viewer, Z, tx, ty)  # starts the refresh, answers with what it has
    assert STORE.wait(30)
    with override_settings(RONDE_HEATMAP_REFRESH_S=3600):
        fresh_response, image = get_png(viewer, Z, tx, ty)
    assert image[row2, col2, 3] > 0 and fresh_response["ETag"] != response["ETag"]
