"""Mixed load: 200 concurrent users for 5 minutes against gunicorn on loopback.

Users (asyncio + httpx, one keep-alive client each, ~1 s think time between requests):
- dispatchers (50 %): vector tiles of the map around Poitiers (interventions, reports,
  zones, streets, z 12–16) with their API token;
- agents (30 %): the field app's sync — the mission list, then new reports (each with a fresh
  client UUID, one in ten sent twice like a retried outbox) and edits of their mission's
  interventions;
- viewers (20 %): the dashboard page with a session (logged in through the login form).

Checks: zero errors (any non-2xx/304 or transport error), and no lost or doubled rows — the
reports in the database are exactly the distinct UUIDs the agents got a 200/201 for. Prints
p50/p95/p99 and throughput per kind. LOAD_SECONDS (default 300) and LOAD_USERS (default 200)
shorten it for a trial: `LOAD_SECONDS=30 python -m benchmarks load`.
"""

import asyncio
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

import httpx
import psycopg

from benchmarks import harness

DB_NAME = "ronde_bench_load"
SECONDS = float(os.environ.get("LOAD_SECONDS", "300"))
USERS = int(os.environ.get("LOAD_USERS", "200"))
WORKERS = int(os.environ.get("LOAD_WORKERS", str(max(4, (os.cpu_count() or 2)))))
# Per-route server timing (core/timing.py's Server-Timing header), summarised at the end.
PROFILE = os.environ.get("LOAD_PROFILE", "1") != "0"
TARGET_P95_MS = 1000.0  # issue 23: p95 of every request ≤ 1 s, 0 errors, nothing lost or doubled
THINK_S = 1.0  # mean think time between two requests of one user (exponential)
PASSWORD = "load-password-not-secret"
N_AGENTS = max(1, USERS * 3 // 10)
N_VIEWERS = max(1, USERS // 5)
N_DISPATCHERS = max(1, USERS - N_AGENTS - N_VIEWERS)
LAYERS = ["interventions", "reports", "zones", "streets"]
CENTRE = (0.3404, 46.5802)  # Poitiers, lon/lat
VAR_DIR = harness.BENCH_DIR / "load-var"  # static files and media of the server under load


def seed(n_agents: int, n_dispatchers: int, n_viewers: int) -> None:
    """Inside Django (subprocess): agents with missions (benchmarks.agent_sync), plus
    dispatchers with tokens and viewers with passwords in the same community; print JSON."""
    import contextlib
    import io

    from accounts.models import Community, Role
    from accounts.services import api_token_create, user_create
    from benchmarks.agent_sync import seed as seed_agents
    from interventions.models import Category

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        seed_agents(n_agents, 10)
    agents = json.loads(out.getvalue().strip().splitlines()[-1])
    community = Community.objects.get(slug="bench-agents")
    dispatchers = [
        api_token_create(user=user_create(username=f"load-dispatcher-{i}", community=community,
                                          role=Role.DISPATCHER, password=None, validate=False))[1]
        for i in range(n_dispatchers)
    ]  # fmt: skip
    viewers = []
    for i in range(n_viewers):
        name = f"load-viewer-{i}"
        user_create(username=name, community=community, role=Role.VIEWER, password=PASSWORD, validate=False)
        viewers.append(name)
    category = Category.objects.get(community=community, code="tag").pk
    print(json.dumps({"agents": agents, "dispatchers": dispatchers, "viewers": viewers,
                      "category": category, "community": community.pk}))  # fmt: skip


def _prepare() -> tuple[str, dict]:
    return harness.seeded_database(DB_NAME, f"benchmarks.load:seed({N_AGENTS}, {N_DISPATCHERS}, {N_VIEWERS})")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"tile": [], "sync": [], "dashboard": []}
    )
    errors: list[str] = field(default_factory=list)
    # kind -> {"replica": n, "primary": n}: who answered (X-Ronde-Read-From, with replicas)
    read_from: dict[str, dict[str, int]] = field(default_factory=dict)
    reports_ok: set[str] = field(default_factory=set)  # client UUIDs the server acknowledged
    reports_sent: int = 0  # PUTs of new reports, replays included
    profile: harness.RouteProfile = field(default_factory=harness.RouteProfile)


