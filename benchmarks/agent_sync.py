"""Field app sync under load: 50 agents each send a day's outbox at the same moment.

Each agent: 20 intervention PUTs (their mission's stops, done) then 40 photo PUTs of ~500 KB
(before/after), against one gunicorn (2 workers, production settings) on loopback. Checks:
zero errors, every row once (no loss, no duplicate), and a replay of some outboxes creates
nothing. Prints throughput and latency percentiles per request kind.

Peer (the floor): the same photo bodies POSTed to a bare WSGI app under the same gunicorn
that only writes the request body to disk — what moving 500 KB over loopback costs before
any checking, EXIF stripping, downscaling, thumbnailing or transaction.

Scale with AGENT_BENCH_AGENTS (default 50) for a quick trial.
"""

import io
import json
import os
import sys
import threading
import time
import uuid
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

    pool = []
    for k in range(PHOTO_POOL):
        image = Image.effect_noise((1600, 1200), 40 + k).convert("RGB").filter(ImageFilter.GaussianBlur(1.2))
        quality = 60
        while True:
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality)
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
                    {
                        "data": {"kind": kind, "intervention": key, "taken_at": at},
                        "files": {"file": ("photo.jpg", data, "image/jpeg")},
                    },
                )
            )
    return items + photos


def _drive(
    base: str,
    outboxes: list[tuple[str, list]],
    method: str = "PUT",
    profile: harness.RouteProfile | None = None,
) -> tuple[dict, float, list[str]]:
    """Every outbox in its own thread at once; latencies (s) by kind, wall time, errors.

    `profile` collects the server's Server-Timing per route (when the server sends it)."""
    latencies: dict[str, list[float]] = {"intervention": [], "photo": []}
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(outboxes) + 1)

    def agent(token: str, outbox: list) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=120) as client:
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
                 (SELECT count(*) FROM interventions_photothumbnail)"""
        ).fetchone()
    assert row is not None
    return dict(zip(["done", "interventions", "photos", "photo_keys", "thumbnails"], row, strict=True))


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


def _peer(outboxes: list[tuple[str, list]]) -> tuple[dict, float, list[str]]:
    peer_dir = harness.BENCH_DIR / "peer-upload"
    (peer_dir / "files").mkdir(parents=True, exist_ok=True)
    (peer_dir / "peer_upload_app.py").write_text(PEER_APP)
    port = harness.free_port()
    argv = [str(Path(sys.executable).parent / "gunicorn"), "peer_upload_app:app", "--workers", "2",
            "--bind", f"127.0.0.1:{port}", "--chdir", str(peer_dir), "--log-level", "warning"]  # fmt: skip
    env = {**os.environ, "PEER_MEDIA": str(peer_dir / "files")}
    base = f"http://127.0.0.1:{port}"
    photos_only = [(token, [x for x in ob if x[0] == "photo"]) for token, ob in outboxes]
    with harness._serve(argv, env, f"{base}/", harness.BENCH_DIR / "peer-upload.log"):
        result = _drive(base, photos_only, method="POST")
    for f in (peer_dir / "files").iterdir():
        f.unlink()
    return result


def run() -> None:
    print(f"Seeding {N_AGENTS} agents × {N_INTERVENTIONS} stops…", flush=True)
    url, agents = _prepare()
    pool = _photo_pool()
    size_kb = sum(len(p) for p in pool) / len(pool) / 1024
    outboxes = [(a["token"], _agent_outbox(a, pool, n)) for n, a in enumerate(agents)]
    os.environ["RONDE_MEDIA_ROOT"] = str(MEDIA)
    print(
        f"{N_AGENTS} agents at once, each {N_INTERVENTIONS} interventions + {N_PHOTOS} photos of ~{size_kb:.0f} KB"
    )
    with harness.ronde_server(url, workers=2) as base:
        latencies, wall, errors = _drive(base, outboxes)
        counts = _count(url)
        # Replay a fifth of the outboxes (the same UUIDs again): nothing new may appear.
        replayed = outboxes[: max(1, N_AGENTS // 5)]
        _, replay_wall, replay_errors = _drive(base, replayed)
        after = _count(url)
    total = N_AGENTS * N_INTERVENTIONS
    sent_mb = N_AGENTS * N_PHOTOS * size_kb / 1024
    print(
        f"errors: {len(errors)} (replay: {len(replay_errors)})" + (f" first: {errors[0]}" if errors else "")
    )
    print(
        f"rows: {counts['done']}/{total} interventions done, {counts['photos']}/{N_AGENTS * N_PHOTOS} photos, "
        f"{counts['thumbnails']} thumbnails; after replay of {len(replayed)} outboxes: "
        f"{after['interventions'] - counts['interventions']} new interventions, "
        f"{after['photos'] - counts['photos']} new photos ({replay_wall:.1f} s)"
    )
    n_requests = sum(len(v) for v in latencies.values())
    print(f"wall {wall:.1f} s, {n_requests / wall:.1f} req/s, {sent_mb / wall:.1f} MB/s of photos")
    for kind, samples in latencies.items():
        print(f"  ronde {kind:12s} {harness.latency_stats(samples, wall).line()}")
    peer_latencies, peer_wall, peer_errors = _peer(outboxes)
    peer_stats = harness.latency_stats(peer_latencies["photo"], peer_wall, errors=len(peer_errors))
    ours = harness.latency_stats(latencies["photo"], wall)
    print(f"  peer  raw-upload   {peer_stats.line()}  (bare WSGI writing the body to disk)")
    print(
        f"photo p95 ronde/peer: {harness.ratio(ours.p95_ms, peer_stats.p95_ms)}; "
        f"photo throughput peer/ronde: {harness.ratio(peer_stats.throughput, ours.throughput)}"
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
    if after != counts:
        problems.append(f"the replay changed rows: {counts} -> {after}")
    if problems:
        raise RuntimeError("; ".join(problems))
