"""A PostgreSQL restart in the middle of an agent's sync: the outbox completes, nothing lost.

A throwaway cluster of its own (scripts/pg.sh under var/bench/pg-restart, another port: the
shared dev cluster is never touched), Ronde under gunicorn with production settings, and a
client that sends an outbox the way agent/static/agent/outbox.js does: items in order, an
item leaves the outbox on a 2xx, a 5xx or a network error ends the pass and the pass is
tried again later, any other 4xx is a failure. While it sends, the cluster is restarted.
Afterwards every item is on the server exactly once.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings

from benchmarks import harness

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


def _seed(url: str) -> dict:
    harness._manage(url, "migrate", "--no-input", "-v", "0")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    code = "import django; django.setup(); from benchmarks.agent_sync import seed; seed(1, 20)"
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT,
                         capture_output=True, text=True)  # fmt: skip
    agent = json.loads(out.stdout.strip().splitlines()[-1])[0]
    with psycopg.connect(harness._libpq(url)) as conn:
        row = conn.execute("SELECT id FROM interventions_category WHERE code = 'tag' "
                           "AND community_id = (SELECT id FROM accounts_community WHERE slug = 'bench-agents')").fetchone()  # fmt: skip
    assert row is not None
    return agent | {"category": row[0]}


def _outbox(agent: dict) -> list[tuple[str, dict]]:
    items: list[tuple[str, dict]] = []
    for i in range(N_ITEMS):
        if i % 3 == 2:
            intervention = agent["interventions"][(i // 3) % len(agent["interventions"])]
            body = {"client_updated_at": f"2024-06-01T10:{i // 60:02d}:{i % 60:02d}+00:00",
                    "intervention_id": intervention, "mission_id": agent["mission"], "status": "done",
                    "surface_m2": "2.00", "method": "hydro", "support": "wall"}  # fmt: skip
            items.append((f"/agent/api/interventions/{uuid.uuid4()}/", body))
        else:
            body = {"category_id": agent["category"], "lon": 0.34 + i * 1e-4, "lat": 46.58, "support": "wall"}
            items.append((f"/agent/api/reports/{uuid.uuid4()}/", body))
    return items


def test_outbox_completes_across_a_postgresql_restart(cluster):
    url, port = cluster
    agent = _seed(url)
    outbox = _outbox(agent)
    log: dict[str, list] = {"server_errors": [], "network_errors": [], "client_errors": []}
    halfway = threading.Event()

    def sync(base: str) -> None:
        pending = list(outbox)
        deadline = time.monotonic() + 90
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Token {agent['token']}"}, timeout=10
        ) as c:
            while pending and time.monotonic() < deadline:
                path, body = pending[0]
                try:
                    response = c.put(path, json=body)
                except httpx.HTTPError as exc:
                    log["network_errors"].append(repr(exc))
                    time.sleep(0.3)  # the pass ends; the next one starts a moment later
                    continue
                if response.is_success:
                    pending.pop(0)
                    if len(pending) == N_ITEMS // 2:
                        halfway.set()
                    time.sleep(0.05)  # an agent's phone, not a benchmark
                elif response.status_code >= 500 or response.status_code == 429:
                    log["server_errors"].append(response.status_code)
                    time.sleep(0.3)
                else:
                    log["client_errors"].append(f"{path}: {response.status_code} {response.text[:200]}")
                    pending.pop(0)
        log["left"] = pending

    with harness.ronde_server(url, workers=2) as base:
        sender = threading.Thread(target=sync, args=(base,))
        sender.start()
        assert halfway.wait(60), "the outbox never got halfway"
        before = _postmaster_pid()
        _pg("stop", str(CLUSTER))
        time.sleep(1.0)  # requests arrive while the database is down
        _pg("start", str(CLUSTER), str(port))
        restarted = _postmaster_pid()
        sender.join(120)

    assert restarted != before  # the database really went away in the middle
    assert not log["client_errors"], log["client_errors"]
    assert log["left"] == [], f"{len(log['left'])} items never reached the server"
    # Each item exactly once: the reports by their client UUIDs, the edits by their keys.
    keys = {p.split("/")[-2] for p, _ in outbox}
    with psycopg.connect(harness._libpq(url)) as conn:
        reports = {str(r[0]) for r in conn.execute("SELECT client_uuid FROM interventions_report "
                                                   "WHERE client_uuid IS NOT NULL").fetchall()}  # fmt: skip
        done = conn.execute(
            "SELECT count(*) FROM interventions_intervention WHERE status = 'done'"
        ).fetchone()
    sent_reports = {k for (p, _), k in zip(outbox, [p.split("/")[-2] for p, _ in outbox], strict=True)
                    if "/reports/" in p}  # fmt: skip
    assert reports == sent_reports
    assert done is not None and done[0] == len(
        {b["intervention_id"] for p, b in outbox if "/interventions/" in p}
    )
    assert len(keys) == N_ITEMS
    # The restart was felt by the client (errors then retries) or fell between two requests.
    print(f"server errors {len(log['server_errors'])}, network errors {len(log['network_errors'])}")