def _tile_path() -> str:
    import math

    z = random.randint(12, 16)
    n = 2**z
    # A tile within ~2 km of the centre: the area the seeded missions cover.
    lon = CENTRE[0] + random.uniform(-0.025, 0.025)
    lat = CENTRE[1] + random.uniform(-0.018, 0.018)
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/{random.choice(LAYERS)}/{z}/{x}/{y}.mvt"


async def _timed(tally: Tally, kind: str, call) -> httpx.Response | None:
    t0 = time.perf_counter()
    try:
        response = await call
    except httpx.HTTPError as exc:
        tally.errors.append(f"{kind}: {exc!r}")
        return None
    elapsed = time.perf_counter() - t0
    tally.latencies[kind].append(elapsed)
    tally.profile.add(response, elapsed)
    if source := response.headers.get("X-Ronde-Read-From"):
        counts = tally.read_from.setdefault(kind, {})
        counts[source] = counts.get(source, 0) + 1
    if response.status_code not in (200, 201, 204, 304):  # 204: an empty tile
        tally.errors.append(f"{kind} {response.request.method} {response.request.url.path}: "
                            f"{response.status_code} {response.text[:200]}")  # fmt: skip
    return response


async def _think(deadline: float) -> bool:
    await asyncio.sleep(min(random.expovariate(1 / THINK_S), max(0.0, deadline - time.monotonic())))
    return time.monotonic() < deadline


async def dispatcher(base: str, token: str, tally: Tally, deadline: float) -> None:
    etags: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=60) as c:
        while await _think(deadline):
            path = _tile_path()
            headers = {"If-None-Match": etags[path]} if path in etags else {}
            r = await _timed(tally, "tile", c.get(path, headers=headers))
            if r is not None and "ETag" in r.headers:
                etags[path] = r.headers["ETag"]


async def agent(base: str, a: dict, category: int, tally: Tally, deadline: float) -> None:
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Token {a['token']}"}, timeout=60
    ) as c:
        await _timed(tally, "sync", c.get("/agent/api/missions/"))
        step = 0
        while await _think(deadline):
            step += 1
            if step % 3:
                key = str(uuid.uuid4())
                body = {"category_id": category, "lon": CENTRE[0] + random.uniform(-0.01, 0.01),
                        "lat": CENTRE[1] + random.uniform(-0.01, 0.01), "description": "load test",
                        "support": "wall"}  # fmt: skip
                sends = 2 if random.random() < 0.1 else 1  # a retried outbox item
                for _ in range(sends):
                    tally.reports_sent += 1
                    r = await _timed(tally, "sync", c.put(f"/agent/api/reports/{key}/", json=body))
                    if r is not None and r.status_code in (200, 201):
                        tally.reports_ok.add(key)
            else:
                intervention = random.choice(a["interventions"])
                body = {"client_updated_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                        "intervention_id": intervention, "mission_id": a["mission"], "status": "in_progress",
                        "surface_m2": "1.50", "method": "hydro", "support": "wall"}  # fmt: skip
                # One key per (agent, intervention): the same device editing it again.
                edit_key = uuid.uuid5(uuid.NAMESPACE_OID, f"{a['token']}-{intervention}")
                await _timed(tally, "sync", c.put(f"/agent/api/interventions/{edit_key}/", json=body))


async def viewer(base: str, username: str, tally: Tally, deadline: float) -> None:
    # Production settings: the app believes it is behind TLS (X-Forwarded-Proto, as nginx
    # sends it) and marks its cookies Secure; on plain loopback the client must be told to
    # send them anyway.
    https = {"X-Forwarded-Proto": "https"}
    async with httpx.AsyncClient(base_url=base, timeout=120, headers=https) as c:

        def unsecure() -> None:
            for cookie in c.cookies.jar:
                cookie.secure = False

        page = await c.get("/accounts/login/")
        unsecure()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        login = await c.post("/accounts/login/", data={"username": username, "password": PASSWORD,
                             "csrfmiddlewaretoken": token.group(1) if token else ""},
                             headers={"Referer": base.replace("http://", "https://") + "/accounts/login/"})  # fmt: skip
        unsecure()
        if "sessionid" not in c.cookies:
            tally.errors.append(f"viewer login failed: {login.status_code}")
            return
        while await _think(deadline):
            await _timed(tally, "dashboard", c.get("/dashboards/"))


