"""An agent's outbox sent to a real Ronde server while the database goes away (restart,
failover): shared by tests/ops/test_pg_restart.py and tests/ops/test_failover.py.

The client sends the way agent/static/agent/outbox.js does: items in order, an item leaves the
outbox on a 2xx, a 5xx or a network error ends the pass and the pass is tried again a moment
later, any other 4xx is a failure. Afterwards every item must be on the server exactly once.
"""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from django.conf import settings

from benchmarks import harness

ROOT = Path(settings.BASE_DIR)


def seed_agent(url: str) -> dict:
    """Migrate the database at `url` and give it an agent with a mission (benchmarks.agent_sync)."""
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


def outbox(agent: dict, n_items: int) -> list[tuple[str, dict]]:
    """Two reports for one intervention edit, each under its client-made key."""
    items: list[tuple[str, dict]] = []
    for i in range(n_items):
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


@dataclass
class SyncLog:
    server_errors: list[tuple[float, int, str | None]] = field(
        default_factory=list
    )  # (t, status, Retry-After)
    network_errors: list[str] = field(default_factory=list)
    client_errors: list[str] = field(default_factory=list)
    acknowledged: list[tuple[float, str]] = field(default_factory=list)  # (t, path) of each 2xx
    left: list[tuple[str, dict]] = field(default_factory=list)
    halfway: threading.Event = field(default_factory=threading.Event)


def sync(base: str, token: str, items: list[tuple[str, dict]], log: SyncLog, *, seconds: float = 90) -> None:
    """Send the outbox until it is empty or `seconds` have passed (run it in a thread)."""
    pending = list(items)
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=10) as c:
        while pending and time.monotonic() < deadline:
            path, body = pending[0]
            try:
                response = c.put(path, json=body)
            except httpx.HTTPError as exc:
                log.network_errors.append(repr(exc))
                time.sleep(0.3)  # the pass ends; the next one starts a moment later
                continue
            if response.is_success:
                pending.pop(0)
                log.acknowledged.append((time.monotonic(), path))
                if len(pending) == len(items) // 2:
                    log.halfway.set()
                time.sleep(0.05)  # an agent's phone, not a benchmark
            elif response.status_code >= 500 or response.status_code == 429:
                log.server_errors.append(
                    (time.monotonic(), response.status_code, response.headers.get("Retry-After"))
                )
                time.sleep(0.3)
            else:
                log.client_errors.append(f"{path}: {response.status_code} {response.text[:200]}")
                pending.pop(0)
    log.left = pending


def assert_each_item_once(url: str, items: list[tuple[str, dict]]) -> None:
    """Every report on the server once by its client UUID; every edited intervention done."""
    with psycopg.connect(harness._libpq(url)) as conn:
        reports = {str(r[0]) for r in conn.execute("SELECT client_uuid FROM interventions_report "
                                                   "WHERE client_uuid IS NOT NULL").fetchall()}  # fmt: skip
        done = conn.execute(
            "SELECT count(*) FROM interventions_intervention WHERE status = 'done'"
        ).fetchone()
    sent_reports = {p.split("/")[-2] for p, _ in items if "/reports/" in p}
    assert reports == sent_reports
    assert done is not None and done[0] == len(
        {b["intervention_id"] for p, b in items if "/interventions/" in p}
    )
    assert len({p.split("/")[-2] for p, _ in items}) == len(items)
