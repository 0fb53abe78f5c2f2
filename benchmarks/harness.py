"""Reusable pieces for Ronde's benchmarks: a seeded database, a real server, timed HTTP loops,
and isolated virtualenvs for the peer tools we compare against.

    from benchmarks import harness
    url = harness.bench_database(scale=100)            # 1M interventions, seeded once
    with harness.ronde_server(url, workers=2) as base:  # gunicorn, production settings
        token = harness.bench_token(url)
        samples, wall = harness.http_loop(base, paths, headers={"Authorization": f"Token {token}"})
        print(harness.latency_stats(samples, wall))

Every server listens on loopback only, on a free port in 18000–18999, and is stopped at the end.
"""

import contextlib
import fcntl
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "ronde_bench"
BENCH_DIR = ROOT / "var" / "bench"
BENCH_SEED = 20_240_601
BENCH_USER = "bench-dispatcher"
BENCH_PASSWORD = "bench-password-not-secret"
# The OGC API Features peer, shared by the API and tile benchmarks (one venv, one version).
TIPG_REQUIREMENTS = ["tipg==1.6.1", "uvicorn[standard]==0.32.1"]


def _say(message: str) -> None:
    print(message, flush=True)


# --- (a) the benchmark database -------------------------------------------------------------


def _base_database_url() -> str:
    """The project's DATABASE_URL, as settings compute it (the local cluster by default)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django
    from django.conf import settings

    django.setup()
    return str(settings.DATABASE_URL)


def database_url(name: str = BENCH_DB) -> str:
    """The project's DATABASE_URL with another database name (same server, same user)."""
    parts = urlsplit(_base_database_url())
    return urlunsplit(parts._replace(path=f"/{name}"))


def _libpq(url: str) -> str:
    """postgis://… → postgresql://… for psycopg."""
    return "postgresql" + url[url.index("://") :]


def _admin_connection() -> psycopg.Connection:
    return psycopg.connect(_libpq(database_url("postgres")), autocommit=True)


def _manage(url: str, *args: str, settings_module: str = "config.settings.local") -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": settings_module}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, env=env, cwd=ROOT)


def migrated_database(name: str) -> str:
    """Database `name` (created if missing, kept otherwise) with the migrations applied → url."""
    url = database_url(name)
    with _admin_connection() as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    _manage(url, "migrate", "--no-input", "-v", "0")
    return url


def django_on(name: str) -> str:
    """Django, in this process, on database `name` (migrated first, created if missing) → url.

    In one `python -m benchmarks` run an earlier benchmark may have set Django up on its own
    database, and its connection is still open: renaming the database in the settings is not
    enough (routing_zones then created its community in the routing benchmark's database and
    its street import, a child process, did not find it). The connections are closed, so the
    next query opens one to `name`.
    """
    url = migrated_database(name)
    os.environ["DATABASE_URL"] = url
    import django
    from django.conf import settings
    from django.db import connections

    django.setup()
    settings.DATABASES["default"]["NAME"] = name  # the dict the connections are made from
    connections.close_all()
    return url


def seeded_database(name: str, seed_call: str) -> tuple[str, Any]:
    """A fresh, migrated database `name` seeded by `seed_call` (e.g. "benchmarks.load:seed(2, 1, 1)").

    The seed runs in a child process with Django set up on that database and prints JSON as its
    last line; returns (database url, that JSON). Shared by load.py, agent_sync.py and
    schemathesis_run.py.
    """
    url = database_url(name)
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    _manage(url, "migrate", "--no-input", "-v", "0")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    module, _, call = seed_call.partition(":")
    code = f"import django; django.setup(); import {module} as m; m.{call}"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, cwd=ROOT, capture_output=True, text=True
    )
    # A database in service has its planner statistics (autovacuum keeps them): without them
    # the first statements were planned blind and autovacuum analysed the seeded tables mid-run.
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return url, json.loads(out.stdout.strip().splitlines()[-1])


def bench_database(scale: float = 100, *, seed: int = BENCH_SEED, name: str = BENCH_DB) -> str:
    """DATABASE_URL of a database migrated and seeded with `seed_demo --scale` (100 = 1M interventions).

    Seeded once: the scale and seed are recorded in the database's comment, and a database
    with the same record is reused as it is. Another record means a drop and a fresh seed.
    """
    url = database_url(name)
    wanted = f"ronde-bench scale={scale:g} seed={seed}"
    with _admin_connection() as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if row is not None and row[0] == wanted:
            _manage(url, "migrate", "--no-input", "-v", "0")  # new migrations of the code under test
            _say(f"Reusing {name} ({wanted}).")
            return url
        if row is not None:
            _say(f"Dropping {name} ({row[0] or 'no record'}), seeding it anew ({wanted}).")
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    _manage(url, "migrate", "--no-input", "-v", "0")
    started = time.monotonic()
    _manage(url, "seed_demo", "--scale", f"{scale:g}", "--seed", str(seed))
    _say(f"Seeded {name} at scale {scale:g} in {time.monotonic() - started:.0f} s.")
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    with _admin_connection() as admin:
        admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{wanted}'")
    return url


