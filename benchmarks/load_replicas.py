"""The mixed load (benchmarks/load.py) with 0, 1 and 2 streaming read replicas.

Each replica is a hot standby of the benchmark's cluster (scripts/replica.sh) on this same
machine, and the server gets DATABASE_REPLICA_URL. On one 2-core machine replicas add no
capacity (they share the cores): what this measures is correctness under load (zero errors,
nothing lost or doubled), the share of reads the replicas took per route, the replication lag
seen during the run, and latency per route beside the run without replicas.

`LOAD_SECONDS=60 LOAD_USERS=100 python -m benchmarks load_replicas` for a shorter trial;
LOAD_REPLICAS=0,1,2 picks the modes.
"""

import os
import subprocess
import threading
import time
from urllib.parse import urlsplit

import psycopg

from benchmarks import harness, load

MODES = [int(m) for m in os.environ.get("LOAD_REPLICAS", "0,1,2").split(",")]
LAG_SQL = (harness.ROOT / "core" / "sql" / "replica_lag.sql").read_text()


def _replica(index: int, primary_port: int) -> tuple[str, int]:
    directory = harness.BENCH_DIR / f"replica-{index}"
    port = harness.free_port()
    subprocess.run(["scripts/replica.sh", "destroy", str(directory)], cwd=harness.ROOT, check=False)
    subprocess.run(["scripts/replica.sh", "start", str(directory), str(port), str(primary_port)],
                   cwd=harness.ROOT, check=True)  # fmt: skip
    return str(directory), port


def _watch_lag(ports: list[int], seen: list[float], stop: threading.Event) -> None:
    """The worst lag any replica reports, sampled every second (None: not streaming -> inf)."""
    while not stop.wait(1.0):
        for port in ports:
            try:
                with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                                     connect_timeout=2) as conn:  # fmt: skip
                    row = conn.execute(LAG_SQL).fetchone()
                seen.append(float("inf") if row is None or row[0] is None else float(row[0]))
            except psycopg.Error:
                seen.append(float("inf"))


def run() -> None:
    print(
        f"Seeding {load.N_DISPATCHERS} dispatchers, {load.N_AGENTS} agents, {load.N_VIEWERS} viewers…",
        flush=True,
    )
    url, data = load._prepare()
    primary = urlsplit(url)
    summary = []
    for n in MODES:
        print(f"\n--- {n} replica(s): {load.USERS} users for {load.SECONDS:.0f} s", flush=True)
        replicas = [_replica(i, primary.port or 5432) for i in range(n)]
        replica_urls = " ".join(
            url.replace(f":{primary.port}/", f":{port}/", 1) for _directory, port in replicas
        )
        lags: list[float] = []
        stop = threading.Event()
        watcher = threading.Thread(target=_watch_lag, args=([p for _d, p in replicas], lags, stop))
        watcher.start()
        outcome = "ok"
        try:
            extra = {"DATABASE_REPLICA_URL": replica_urls} if n else {}
            tally = load.drive_and_check(url, data, extra_env=extra)
        except RuntimeError as exc:
            outcome = f"NOT ok: {exc}"
            tally = None
        finally:
            stop.set()
            watcher.join()
            for directory, _port in replicas:
                subprocess.run(["scripts/replica.sh", "destroy", directory], cwd=harness.ROOT, check=False)
        shares = []
        if tally is not None:
            for kind, counts in sorted(tally.read_from.items()):
                total = sum(counts.values())
                shares.append(f"{kind} {100 * counts.get('replica', 0) / total:.0f} % on replicas")
        worst = f"{max(lags):.2f} s" if lags else "-"
        line = f"{n} replica(s): {outcome}; {', '.join(shares) or 'no replica reads'}; worst lag seen {worst}"
        print(line, flush=True)
        summary.append(line)
        time.sleep(2)
    print("\nSummary (correctness under load is the target on one machine):")
    for line in summary:
        print(f"  {line}")
