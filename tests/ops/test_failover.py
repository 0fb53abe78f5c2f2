"""The failover drill: the primary of a pg_auto_failover formation is lost while agents sync.

A formation of its own (scripts/ha.sh: a monitor and two data nodes on loopback ports), Ronde
under gunicorn with production settings connected by a multi-host URL with
target_session_attrs=read-write, an agent's outbox being sent (tests/ops/outbox_drill.py).
Halfway, the primary's machine is lost (keeper and PostgreSQL killed). Then:
- every write acknowledged to the client (2xx) is on the new primary, none doubled;
- while no primary answers, the client gets 503 with Retry-After, never another error;
- service resumes within 30 s of the loss (measured and printed).
"""

import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from benchmarks import harness
from tests.ops import outbox_drill as drill

ROOT = Path(settings.BASE_DIR)
FORMATION = ROOT / "var" / "bench" / "ha-drill"
N_ITEMS = 60
RESUME_WITHIN_S = 30
pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/pg_autoctl").exists(), reason="pg_auto_failover not installed (scripts/bootstrap.sh)"
)


def _free_ports(n: int) -> int:
    """The first of `n` consecutive free loopback ports."""
    for first in range(55700, 55900, n):
        taken = False
        for port in range(first, first + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    taken = True
                    break
        if not taken:
            return first
    raise RuntimeError("no free ports for the formation")


def _ha(*args: str) -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / "ha.sh"), *args], check=True, cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def formation():
    port = _free_ports(3)
    _ha("destroy", str(FORMATION))
    try:
        url = _ha("start", str(FORMATION), str(port)).splitlines()[-1]
        yield url
    finally:
        # The formation's logs outlive it, for whoever reads a failed drill.
        logs = ROOT / "var" / "bench" / "ha-drill-logs"
        logs.mkdir(parents=True, exist_ok=True)
        for log in FORMATION.glob("*.log"):
            (logs / log.name).write_bytes(log.read_bytes())
        _ha("destroy", str(FORMATION))


def test_agents_lose_nothing_when_the_primary_is_lost(formation):
    url = formation
    agent = drill.seed_agent(url)
    items = drill.outbox(agent, N_ITEMS)
    log = drill.SyncLog()
    with harness.ronde_server(url, workers=2) as base:
        sender = threading.Thread(
            target=drill.sync, args=(base, agent["token"], items, log), kwargs={"seconds": 120}
        )
        sender.start()
        assert log.halfway.wait(60), "the outbox never got halfway"
        lost_at = time.monotonic()
        _ha("kill", str(FORMATION), "node1")
        sender.join(150)
        state = _ha("state", str(FORMATION))

    assert "node2" in state and not log.client_errors, log.client_errors
    assert log.left == [], (
        f"{len(log.left)} items never reached the server; last answers {log.server_errors[-3:]}, "
        f"{log.network_errors[-3:]}\n{state}"
    )
    # Every acknowledged write is on the new primary, exactly once (the URL finds node2 now).
    drill.assert_each_item_once(url, items)
    # During the switch: 503 + Retry-After, nothing else.
    assert all(status == 503 and retry for _t, status, retry in log.server_errors), log.server_errors
    after = [t for t, _path in log.acknowledged if t > lost_at]
    assert after, "nothing was acknowledged after the loss"
    resumed_s = after[0] - lost_at
    print(f"failover: service resumed {resumed_s:.1f} s after the primary was lost; "
          f"{len(log.server_errors)} answers 503, {len(log.network_errors)} network errors")  # fmt: skip
    assert resumed_s <= RESUME_WITHIN_S
    assert log.server_errors, "the loss was never felt: the drill did not test a failover"