def bench_token(url: str, *, username: str = BENCH_USER) -> str:
    """An API token for a dispatcher of the demo community in the database at `url`."""
    code = (
        "from accounts.models import Community; from accounts.services import user_create; "
        "from accounts.services import api_token_create; "
        f"u = user_create(username='{username}', community=Community.objects.get(slug='demo'), "
        f"role='dispatcher', password='{BENCH_PASSWORD}', validate=False); "
        "print(api_token_create(user=u, name='bench')[1])"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        check=True, env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


# --- (b) servers ------------------------------------------------------------------------------


def free_port() -> int:
    """A free loopback port in 18000–18999 (the range kept for trial servers)."""
    ports = list(range(18000, 19000))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18000–18999")


def wait_ready(url: str, *, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before answering {url}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def _serve(
    argv: list[str], env: dict[str, str], ready_url: str | None, log: Path
) -> Iterator[subprocess.Popen]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            if ready_url is not None:
                # Four workers importing Django on a machine other jobs keep busy: minutes, not seconds.
                wait_ready(ready_url, process=process, timeout=240)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def ronde_server(
    url: str, *, workers: int = 2, port: int | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """gunicorn serving Ronde on loopback with production settings (DEBUG off) → base URL.

    `extra_env` adds settings for this server only (e.g. RONDE_TILE_CACHE=0).
    """
    port = port or free_port()
    ready = BENCH_DIR / f"gunicorn-ready-{port}"
    shutil.rmtree(ready, ignore_errors=True)
    ready.mkdir(parents=True)
    env = {**_production_env(url, extra_env), "RONDE_BENCH_READY_DIR": str(ready)}
    argv = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--workers", str(workers),
            "--config", "python:benchmarks.gunicorn_ready",
            "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
            "--log-level", "warning"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with _serve(argv, env, f"{base}/health/", BENCH_DIR / "ronde-gunicorn.log"):
            _wait_workers(ready, workers)
            yield base
    finally:
        shutil.rmtree(ready, ignore_errors=True)


# The access log of benchmarks' Ronde servers: the serving worker's pid first (requests_per_worker).
ACCESS_LOG_FORMAT = '%(p)s %(h)s "%(r)s" %(s)s %(L)s'


def requests_per_worker() -> list[int]:
    """Requests each gunicorn worker of the last Ronde server answered so far, most first: how
    evenly its workers shared the clients (kept-alive connections stay with one worker)."""
    served: dict[str, int] = {}
    with contextlib.suppress(FileNotFoundError), (BENCH_DIR / "ronde-gunicorn.log").open() as log:
        for line in log:
            pid = line.split(" ", 1)[0]
            if pid.startswith("<") and pid.endswith(">"):
                served[pid] = served.get(pid, 0) + 1
    return sorted(served.values(), reverse=True)


def _wait_workers(ready: Path, workers: int, timeout: float = 240.0) -> None:
    """Until every worker has loaded the app (benchmarks/gunicorn_ready.py): the measured
    requests must not share the CPU with workers still importing Django."""
    deadline = time.monotonic() + timeout
    while sum(1 for _ in ready.iterdir()) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{workers} gunicorn workers did not all load the app within {timeout:.0f} s")
        time.sleep(0.1)


def _production_env(url: str, extra_env: dict[str, str] | None) -> dict[str, str]:
    return {
        **os.environ,
        **(extra_env or {}),
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "benchmark-only-secret-key-not-for-production-use",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "DJANGO_HSTS_SECONDS": "0",
    }


@contextlib.contextmanager
def task_worker(
    url: str, *, extra_env: dict[str, str] | None = None, nice: int = 10
) -> Iterator[subprocess.Popen]:
    """The project's background worker (django-tasks `db_worker`, production settings), as
    deployed: below the web workers' CPU priority (`nice`, docs/deploy.md's Nice=10). Yields
    its process (`nice` execs it: its pid is the worker's), e.g. to pause it with SIGSTOP."""
    argv = ["nice", "-n", str(nice), sys.executable, str(ROOT / "manage.py"), "db_worker", "--queue-name", "*",
            "--interval", "0.2", "--no-startup-delay", "-v", "0"]  # fmt: skip
    with _serve(argv, _production_env(url, extra_env), None, BENCH_DIR / "ronde-worker.log") as process:
        # A deployed worker has been up for hours: wait until this one has set Django up and
        # only polls, or its start (~1 s of CPU at nice 10, stretched over the measured
        # seconds on a busy machine) is timed as the servers' first seconds.
        _wait_idle(process)
        yield process


def _wait_idle(process: subprocess.Popen, *, timeout: float = 120) -> None:
    """Until `process` used under 5 % of a core over a second (Linux /proc; else 3 s)."""
    if not Path(f"/proc/{process.pid}/stat").exists():
        time.sleep(3)
        return
    deadline = time.monotonic() + timeout
    last = cpu_s([process.pid])
    while time.monotonic() < deadline:
        time.sleep(1)
        if process.poll() is not None:
            raise RuntimeError(f"the background worker exited ({process.returncode}): see its log")
        now = cpu_s([process.pid])
        if now - last < 0.05:
            return
        last = now
    raise RuntimeError(f"the background worker was still busy after {timeout:.0f} s")


def cpu_s(pids: list[int]) -> float:
    """User + system CPU time of processes (s, Linux /proc; a process gone counts 0): what a
    piece of work cost them, whatever the machine's load (wall times on a shared machine
    include the waits for a core)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


# --- (c) timing -------------------------------------------------------------------------------


@dataclass
class Stats:
    count: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    throughput: float  # requests per second over the wall time

    def line(self) -> str:
        return (
            f"n={self.count} p50={self.p50_ms:.1f} ms p95={self.p95_ms:.1f} ms p99={self.p99_ms:.1f} ms "
            f"mean={self.mean_ms:.1f} ms {self.throughput:.0f} req/s"
            + (f" errors={self.errors}" if self.errors else "")
        )


def latency_stats(samples: Sequence[float], wall_seconds: float | None = None, errors: int = 0) -> Stats:
    """Percentiles (ms) of latencies in seconds; throughput over `wall_seconds` (or their sum)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)

    def pct(p: float) -> float:
        # Nearest-rank percentile: the value at or above p % of the samples.
        return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))] * 1000

    wall = wall_seconds if wall_seconds else sum(samples)
    return Stats(len(samples), errors, pct(50), pct(95), pct(99), statistics.fmean(samples) * 1000,
                 len(samples) / wall)  # fmt: skip


