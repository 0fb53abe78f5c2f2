"""Field app sync under load: 50 agents each send a day's outbox at the same moment.

Each agent: 20 intervention PUTs (their mission's stops, done) and 40 photo PUTs of ~500 KB
(before/after, phone-like EXIF: maker, serial, GPS), in four rounds of 5 interventions then
their 10 photos (AGENT_BENCH_ROUNDS), against one gunicorn (4 workers × 2 threads,
production settings) on loopback, with the project's background worker (db_worker, nice 10 as
deployed, its photo thread at idle priority: core/idle_cpu.py) finishing the photos
(interventions/services/photos.py). Checks: zero errors, every
row once (no loss, no duplicate), a replay of some outboxes creates nothing, every photo is
finished (stripped, thumbnailed) once the worker has drained, and the served files carry no
maker, serial or GPS. Prints throughput, latency percentiles per request kind, the time the
worker took to drain after the last upload, and the server's own timing per route.

Target (issue 23): photo p95 ≤ 2× the peer's at the same concurrency, printed met / NOT met.

Peer (the floor): the same photo bodies POSTed to a bare WSGI app under the same gunicorn
that only writes the request body to disk — what moving 500 KB over loopback costs before
any checking, EXIF stripping, downscaling, thumbnailing or transaction. It takes its turn after
each of Ronde's rounds, with the background worker paused (SIGSTOP; it goes on with its backlog
in Ronde's next round, as it did when the peer ran once, after the worker had drained): both
are measured over the same minutes, and this machine's speed moves from one minute to the next.

Scale with AGENT_BENCH_AGENTS (default 50) for a quick trial.
"""

import contextlib
import io
import json
import os
import shutil
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg

from benchmarks import harness

DB_NAME = "ronde_bench_agent"
N_AGENTS = int(os.environ.get("AGENT_BENCH_AGENTS", "50"))
N_INTERVENTIONS = 20
N_PHOTOS = 2 * N_INTERVENTIONS
PHOTO_POOL = 12  # distinct JPEG bodies, reused (the server processes every upload anyway)
MEDIA = harness.BENCH_DIR / "agent-media"
INBOX = harness.BENCH_DIR / "agent-photo-inbox"
TARGET_RATIO = 2.0  # photo p95 / the bare upload's p95
DRAIN_TIMEOUT_S = 900
# One gunicorn configuration for Ronde and the peer (the same concurrency on both sides): the
# one docs/deploy.md installs (4 workers × 2 threads). Two sync workers, the earlier default,
# measured a server nobody deploys: `AGENT_BENCH_WORKERS=2 AGENT_BENCH_GUNICORN=--keep-alive 75`.
WORKERS = int(os.environ.get("AGENT_BENCH_WORKERS", "4"))
GUNICORN = os.environ.get("AGENT_BENCH_GUNICORN", "--threads 2 --keep-alive 75").split()
# Ronde and the peer take turns this many times, each round a part of every outbox.
ROUNDS = int(os.environ.get("AGENT_BENCH_ROUNDS", "4"))


def seed(n_agents: int, n_stops: int) -> None:
    """Run inside Django (subprocess): one community, a team and a mission per agent; print JSON."""
    import datetime as dt

    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.utils import timezone

    from accounts.models import Role
    from accounts.services import api_token_create, community_create, team_create, user_create
    from interventions.models import Category, Intervention, InterventionStatus, Mission, MissionStatus

    cx, cy = 497_000.0, 6_613_000.0  # Poitiers centre, Lambert-93 (metres)
    territory = Polygon.from_bbox((cx - 5000, cy - 5000, cx + 5000, cy + 5000))
    territory.srid = 2154
    community = community_create(
        slug="bench-agents",
        name="Bench agents",
        territory=MultiPolygon(territory, srid=2154),
        default_categories=False,
    )
    category = Category.objects.create(community=community, code="tag", name="Tag", is_tag=True)
    agents = []
    for a in range(n_agents):
        user = user_create(
            username=f"bench-agent-{a}", community=community, role=Role.AGENT, password=None, validate=False
        )
        team = team_create(community=community, name=f"Brigade {a}", members=[user])
        zone = Polygon.from_bbox((cx - 800, cy - 800 + a * 20, cx + 800, cy + 800 + a * 20))
        zone.srid = 2154
        mission = Mission.objects.create(
            community=community,
            team=team,
            date=timezone.localdate(),
            zone=zone,
            status=MissionStatus.DISPATCHED,
        )
        ids = [
            Intervention.objects.create(
                community=community,
                category=category,
                mission=mission,
                team=team,
                status=InterventionStatus.SCHEDULED,
                planned_date=mission.date + dt.timedelta(days=0),
                geom=Point(cx + 30 * i, cy + a * 20, srid=2154),
            ).pk
            for i in range(n_stops)
        ]
        token = api_token_create(user=user)[1]
        agents.append({"token": token, "mission": mission.pk, "interventions": ids})
    print(json.dumps(agents))