async def _drive(base: str, data: dict) -> tuple[Tally, float]:
    tally = Tally()
    deadline = time.monotonic() + SECONDS
    users = [dispatcher(base, t, tally, deadline) for t in data["dispatchers"]]
    users += [agent(base, a, data["category"], tally, deadline) for a in data["agents"]]
    users += [viewer(base, v, tally, deadline) for v in data["viewers"]]
    t0 = time.perf_counter()
    await asyncio.gather(*users)
    return tally, time.perf_counter() - t0


def _count_reports(url: str, community: int) -> tuple[int, int]:
    with psycopg.connect(harness._libpq(url)) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT client_uuid) FROM interventions_report "
                           "WHERE community_id = %s AND client_uuid IS NOT NULL", [community]).fetchone()  # fmt: skip
    assert row is not None
    return int(row[0]), int(row[1])


def run() -> None:
    print(f"Seeding {N_DISPATCHERS} dispatchers, {N_AGENTS} agents, {N_VIEWERS} viewers…", flush=True)
    url, data = _prepare()
    print(f"{USERS} users for {SECONDS:.0f} s against gunicorn ({WORKERS} workers × 4 threads) on loopback")
    drive_and_check(url, data)


def _static_sources_stamp() -> str:
    """A digest of every static source (names, sizes, times) and of the pinned packages."""
    digest = hashlib.sha256((harness.ROOT / "requirements.lock").read_bytes())
    roots = [harness.ROOT / "static", *sorted(harness.ROOT.glob("*/static"))]
    for root in roots:
        for folder, _, files in sorted(os.walk(root, followlinks=True)):
            for name in sorted(files):
                info = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def drive_and_check(url: str, data: dict, extra_env: dict[str, str] | None = None) -> Tally:
    """The mixed load against one server; prints the figures, raises on errors or lost rows."""
    before, _ = _count_reports(url, data["community"])
    # Pages need the collected, hashed static files of production settings: collected once
    # into the benchmark's own var/ directory.
    var = {"RONDE_VAR_DIR": str(VAR_DIR)}
    env = {**os.environ, **var, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DJANGO_SECRET_KEY": "benchmark-only-secret-key-not-for-production-use"}  # fmt: skip
    stamp, wanted = VAR_DIR / "static.stamp", _static_sources_stamp()
    if not stamp.exists() or stamp.read_text() != wanted:
        # Compressing every file (gzip + brotli) takes minutes on busy cores: only when they changed.
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
                       check=True, env=env, cwd=harness.ROOT)  # fmt: skip
        stamp.write_text(wanted)
    server_env = {**var, "GUNICORN_CMD_ARGS": "--threads 4 --keep-alive 75", **(extra_env or {})}
    if PROFILE:
        server_env["RONDE_SERVER_TIMING"] = "1"
    with harness.ronde_server(url, workers=WORKERS, extra_env=server_env) as base:
        tally, wall = asyncio.run(_drive(base, data))
    after, distinct = _count_reports(url, data["community"])
    every = [x for v in tally.latencies.values() for x in v]
    print(f"errors: {len(tally.errors)}")
    for line in sorted({e[:160] for e in tally.errors})[:10]:
        print(f"  {line}")
    overall = harness.latency_stats(every, wall, errors=len(tally.errors))
    print(f"all        {overall.line()}")
    for kind, samples in tally.latencies.items():
        if samples:
            print(f"  {kind:9s} {harness.latency_stats(samples, wall).line()}")
    created = after - before
    print(f"reports: {tally.reports_sent} PUTs ({len(tally.reports_ok)} distinct keys acknowledged), "
          f"{created} rows created, {after - distinct} doubled")  # fmt: skip
    if PROFILE:
        print("per route (server side from Server-Timing; queue = client time not spent in the app):")
        for line in tally.profile.lines():
            print(f"  {line}")
    intact = not tally.errors and created == len(tally.reports_ok) and after == distinct
    verdict = "met" if intact and overall.p95_ms <= TARGET_P95_MS else "NOT met"
    print(f"mixed load p95 {overall.p95_ms:.0f} ms ≤ {TARGET_P95_MS:.0f} ms with 0 errors and nothing lost or "
          f"doubled ({USERS} users, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}): {verdict}")  # fmt: skip
    problems = []
    if tally.errors:
        problems.append(f"{len(tally.errors)} errors")
    if created != len(tally.reports_ok) or after != distinct:
        problems.append(f"rows lost or doubled: {created} created for {len(tally.reports_ok)} keys")
    if problems:
        raise RuntimeError("; ".join(problems))
    return tally