@dataclass
class RouteProfile:
    """Where the time goes per route, from the Server-Timing header of each answer
    (core/timing.py, on with RONDE_SERVER_TIMING=1 in the server's environment).

    `add(response, seconds)` after every request; `lines()` at the end: per route, the count,
    the client's p50/p95, the server's own p50/p95 (`app`), the shares of the server's time
    spent in the database and on the CPU, statements per request, and the wait before the
    server took the request (client time minus server time: the queue for a worker, p95).
    """

    samples: dict[str, list[tuple[float, float, float, int, float]]] = field(default_factory=dict)

    def add(self, response: httpx.Response, seconds: float) -> None:
        from core.timing import parse_server_timing

        header = response.headers.get("Server-Timing")
        if not header:
            return
        t = parse_server_timing(header)
        row = (seconds * 1000, t.get("app", 0.0), t.get("db", 0.0), int(t.get("db_n", 0)), t.get("cpu", 0.0))
        self.samples.setdefault(str(t.get("route", "?")), []).append(row)

    def lines(self) -> list[str]:
        if not self.samples:
            return ["(no Server-Timing headers: is RONDE_SERVER_TIMING=1 set for the server?)"]
        every = sum(r[0] for rows in self.samples.values() for r in rows)

        def pct(values: list[float], p: float) -> float:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]

        out = [
            f"{'route':34s} {'n':>6s} {'client p50/p95 ms':>18s} {'server p50/p95 ms':>18s} "
            f"{'db %':>5s} {'cpu %':>5s} {'stmts':>5s} {'queue p95':>9s} {'share':>6s}"
        ]
        ranked = sorted(self.samples.items(), key=lambda kv: -sum(r[0] for r in kv[1]))
        for route, rows in ranked:
            client = [r[0] for r in rows]
            app = [r[1] for r in rows]
            app_sum = sum(app) or 1e-9
            db_share = 100 * sum(r[2] for r in rows) / app_sum
            cpu_share = 100 * sum(r[4] for r in rows) / app_sum
            statements = sum(r[3] for r in rows) / len(rows)
            queue = [max(0.0, r[0] - r[1]) for r in rows]
            out.append(
                f"{route[:34]:34s} {len(rows):6d} {pct(client, 50):8.1f}/{pct(client, 95):<9.1f} "
                f"{pct(app, 50):8.1f}/{pct(app, 95):<9.1f} {db_share:5.0f} {cpu_share:5.0f} {statements:5.1f} "
                f"{pct(queue, 95):9.1f} {100 * sum(client) / every:5.1f}%"
            )
        return out


