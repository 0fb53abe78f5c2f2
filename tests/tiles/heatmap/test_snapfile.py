"""The heatmap snapshot file: written atomically, mapped by a worker, swapped by a reload.

Correctness only (no timings: benchmarks/heatmap_10m.py measures cold start and memory).
"""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.dashboards.helpers import cleaning
from tests.factories import CategoryFactory
from tests.tiles.heatmap.test_refresher import NAMES, _rows
from tiles.heatmap import bins, snapfile, store
from tiles.heatmap.bins import town_finest
from tiles.heatmap.filters import HeatmapFilters
from tiles.heatmap.points import points_build
from tiles.heatmap.snapfile import snapshot_lock, snapshot_map, snapshot_write
from tiles.heatmap.store import STORE, PointStore, snapshot_path


def _points(seed: int = 1, n: int = 500):
    rng = np.random.default_rng(seed)
    return points_build(_rows(rng, np.arange(1, n + 1) * 3, 5000), 1234.5)


def test_a_written_file_maps_back_to_the_same_points(tmp_path):
    points = _points()
    path = tmp_path / "community-1.points"
    snapshot_write(path, points, loaded_at=111.0, database="db")
    found = snapshot_map(path, database="db")
    assert found is not None and found.loaded_at == 111.0
    assert found.points.high_water == 1234.5 and found.points.version == points.version
    for name in NAMES:
        got, want = getattr(found.points, name), getattr(points, name)
        assert got.dtype == want.dtype and np.array_equal(got, want), name
        assert not got.flags.writeable  # the page cache's pages, never written through
    assert found.points.columns[0] == points.columns[0]
    assert np.array_equal(found.points.columns[1], points.columns[1])
    assert sorted(os.listdir(tmp_path)) == ["community-1.points"]  # no temporary file left
    assert found.town is None


def test_the_town_grid_is_stored_and_mapped_back(tmp_path):
    points = _points()
    town = town_finest(points, HeatmapFilters())
    assert town is not None
    path = tmp_path / "community-1.points"
    snapshot_write(path, points, loaded_at=1.0, database="db", town=town)
    found = snapshot_map(path, database="db")
    assert found is not None and found.town is not None
    assert found.town[0] == town[0] and found.town[2:] == town[2:]
    assert np.array_equal(found.town[1], town[1]) and found.town[1].dtype == np.float64
    assert np.array_equal(found.points.x, points.x)


def test_an_empty_store_round_trips(tmp_path):
    points = _points(n=0)
    path = tmp_path / "community-1.points"
    snapshot_write(path, points, loaded_at=1.0, database="db")
    found = snapshot_map(path, database="db")
    assert found is not None and len(found.points) == 0 and found.points.columns[1].tolist() == [0]


def test_a_file_that_is_not_a_whole_snapshot_of_this_database_is_ignored(tmp_path):
    path = tmp_path / "community-1.points"
    assert snapshot_map(path, database="db") is None  # no file
    snapshot_write(path, _points(), loaded_at=1.0, database="db")
    assert snapshot_map(path, database="other") is None  # another database's ids
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])  # cut short
    assert snapshot_map(path, database="db") is None
    path.write_bytes(b"NOTASNAP" + data[8:])
    assert snapshot_map(path, database="db") is None
    path.write_bytes(b"")
    assert snapshot_map(path, database="db") is None


def test_a_rewrite_replaces_the_file_whole_and_a_reader_keeps_the_old_mapping(tmp_path):
    path = tmp_path / "community-1.points"
    old, new = _points(1), _points(2, n=700)
    snapshot_write(path, old, loaded_at=1.0, database="db")
    mapped = snapshot_map(path, database="db")
    snapshot_write(path, new, loaded_at=2.0, database="db")
    again = snapshot_map(path, database="db")
    assert mapped is not None and again is not None and again.inode != mapped.inode  # a new inode
    assert np.array_equal(mapped.points.x, old.x)  # the old pages stay readable, unchanged
    assert np.array_equal(again.points.x, new.x) and again.loaded_at == 2.0


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "community-1.points"
    snapshot_write(path, _points(1), loaded_at=1.0, database="db")
    before = path.read_bytes()

    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapfile.os, "replace", disk_full)
    with pytest.raises(OSError):
        snapshot_write(path, _points(2), loaded_at=2.0, database="db")
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["community-1.points"]


def test_the_lock_lets_one_writer_at_a_time(tmp_path):
    path = tmp_path / "community-1.points"
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait(5)
        with snapshot_lock(path):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with snapshot_lock(path):
        inside.set()
        time.sleep(0.3)  # the other thread waits on the lock meanwhile
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]