def _prepare() -> tuple[str, list[dict]]:
    return harness.seeded_database(DB_NAME, f"benchmarks.agent_sync:seed({N_AGENTS}, {N_INTERVENTIONS})")


def _photo_pool() -> list[bytes]:
    """Phone-like photos of ~500 KB: 1600×1200 JPEGs with texture (flat colour compresses to nothing)."""
    from PIL import Image, ImageFilter

    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0xA431] = (
        "BenchPhone",
        "Model B",
        "SERIAL-BENCH-1",
    )  # Make, Model, serial
    exif.get_ifd(0x8769)[0x9003] = "2025:06:14 09:30:00"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (46.0, 34.0, 48.0), "E", (0.0, 20.0, 24.0)
    pool = []
    for k in range(PHOTO_POOL):
        image = Image.effect_noise((1600, 1200), 40 + k).convert("RGB").filter(ImageFilter.GaussianBlur(1.2))
        quality = 60
        while True:
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
            if out.tell() >= 450_000 or quality >= 95:
                break
            quality += 5
        pool.append(out.getvalue())
    return pool


def _agent_outbox(agent: dict, pool: list[bytes], n: int) -> list[tuple[str, str, dict]]:
    """(kind, path, request kwargs) in outbox order: interventions, then their photos."""
    now = time.time()
    items: list[tuple[str, str, dict]] = []
    photos: list[tuple[str, str, dict]] = []
    for i, intervention_id in enumerate(agent["interventions"]):
        key = str(uuid.UUID(int=(n << 64) + i + 1))
        at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 3600 + i * 60))
        body = {
            "client_updated_at": at,
            "intervention_id": intervention_id,
            "mission_id": agent["mission"],
            "status": "done",
            "surface_m2": "2.50",
            "method": "hydro",
            "support": "wall",
        }
        items.append(("intervention", f"/agent/api/interventions/{key}/", {"json": body}))
        for kind in ("before", "after"):
            photo_key = uuid.uuid4()
            data = pool[(i * 2 + (kind == "after") + n) % len(pool)]
            photos.append(
                (
                    "photo",
                    f"/agent/api/photos/{photo_key}/",
                    {  # as the field app sends it: the JPEG as the body, the fields in the query
                        "params": {"kind": kind, "intervention": key, "taken_at": at},
                        "content": data,
                        "headers": {"Content-Type": "image/jpeg"},
                    },
                )
            )
    return items + photos


def _drive(
    base: str,
    outboxes: list[tuple[str, list]],
    method: str = "PUT",
    profile: harness.RouteProfile | None = None,
    clients: dict[str, httpx.Client] | None = None,
) -> tuple[dict, float, list[str]]:
    """Every outbox in its own thread at once; latencies (s) by kind, wall time, errors.

    `profile` collects the server's Server-Timing per route (when the server sends it);
    `clients` (per token) keep their connections from one call to the next."""
    latencies: dict[str, list[float]] = {"intervention": [], "photo": []}
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(outboxes) + 1)

    def agent(token: str, outbox: list) -> None:
        kept = clients.get(token) if clients is not None else None
        with (
            contextlib.nullcontext(kept)  # the caller closes it
            if kept is not None
            else httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=120)
        ) as client:
            start.wait()
            for kind, path, kwargs in outbox:
                t0 = time.perf_counter()
                try:
                    response = client.request(method, path, **kwargs)
                    ok = response.status_code in (200, 201)
                    detail = f"{response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, repr(exc)
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies[kind].append(elapsed)
                    if profile is not None and ok:
                        profile.add(response, elapsed)
                    if not ok:
                        errors.append(f"{method} {path}: {detail}")

    threads = [threading.Thread(target=agent, args=ob) for ob in outboxes]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - t0, errors


