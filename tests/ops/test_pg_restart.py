"""A PostgreSQL restart in the middle of an agent's sync: the outbox completes, nothing lost.

A throwaway cluster of its own (scripts/pg.sh under var/bench/pg-restart, another port: the
shared dev cluster is never touched), Ronde under gunicorn with production settings, and a
client that sends an outbox the way agent/static/agent/outbox.js does: items in order, an
item leaves the outbox on a 2xx, a 5xx or a network error ends the pass and the pass is
tried again later, any other 4xx is a failure. While it sends, the cluster is restarted.
Afterwards every item is on the server exactly once.
"""

import socket
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from benchmarks import harness
from tests.ops import outbox_drill as drill

ROOT = Path(settings.BASE_DIR)
CLUSTER = ROOT / "var" / "bench" / "pg-restart"
N_ITEMS = 60  # 40 reports and 20 intervention edits
pytestmark = pytest.mark.skipif(not Path("/usr/lib/postgresql").exists(), reason="no PostgreSQL binaries")


def _free_pg_port() -> int:
    for port in range(55400, 55500):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for the throwaway cluster")


def _pg(*args: str) -> None:
    subprocess.run([str(ROOT / "scripts" / "pg.sh"), *args], check=True, cwd=ROOT, capture_output=True)


def _postmaster_pid() -> int:
    return int((CLUSTER / "data" / "postmaster.pid").read_text().split()[0])


@pytest.fixture(scope="module")
def cluster():
    port = _free_pg_port()
    _pg("start", str(CLUSTER), str(port))
    with psycopg.connect(f"postgresql://ronde@127.0.0.1:{port}/postgres", autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS ronde_restart WITH (FORCE)")
        admin.execute("CREATE DATABASE ronde_restart")
    url = f"postgis://ronde@127.0.0.1:{port}/ronde_restart"
    try:
        yield url, port
    finally:
        _pg("destroy", str(CLUSTER))  # throwaway: leaves nothing behind (also under /var/tmp)


def test_outbox_completes_across_a_postgresql_restart(cluster):
    url, port = cluster
    agent = drill.seed_agent(url)
    items = drill.outbox(agent, N_ITEMS)
    log = drill.SyncLog()
    with harness.ronde_server(url, workers=2) as base:
        sender = threading.Thread(target=drill.sync, args=(base, agent["token"], items, log))
        sender.start()
        assert log.halfway.wait(60), "the outbox never got halfway"
        before = _postmaster_pid()
        _pg("stop", str(CLUSTER))
        time.sleep(1.0)  # requests arrive while the database is down
        _pg("start", str(CLUSTER), str(port))
        restarted = _postmaster_pid()
        sender.join(120)

    assert restarted != before  # the database really went away in the middle
    assert not log.client_errors, log.client_errors
    assert log.left == [], f"{len(log.left)} items never reached the server"
    drill.assert_each_item_once(url, items)
    # The restart was felt by the client (errors then retries) or fell between two requests.
    print(f"server errors {len(log.server_errors)}, network errors {len(log.network_errors)}")
