"""Read replicas for real: a streaming standby of the test cluster (scripts/replica.sh), and
Ronde's lag-tolerant reads going to it, falling back to the primary past the lag bound or when
it is down (core/replicas.py).

The standby copies the whole test cluster with pg_basebackup, test database included, then
follows it; rows the tests write are committed (transactional_db) so that they replicate.
"""

import logging
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from accounts.models import Role, User
from accounts.services import api_token_create
from benchmarks import harness
from core import replicas
from interventions.models import Report
from tests.factories import CategoryFactory, CommunityFactory, member
from tests.tiles.helpers import decode, url
from tiles.tilemath import lonlat_to_tile

ROOT = Path(settings.BASE_DIR)
ALIAS = "replica_0"
ALIASES = ("replica_0", "replica_1")
POITIERS_LONLAT = (0.3404, 46.5802)  # Poitiers centre, EPSG:4326
pytestmark = [
    pytest.mark.skipif(not Path("/usr/lib/postgresql").exists(), reason="no PostgreSQL binaries"),
    # "__all__" lets the tests read replica_0; as a MIRROR (below) it is never flushed.
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


def _replica_sh(*args: str) -> None:
    subprocess.run([str(ROOT / "scripts" / "replica.sh"), *args], check=True, cwd=ROOT, capture_output=True)


def _on_replica(sql: str, port: int) -> object:
    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
    ) as c:
        row = c.execute(sql).fetchone()
        return row[0] if row else None


@dataclass(frozen=True)
class Replica:
    port: int
    directory: Path
    primary_port: str


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker, tmp_path_factory):
    primary = connections.settings["default"]
    if primary.get("HOST") not in ("127.0.0.1", "localhost"):
        pytest.skip("the replica is copied from a local test cluster (scripts/test.sh)")
    directory = tmp_path_factory.mktemp("replica")
    port = harness.free_port()
    _replica_sh("start", str(directory), str(port), str(primary["PORT"]))
    config = {**primary, "PORT": str(port), "TEST": {**primary["TEST"], "MIRROR": "default"}}
    # Two aliases on the one standby: enough to see reads spread over replicas.
    for alias in ALIASES:
        connections.settings[alias] = settings.DATABASES[alias] = dict(config)
    replicas.forget_health()
    try:
        yield Replica(port=port, directory=directory, primary_port=str(primary["PORT"]))
    finally:
        _replica_sh("destroy", str(directory))
        with django_db_blocker.unblock():
            for alias in ALIASES:
                connections[alias].close()
                connections.settings.pop(alias, None)
                settings.DATABASES.pop(alias, None)
        replicas.forget_health()


@pytest.fixture
def fast_checks(settings):
    settings.RONDE_REPLICA_CHECK_S = 0  # measure the lag at every request
    settings.RONDE_REPLICA_MAX_LAG_S = 3
    replicas.forget_health()
    yield
    replicas.forget_health()