def test_another_process_maps_the_file_a_worker_wrote(community):
    tag = CategoryFactory(community=community)
    for i in range(3):
        cleaning(community, tag, day="2025-01-10", dx=9 * i)
    points = STORE.get(community.pk)
    path = snapshot_path(community.pk)
    assert path.exists()
    code = (
        "import sys; from pathlib import Path; from tiles.heatmap.snapfile import snapshot_map; "
        f"s = snapshot_map(Path(sys.argv[1]), database={store._database()!r}); "
        "print(len(s.points), s.points.version, int(s.points.x.sum()))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["3", points.version, str(int(points.x.astype(np.int64).sum()))]


def test_a_worker_starting_cold_maps_the_file_without_loading(community, monkeypatch):
    tag = CategoryFactory(community=community)
    cleaning(community, tag, day="2025-01-10")
    first = PointStore()  # a worker
    loaded = first.get(community.pk)
    second = PointStore()  # another worker of the host, starting

    def no_load(*_args, **_kwargs):
        raise AssertionError("the second worker read the interventions")

    monkeypatch.setattr(store, "points_load", no_load)
    monkeypatch.setattr(store, "points_merge", no_load)
    monkeypatch.setattr(bins, "town_finest", no_load)  # the town grids come with the file
    with override_settings(RONDE_HEATMAP_BACKGROUND=True):
        mapped = second.get(community.pk)
    assert mapped.version == loaded.version and not mapped.x.flags.writeable
    key = (id(mapped), mapped.version, "count", (), None, None, None)
    assert bins._town_grids[key][10][0].sum() == 1


def test_a_merge_by_one_worker_is_mapped_by_the_other_without_merging_again(community, monkeypatch):
    tag = CategoryFactory(community=community)
    cleaning(community, tag, day="2025-01-10")
    one, two = PointStore(), PointStore()
    assert len(one.get(community.pk)) == len(two.get(community.pk)) == 1
    cleaning(community, tag, day="2025-01-11", dx=30)
    merges = []
    real = store.points_merge

    def counted(points, community_id):
        merges.append(community_id)
        return real(points, community_id)

    monkeypatch.setattr(store, "points_merge", counted)
    merged = one.get(community.pk, max_age=0)  # stale: merges and writes the next file
    two._refreshed[community.pk] -= 3600  # the other worker's points are an hour old
    again = two.get(community.pk, max_age=60)  # stale, but the file was checked just now
    assert len(merged) == len(again) == 2 and merges == [community.pk]
    assert again.version == merged.version


@pytest.mark.django_db(transaction=True)
def test_a_reload_swaps_in_a_new_file_and_the_old_points_stay_readable(community):
    tag = CategoryFactory(community=community)
    first = cleaning(community, tag, day="2025-01-10")
    cleaning(community, tag, day="2025-01-11", dx=30)
    old = STORE.get(community.pk)
    old_x = old.x.copy()
    path = snapshot_path(community.pk)
    inode, gone = os.stat(path).st_ino, first.pk
    first.delete()  # a hard deletion: only a reload catches it
    with override_settings(RONDE_HEATMAP_RELOAD_S=0):
        new = STORE.get(community.pk, max_age=0)
    assert len(new) == 1 and gone not in new.id
    assert os.stat(path).st_ino != inode  # renamed over the old file
    assert np.array_equal(old.x, old_x) and gone in old.id  # a reader of the old one is unharmed
    assert not [key for key in bins._town_grids if key[0] == id(old)]  # its town grids dropped
    assert [key for key in bins._town_grids if key[0] == id(new)]
    assert not [name for name in os.listdir(path.parent) if name.endswith(".tmp")]


@pytest.mark.django_db(transaction=True)
def test_the_loader_command_writes_the_file_the_workers_then_map(community):
    tag = CategoryFactory(community=community)
    cleaning(community, tag, day="2025-01-10")
    path = snapshot_path(community.pk)
    call_command("heatmap_snapshot", "--community", community.slug, stdout=open(os.devnull, "w"))  # noqa: SIM115
    found = snapshot_map(path, database=store._database())
    assert found is not None and len(found.points) == 1
    # Another loader that started before this load skips it.
    call_command(
        "heatmap_snapshot", "--community-id", str(community.pk), "--loaded-before", str(found.loaded_at - 1),
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )  # fmt: skip
    assert os.stat(path).st_ino == found.inode[1]
    with override_settings(RONDE_HEATMAP_BACKGROUND=True):
        assert STORE.get(community.pk).version == found.points.version


def test_a_worker_due_to_reload_runs_the_loader_process_and_maps_its_file(community, monkeypatch):
    tag = CategoryFactory(community=community)
    cleaning(community, tag, day="2025-01-10")
    runs: list[list[str]] = []
    in_child: list[bool] = []
    real_load = store.points_load

    def load(*args, **kwargs):
        assert in_child, "loaded in the worker's own memory"
        return real_load(*args, **kwargs)

    def child(argv, **_kwargs):  # the child process, run here (it would not see the test's transaction)
        runs.append(argv)
        assert argv[1].endswith("manage.py") and argv[2] == "heatmap_snapshot"
        in_child.append(True)
        try:
            call_command(*argv[2:], stdout=open(os.devnull, "w"))  # noqa: SIM115
        finally:
            in_child.pop()

    monkeypatch.setattr(store.subprocess, "run", child)
    monkeypatch.setattr(store, "points_load", load)
    with override_settings(RONDE_HEATMAP_LOADER_PROCESS=True):
        first = STORE.get(community.pk)  # no file yet: the loader writes it
        cleaning(community, tag, day="2025-01-11", dx=30)
        with override_settings(RONDE_HEATMAP_RELOAD_S=0):
            reloaded = STORE.get(community.pk, max_age=0)
    assert len(runs) == 2 and len(first) == 1 and len(reloaded) == 2
    assert not reloaded.x.flags.writeable  # mapped from the file the loader wrote