def _count(url: str) -> dict[str, int]:
    with psycopg.connect(harness._libpq(url)) as conn:
        row = conn.execute(
            """SELECT
                 (SELECT count(*) FROM interventions_intervention WHERE status = 'done'),
                 (SELECT count(*) FROM interventions_intervention),
                 (SELECT count(*) FROM interventions_photo),
                 (SELECT count(DISTINCT client_uuid) FROM interventions_photo),
                 (SELECT count(*) FROM interventions_photothumbnail),
                 (SELECT count(*) FROM interventions_photo WHERE status = 'pending'),
                 (SELECT count(*) FROM interventions_photo WHERE status = 'failed')"""
        ).fetchone()
    assert row is not None
    names = ["done", "interventions", "photos", "photo_keys", "thumbnails", "pending", "failed"]
    return dict(zip(names, row, strict=True))


def _drain(url: str) -> float:
    """Seconds until the worker has finished every photo (none pending)."""
    t0 = time.perf_counter()
    while _count(url)["pending"] and time.perf_counter() - t0 < DRAIN_TIMEOUT_S:
        time.sleep(0.5)
    return time.perf_counter() - t0


def _served_leaks(base: str, url: str, token: str, n: int = 40) -> tuple[int, list[str]]:
    """(photos fetched, what they still carry of the phone's EXIF): `n` photos spread over the
    run, full size and thumbnail, through the permission-checked photo view."""
    with psycopg.connect(harness._libpq(url)) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM interventions_photo ORDER BY random() LIMIT %s", [n]).fetchall()]  # fmt: skip
    from PIL import Image

    leaks = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=60) as client:
        for photo_id in ids:
            for size in ("full", "thumb"):
                response = client.get(f"/photos/{photo_id}/{size}/")
                if response.status_code != 200:
                    leaks.append(f"{photo_id}/{size}: HTTP {response.status_code}")
                    continue
                body = response.content
                leaks += [f"{photo_id}/{size}: {m!r}" for m in (b"SERIAL-BENCH", b"BenchPhone") if m in body]
                with Image.open(io.BytesIO(body)) as image:
                    if image.getexif().get_ifd(0x8825):
                        leaks.append(f"{photo_id}/{size}: GPS")
    return len(ids), leaks


PEER_APP = """
import os, uuid
ROOT = os.environ["PEER_MEDIA"]
def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "GET":
        start_response("200 OK", [("Content-Type", "text/plain")]); return [b"ok"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    with open(os.path.join(ROOT, uuid.uuid4().hex), "wb") as fh:
        fh.write(body)
    start_response("201 Created", [("Content-Type", "application/json")]); return [b"{}"]
"""


@contextlib.contextmanager
def _peer_server() -> Iterator[str]:
    """The bare WSGI upload app under the same gunicorn options; yields its base URL."""
    peer_dir = harness.BENCH_DIR / "peer-upload"
    (peer_dir / "files").mkdir(parents=True, exist_ok=True)
    (peer_dir / "peer_upload_app.py").write_text(PEER_APP)
    port = harness.free_port()
    argv = [str(Path(sys.executable).parent / "gunicorn"), "peer_upload_app:app", "--workers", str(WORKERS),
            *GUNICORN, "--bind", f"127.0.0.1:{port}", "--chdir", str(peer_dir), "--log-level", "warning"]  # fmt: skip
    env = {**os.environ, "PEER_MEDIA": str(peer_dir / "files")}
    base = f"http://127.0.0.1:{port}"
    with harness._serve(argv, env, f"{base}/", harness.BENCH_DIR / "peer-upload.log"):
        yield base
    for f in (peer_dir / "files").iterdir():
        f.unlink()


