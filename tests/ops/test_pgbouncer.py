"""Ronde behind PgBouncer in transaction pooling, with the settings docs/scaling.md names for it:
prepared statements off (RONDE_DB_PREPARED_STATEMENTS=0) and no tile-hit LISTEN
(RONDE_TILE_HIT_LISTEN=0). The API's happy paths, tiles and an agent's sync go through it.

PgBouncer (Debian's 1.18) refuses the `options` startup parameter that Ronde's settings send
(jit off, no parallel workers for interactive queries): it is told to ignore it, and the same
settings are given to the role instead (docs/scaling.md).
"""

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings

from benchmarks import harness
from tests.ops import outbox_drill as drill

ROOT = Path(settings.BASE_DIR)
DATABASE = "ronde_pgbouncer"
pytestmark = pytest.mark.skipif(
    not shutil.which("pgbouncer"), reason="pgbouncer not installed (scripts/bootstrap.sh)"
)


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@pytest.fixture(scope="module")
def bouncer(tmp_path_factory):
    primary = settings.DATABASES["default"]
    host, port = primary["HOST"], int(primary["PORT"])
    admin_url = f"postgresql://{primary['USER']}@{host}:{port}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
        # What the `options` startup parameter would have set (PgBouncer drops it).
        admin.execute(f"ALTER DATABASE {DATABASE} SET jit = off")
        admin.execute(f"ALTER DATABASE {DATABASE} SET max_parallel_workers_per_gather = 0")
    # Not pytest's tmp_path: PgBouncer runs as postgres, who cannot enter /tmp/pytest-of-root.
    directory = Path("/var/tmp") / f"ronde-pgbouncer-{port}"  # noqa: S108
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o755)
    listen = harness.free_port()
    (directory / "users.txt").write_text(f'"{primary["USER"]}" ""\n')
    (directory / "pgbouncer.ini").write_text(
        f"""[databases]
{DATABASE} = host={host} port={port} dbname={DATABASE}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/users.txt
pool_mode = transaction
default_pool_size = 10
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""
    )
    if os.geteuid() == 0:  # PgBouncer refuses to run as root: it runs as postgres
        shutil.chown(directory, "postgres")
    process = subprocess.Popen(
        _as_postgres(["pgbouncer", str(directory / "pgbouncer.ini")]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                psycopg.connect(f"postgresql://{primary['USER']}@127.0.0.1:{listen}/{DATABASE}").close()
                break
            except psycopg.OperationalError:
                time.sleep(0.1)
        direct = f"postgis://{primary['USER']}@{host}:{port}/{DATABASE}"
        yield direct, f"postgis://{primary['USER']}@127.0.0.1:{listen}/{DATABASE}"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def test_api_tiles_and_sync_through_pgbouncer_in_transaction_pooling(bouncer):
    direct, pooled = bouncer
    agent = drill.seed_agent(direct)  # migrations hold session locks: not through the pooler
    items = drill.outbox(agent, 30)
    log = drill.SyncLog()
    extra = {"RONDE_DB_PREPARED_STATEMENTS": "0", "RONDE_TILE_HIT_LISTEN": "0"}
    with harness.ronde_server(pooled, workers=2, extra_env=extra) as base:
        sender = threading.Thread(
            target=drill.sync, args=(base, agent["token"], items, log), kwargs={"seconds": 60}
        )
        sender.start()
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Token {agent['token']}"}, timeout=20
        ) as api:
            # The agent's own reads: their missions, the reports list, the OpenAPI schema.
            assert api.get("/api/v1/missions/").status_code == 200
            reports = api.get("/api/v1/reports/", params={"page_size": 5})
            assert reports.status_code == 200 and reports.json()["type"] == "FeatureCollection"
            assert api.get("/api/schema/").status_code == 200
            # A tile, twice: built, then answered from the cache (no LISTEN behind a pooler).
            z, x, y = 14, 8207, 5860  # Poitiers, EPSG:3857 grid
            first = api.get(f"/tiles/reports/{z}/{x}/{y}.mvt")
            again = api.get(
                f"/tiles/reports/{z}/{x}/{y}.mvt", headers={"If-None-Match": first.headers.get("ETag", "")}
            )
            assert first.status_code in (200, 204) and again.status_code in (200, 204, 304)
            assert api.get("/ogc/collections", params={"f": "json"}).status_code == 200
            assert api.get("/health/").status_code == 200
        sender.join(90)
    assert not log.client_errors and not log.server_errors, (log.client_errors, log.server_errors)
    assert log.left == []
    drill.assert_each_item_once(direct, items)