def http_loop(
    base_url: str,
    paths: Sequence[str],
    *,
    headers: dict[str, str] | None = None,
    concurrency: int = 1,
    warmup: int = 5,
    check: bool = True,
    timeout: float = 30.0,
) -> tuple[list[float], float, list[httpx.Response]]:
    """GET every path once (split over `concurrency` threads, each with its own keep-alive client).

    Returns the latencies (s), the wall time (s) and one response per path (in order) for
    checking. A non-2xx response raises when `check`; `warmup` first paths are sent untimed.
    """
    responses: list[httpx.Response | None] = [None] * len(paths)
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(indexes: list[int]) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=timeout) as client:
            for i in indexes[: min(warmup, len(indexes))]:
                client.get(paths[i]).read()
            for i in indexes:
                t0 = time.perf_counter()
                response = client.get(paths[i])
                response.read()
                elapsed = time.perf_counter() - t0
                if check and not response.is_success:
                    raise RuntimeError(f"GET {paths[i]} -> {response.status_code}: {response.text[:300]}")
                with lock:
                    latencies.append(elapsed)
                responses[i] = response

    chunks = [list(range(k, len(paths), concurrency)) for k in range(concurrency)]
    errors: list[BaseException] = []

    def guarded(indexes: list[int]) -> None:
        try:
            worker(indexes)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(c,)) for c in chunks if c]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return latencies, wall, [r for r in responses if r is not None]


# --- (d) peers in their own virtualenvs -------------------------------------------------------


def peer_venv(name: str, requirements: Sequence[str]) -> Path:
    """A virtualenv under var/bench/<name> with exactly `requirements` (pip specs); built once."""
    venv = BENCH_DIR / name
    stamp = venv / ".requirements"
    wanted = "\n".join(requirements)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    # Two benchmarks may want the same peer at once: one builds, the other waits.
    with (BENCH_DIR / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == wanted:
            return venv
        _say(f"Building the {name} virtualenv ({', '.join(requirements)})…")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, *requirements], check=True)
        stamp.write_text(wanted)
    return venv


@contextlib.contextmanager
def uvicorn_server(
    venv: Path,
    app: str,
    *,
    env: dict[str, str],
    ready_path: str = "/",
    workers: int = 1,
    port: int | None = None,
) -> Iterator[str]:
    """Run an ASGI `app` ("module:attr") with the venv's uvicorn on loopback → base URL."""
    port = port or free_port()
    argv = [str(venv / "bin" / "python"), "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with _serve(argv, {**os.environ, **env}, base + ready_path, BENCH_DIR / f"{venv.name}-uvicorn.log"):
        yield base


def ratio(ours: float, theirs: float) -> str:
    """'0.8× (faster)' style: ours / theirs for times (below 1 means Ronde is faster)."""
    value = ours / theirs if theirs else float("inf")
    return f"{value:.2f}×"


Bounds = tuple[float, float, float, float]  # west, south, east, north in degrees (WGS84)


def demo_extent_and_points(url: str, *, sample_percent: float, repeatable: int, where: str = "true"):
    """The demo territory's lon/lat bounds and a repeatable sample of intervention positions.

    Tile benchmarks draw their high-zoom tiles where the interventions are, as maps are used.
    `where` is a fixed SQL condition written by the benchmark (never user input).
    """
    import numpy as np

    with psycopg.connect(_libpq(url)) as conn:
        row = conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Transform(territory, 4326)::box2d AS e FROM accounts_community WHERE slug = 'demo') t"
        ).fetchone()
        assert row is not None, "no demo community in the bench database"
        sample = conn.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, 4326) AS g FROM interventions_intervention "
            f"TABLESAMPLE SYSTEM ({float(sample_percent)}) REPEATABLE ({int(repeatable)}) WHERE {where}) t"
        ).fetchall()
    bounds: Bounds = (row[0], row[1], row[2], row[3])
    return bounds, np.array(sample, dtype=float)


def tiles_covering(bounds: Bounds, zooms: range) -> list[tuple[int, int, int]]:
    """Every tile (z, x, y) over the bounds at each zoom."""
    from tiles.tilemath import lonlat_to_tile

    west, south, east, north = bounds
    tiles: list[tuple[int, int, int]] = []
    for z in zooms:
        x0, y0 = lonlat_to_tile(west, north, z)
        x1, y1 = lonlat_to_tile(east, south, z)
        tiles += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return tiles