def _rounds(outbox: list[tuple[str, str, dict]], rounds: int) -> list[list[tuple[str, str, dict]]]:
    """An agent's outbox cut in `rounds` parts as even as can be, in its order: some
    interventions, then their photos."""
    interventions = [x for x in outbox if x[0] == "intervention"]
    photos = [x for x in outbox if x[0] == "photo"]
    if not 1 <= rounds <= len(interventions):
        raise ValueError(f"AGENT_BENCH_ROUNDS must be 1 to {len(interventions)} (the stops per agent)")
    per = len(photos) // len(interventions)  # photos per intervention, after them in the outbox
    cuts = [r * len(interventions) // rounds for r in range(rounds + 1)]
    return [interventions[a:b] + photos[a * per : b * per] for a, b in zip(cuts, cuts[1:], strict=False)]


def run() -> None:
    print(f"Seeding {N_AGENTS} agents × {N_INTERVENTIONS} stops…", flush=True)
    url, agents = _prepare()
    pool = _photo_pool()
    size_kb = sum(len(p) for p in pool) / len(pool) / 1024
    outboxes = [(a["token"], _agent_outbox(a, pool, n)) for n, a in enumerate(agents)]
    for folder in (MEDIA, INBOX):
        shutil.rmtree(folder, ignore_errors=True)
    env = {"RONDE_MEDIA_ROOT": str(MEDIA), "RONDE_PHOTO_INBOX": str(INBOX), "RONDE_SERVER_TIMING": "1"}
    print(
        f"{N_AGENTS} agents at once, each {N_INTERVENTIONS} interventions + {N_PHOTOS} photos of ~{size_kb:.0f} KB; "
        f"gunicorn {' '.join(GUNICORN)} (ronde and the peer); load {_load()}"
    )
    profile = harness.RouteProfile()
    latencies: dict[str, list[float]] = {"intervention": [], "photo": []}
    peer_latencies: list[float] = []
    errors: list[str] = []
    wall = peer_wall = 0.0
    parts = [(token, _rounds(outbox, ROUNDS)) for token, outbox in outboxes]
    with (
        harness.ronde_server(
            url, workers=WORKERS, extra_env={**env, "GUNICORN_CMD_ARGS": " ".join(GUNICORN)}
        ) as base,
        harness.task_worker(url, extra_env=env) as worker,
        _peer_server() as peer_base,
        contextlib.ExitStack() as closing,
    ):
        # Each agent keeps its connection to each server from round to round (keep-alive).
        to_ronde: dict[str, httpx.Client] = {}
        to_peer: dict[str, httpx.Client] = {}
        for token, _ in outboxes:
            auth = {"Authorization": f"Token {token}"}
            to_ronde[token] = closing.enter_context(httpx.Client(base_url=base, headers=auth, timeout=120))
            to_peer[token] = closing.enter_context(
                httpx.Client(base_url=peer_base, headers=auth, timeout=120)
            )
        # Ronde and the bare upload take turns (as `tiles` does A/B/A/B): this machine's speed
        # moves from minute to minute, and both are then measured over the same minutes.
        for r in range(ROUNDS):
            part = [(token, rounds[r]) for token, rounds in parts]
            got, seconds, failed = _drive(base, part, profile=profile, clients=to_ronde)
            wall += seconds
            errors += failed
            for kind, samples in got.items():
                latencies[kind] += samples
            # The peer's turn, with the background worker paused (its backlog waits, as the
            # peer ran after it had drained when they did not take turns).
            photos_only = [(token, [x for x in items if x[0] == "photo"]) for token, items in part]
            worker.send_signal(signal.SIGSTOP)
            try:
                peer_got, seconds, failed = _drive(peer_base, photos_only, method="POST", clients=to_peer)
            finally:
                worker.send_signal(signal.SIGCONT)
            peer_wall += seconds
            errors += [f"peer: {e}" for e in failed]
            peer_latencies += peer_got["photo"]
            ours_r = harness.latency_stats(got["photo"]).p95_ms
            peer_r = harness.latency_stats(peer_got["photo"]).p95_ms
            print(f"  round {r + 1}/{ROUNDS}: photo p95 {ours_r:.0f} ms, bare upload p95 {peer_r:.0f} ms "
                  f"({ours_r / peer_r:.2f}×); load {_load()}", flush=True)  # fmt: skip
        per_worker = harness.requests_per_worker()
        counts = _count(url)
        drain = _drain(url)
        # Replay a fifth of the outboxes (the same UUIDs again): nothing new may appear.
        replayed = outboxes[: max(1, N_AGENTS // 5)]
        _, replay_wall, replay_errors = _drive(base, replayed)
        drain += _drain(url)
        after = _count(url)
        checked, leaks = _served_leaks(base, url, agents[0]["token"])
    total = N_AGENTS * N_INTERVENTIONS
    sent_mb = N_AGENTS * N_PHOTOS * size_kb / 1024
    print(
        f"errors: {len(errors)} (replay: {len(replay_errors)})" + (f" first: {errors[0]}" if errors else "")
    )
    print(
        f"rows: {counts['done']}/{total} interventions done, {counts['photos']}/{N_AGENTS * N_PHOTOS} photos "
        f"accepted; once the worker drained ({drain:.1f} s after the last upload): {after['thumbnails']} "
        f"thumbnails, {after['pending']} pending, {after['failed']} unreadable; after replay of "
        f"{len(replayed)} outboxes: {after['interventions'] - counts['interventions']} new interventions, "
        f"{after['photos'] - counts['photos']} new photos ({replay_wall:.1f} s)"
    )
    print(f"served photos checked: {checked} (full + thumbnail), EXIF maker/serial/GPS found: {len(leaks)}")
    n_requests = sum(len(v) for v in latencies.values())
    print(f"wall {wall:.1f} s, {n_requests / wall:.1f} req/s, {sent_mb / wall:.1f} MB/s of photos")
    print(f"requests per gunicorn worker: {' / '.join(map(str, per_worker))}")
    for kind, samples in latencies.items():
        print(f"  ronde {kind:12s} {harness.latency_stats(samples, wall).line()}")
    print("per route (server side from Server-Timing; queue = client time not spent in the app):")
    for line in profile.lines():
        print(f"  {line}")
    peer_stats = harness.latency_stats(peer_latencies, peer_wall)
    ours = harness.latency_stats(latencies["photo"], wall)
    print(f"  peer  raw-upload   {peer_stats.line()}  (bare WSGI writing the body to disk)")
    ratio = ours.p95_ms / peer_stats.p95_ms if peer_stats.p95_ms else float("inf")
    print(
        f"photo throughput peer/ronde: {harness.ratio(peer_stats.throughput, ours.throughput)}; load {_load()}"
    )
    problems = []
    if errors or replay_errors:
        problems.append(f"{len(errors) + len(replay_errors)} errors")
    if (
        counts["done"] != total
        or counts["photos"] != N_AGENTS * N_PHOTOS
        or counts["photo_keys"] != counts["photos"]
    ):
        problems.append(f"rows lost or doubled: {counts}")
    if after["photos"] != counts["photos"] or after["interventions"] != counts["interventions"]:
        problems.append(f"the replay changed rows: {counts} -> {after}")
    if after["pending"] or after["failed"] or after["thumbnails"] != after["photos"]:
        problems.append(f"photos not all finished: {after}")
    if leaks:
        problems.append(f"EXIF served: {leaks[:5]}")
    verdict = "met" if ratio <= TARGET_RATIO and not problems else "NOT met"
    print(
        f"photo p95 {ours.p95_ms:.0f} ms = {ratio:.2f}× the bare upload's {peer_stats.p95_ms:.0f} ms "
        f"(target ≤ {TARGET_RATIO:g}×, {N_AGENTS} agents, every photo finished, no EXIF served): {verdict}"
    )
    if problems:
        raise RuntimeError("; ".join(problems))


def _load() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