def _wait_replayed(port: int, timeout: float = 20) -> None:
    """Until the standby has replayed everything the primary wrote so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _on_replica(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn", port):
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


def _viewer_and_dispatcher():
    community = CommunityFactory(slug="poitiers", name="Poitiers")
    tag = CategoryFactory(community=community, code="tag", name="Tag", is_tag=True)
    viewer = Client(HTTP_AUTHORIZATION=f"Token {api_token_create(user=member(community, Role.VIEWER))[1]}")
    dispatcher = member(community, Role.DISPATCHER)
    api = Client(HTTP_AUTHORIZATION=f"Token {api_token_create(user=dispatcher)[1]}")
    return tag, viewer, api


def _new_report(api: Client, description: str, category) -> int:
    lon, lat = POITIERS_LONLAT
    response = api.post(
        "/api/v1/reports/",
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"category": category.pk, "description": description},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _ogc_report_ids(viewer: Client) -> tuple[set[int], str]:
    response = viewer.get("/ogc/collections/reports/items", {"f": "json", "limit": "1000"})
    assert response.status_code == 200, response.content
    return {f["id"] for f in response.json()["features"]}, response.get("X-Ronde-Read-From", "")


def test_a_new_report_is_in_the_api_at_once_and_in_ogc_once_replayed(replica, fast_checks):
    tag, viewer, api = _viewer_and_dispatcher()
    report_id = _new_report(api, "Tag sur la porte", tag)
    # The REST API reads its own writes on the primary: there at once.
    listed = api.get("/api/v1/reports/").json()
    assert report_id in {f["id"] for f in listed["features"]}
    _wait_replayed(replica.port)
    ids, source = _ogc_report_ids(viewer)
    assert source == "replica"
    assert report_id in ids


def test_replay_paused_ogc_reads_the_replica_until_the_lag_bound_then_the_primary(
    replica, fast_checks, caplog
):
    tag, viewer, api = _viewer_and_dispatcher()
    before = _new_report(api, "Avant la pause", tag)
    _wait_replayed(replica.port)
    _on_replica("SELECT pg_wal_replay_pause()", replica.port)
    try:
        paused_at = time.monotonic()
        after = _new_report(api, "Pendant la pause", tag)
        # Within the bound (3 s here): the replica answers, without the new report.
        ids, source = _ogc_report_ids(viewer)
        if time.monotonic() - paused_at < 2.5:
            assert source == "replica"
            assert before in ids and after not in ids
        # Past the bound: the primary answers, with it; the fall-back is logged once.
        time.sleep(max(0.0, 3.5 - (time.monotonic() - paused_at)))
        with caplog.at_level(logging.WARNING, logger="ronde.replicas"):
            for _ in range(3):
                ids, source = _ogc_report_ids(viewer)
                assert source == "primary"
                assert after in ids
        fallbacks = [r.getMessage() for r in caplog.records if "fall back to the primary" in r.getMessage()]
        assert sorted(m.split()[1] for m in fallbacks) == list(ALIASES)  # once per replica
    finally:
        _on_replica("SELECT pg_wal_replay_resume()", replica.port)
    _wait_replayed(replica.port)
    ids, source = _ogc_report_ids(viewer)
    assert source == "replica" and after in ids


def test_a_replica_down_never_fails_a_request(replica, fast_checks, caplog):
    tag, viewer, api = _viewer_and_dispatcher()
    report_id = _new_report(api, "Replica arrêtée", tag)
    _replica_sh("stop", str(replica.directory))
    try:
        with caplog.at_level(logging.WARNING, logger="ronde.replicas"):
            ids, source = _ogc_report_ids(viewer)
        assert source == "primary" and report_id in ids
        assert any("unreachable" in r.getMessage() for r in caplog.records)
    finally:
        _replica_sh("start", str(replica.directory), str(replica.port), str(replica.primary_port))
    _wait_replayed(replica.port)
    ids, source = _ogc_report_ids(viewer)
    assert source == "replica" and report_id in ids


def test_reads_spread_over_replicas_in_turn(replica, fast_checks):
    seen = [replicas.healthy_replica() for _ in range(6)]
    assert set(seen) == set(ALIASES)
    assert all(a != b for a, b in zip(seen, seen[1:], strict=False))


def test_writes_and_the_caller_stay_on_the_primary(replica, fast_checks):
    router = replicas.ReadReplicaRouter()
    with replicas.replica_reads():
        assert router.db_for_read(Report) in ALIASES
        assert router.db_for_read(User) == "default"  # who the caller is: never stale
        assert router.db_for_write(Report) == "default"
    assert router.db_for_read(Report) == "default"  # outside a lag-tolerant request


def _tile_ids(viewer: Client, tile: tuple[int, int, int]) -> tuple[set[int], str, str]:
    response = viewer.get(url("reports", tile), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code in (200, 204), response.content
    layers = decode(response) if response.status_code == 200 else {}
    ids = {f["properties"].get("id", f.get("id")) for layer in layers.values() for f in layer["features"]}
    return ids, response.get("X-Ronde-Read-From", ""), response.get("X-Tile-Cache", "")


def test_tiles_are_built_on_the_replica_and_a_stale_one_is_never_cached(replica, fast_checks):
    tag, viewer, api = _viewer_and_dispatcher()
    first = _new_report(api, "Premier tag", tag)
    _wait_replayed(replica.port)
    tile = (15, *lonlat_to_tile(*POITIERS_LONLAT, 15))
    ids, source, _cache = _tile_ids(viewer, tile)
    assert source == "replica" and first in ids
    _on_replica("SELECT pg_wal_replay_pause()", replica.port)
    try:
        paused_at = time.monotonic()
        second = _new_report(api, "Second tag", tag)  # purges the tile on the primary
        ids, source, _cache = _tile_ids(viewer, tile)
        assert time.monotonic() - paused_at < 2.5, "too slow a machine for this bound"
        assert source == "replica" and second not in ids  # built from the lagging replica...
    finally:
        _on_replica("SELECT pg_wal_replay_resume()", replica.port)
    _wait_replayed(replica.port)
    # ...and not cached: the next request sees the new report.
    ids, _source, _cache = _tile_ids(viewer, tile)
    assert {first, second} <= ids


@pytest.mark.parametrize(
    "path",
    [
        "/dashboards/",
        "/geo/exports/download/?what=reports&format=csv",
        "/ogc/collections/reports/items?f=json",
        "/open311/v2/services.json?jurisdiction_id=poitiers",
    ],
)
def test_lag_tolerant_pages_read_the_replica(replica, fast_checks, path):
    tag, _viewer, _api = _viewer_and_dispatcher()
    browser = Client()
    browser.force_login(member(tag.community, Role.VIEWER))
    _wait_replayed(replica.port)
    response = browser.get(path)
    assert response.status_code == 200, response.content[:300]
    assert response["X-Ronde-Read-From"] == "replica"


def test_the_rest_api_and_writes_read_the_primary(replica, fast_checks):
    _tag, _viewer, api = _viewer_and_dispatcher()
    response = api.get("/api/v1/reports/")
    assert response.status_code == 200
    assert "X-Ronde-Read-From" not in response  # never asked: the primary, as without replicas
