"""Field app sync, in-process: worker time and queries of one intervention PUT and one photo PUT.

What `agent_sync` measures over HTTP depends on the machine's other load (2 shared cores);
this one times the Django request path itself (wall time, and the worker's own CPU time,
which other processes on the machine disturb much less) (django test client, production settings,
DEBUG off) against the agent benchmark's database, and counts queries per request with
CaptureQueriesContext. Each timed request is a first delivery (fresh intervention, fresh
photo key), as in a real sync; replays are timed separately.

`AGENT_INPROC_N` requests of each kind (default 40). `AGENT_INPROC_PROFILE=1` prints the
top of a cProfile of the photo and intervention requests; a regex instead of 1 keeps only
the files it matches (e.g. `AGENT_INPROC_PROFILE='agent/|interventions/|accounts/'`).
"""

import json
import os
import subprocess
import sys

from benchmarks import agent_sync, harness

N = int(os.environ.get("AGENT_INPROC_N", "40"))


def measure(n: int, profile: bool | str) -> None:
    """Runs inside Django (subprocess, production settings)."""
    import cProfile
    import datetime as dt
    import pstats
    import statistics
    import time
    import uuid
    from urllib.parse import urlencode

    from django.contrib.gis.geos import Point
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import ApiToken
    from accounts.services import api_token_create
    from interventions.models import Category, Intervention, InterventionStatus, Mission

    seeded = ApiToken.objects.select_related("user").order_by("pk").first()
    assert seeded is not None, "run `python -m benchmarks agent_sync` once to seed the database"
    token, key = api_token_create(user=seeded.user)  # keys are stored as digests: a new one
    mission = Mission.objects.filter(team__members=token.user).order_by("pk").first()
    assert mission is not None
    category = Category.objects.get(community=mission.community)
    # Fresh planned work each run: a first delivery is what a sync mostly sends.
    fresh = [
        Intervention.objects.create(
            community=mission.community,
            category=category,
            mission=mission,
            team=mission.team,
            status=InterventionStatus.SCHEDULED,
            planned_date=mission.date,
            geom=Point(497_000.0 + 3 * i, 6_613_100.0, srid=2154),  # Poitiers centre, Lambert-93
        )
        for i in range(n)
    ]
    pool = agent_sync._photo_pool()[:4]
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    client.get("/agent/api/missions/")  # warm imports, connection, caches
    keys = [str(uuid.uuid4()) for _ in fresh]
    now = timezone.now()

    def put_intervention(i: int, key: str) -> int:
        body = {
            "client_updated_at": (now - dt.timedelta(minutes=n - i)).isoformat(),
            "intervention_id": fresh[i].pk,
            "mission_id": mission.pk,
            "status": "done",
            "surface_m2": "2.50",
            "method": "hydro",
            "support": "wall",
        }
        r = client.put(f"/agent/api/interventions/{key}/", json.dumps(body), content_type="application/json")
        assert r.status_code in (200, 201), r.content[:300]
        return r.status_code

    photo_keys = [str(uuid.uuid4()) for _ in range(n)]

    def put_photo(i: int, key: str) -> int:
        # As the field app sends it (agent/static/agent/outbox.js): the JPEG as the body.
        query = urlencode({"kind": "before", "intervention": keys[i], "taken_at": now.isoformat()})
        r = client.put(f"/agent/api/photos/{key}/?{query}", pool[i % len(pool)], content_type="image/jpeg")
        assert r.status_code in (200, 201), r.content[:300]
        return r.status_code

    def timed(label: str, fn, items: list[tuple[int, str]], prof: cProfile.Profile | None) -> None:  # type: ignore[no-untyped-def]
        ms, cpu, queries = [], [], []
        for i, key in items:
            with CaptureQueriesContext(connection) as ctx:
                c0 = time.process_time()
                t0 = time.perf_counter()
                if prof:
                    prof.enable()
                fn(i, key)
                if prof:
                    prof.disable()
                ms.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            queries.append(len(ctx.captured_queries))
        ms.sort()
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(
            f"  {label:22s} n={len(ms)} median={statistics.median(ms):.1f} ms mean={statistics.fmean(ms):.1f} ms "
            f"p95={p95:.1f} ms; worker CPU median={statistics.median(cpu):.1f} ms; "
            f"queries/request={statistics.fmean(queries):.1f}",
            flush=True,
        )

    prof_i = cProfile.Profile() if profile else None
    prof_p = cProfile.Profile() if profile else None
    timed("intervention PUT (new)", put_intervention, list(enumerate(keys)), prof_i)
    timed("intervention PUT replay", put_intervention, list(enumerate(keys))[: n // 2], None)
    timed("photo PUT (new)", put_photo, list(enumerate(photo_keys)), prof_p)
    timed("photo PUT replay", put_photo, list(enumerate(photo_keys))[: n // 2], None)
    size_kb = sum(len(p) for p in pool) / len(pool) / 1024
    print(f"  (photos: 1600×1200 JPEG, ~{size_kb:.0f} KB)")
    for label, prof in (("intervention", prof_i), ("photo", prof_p)):
        if prof:
            # AGENT_INPROC_PROFILE may name a regex of files to keep (e.g. "agent/|interventions/").
            only = [] if profile is True else [profile]
            print(f"\n--- cProfile {label} PUT (cumulative, top 40)")
            pstats.Stats(prof).sort_stats("cumulative").print_stats(*only, 40)


def run() -> None:
    # A fresh, small copy of the agent benchmark's database (2 agents): quick, and always at
    # the tree's current migrations.
    print("Seeding the agent benchmark database (2 agents)…", flush=True)
    agent_sync.N_AGENTS = 2
    url, _ = agent_sync._prepare()
    media = harness.BENCH_DIR / "agent-inproc-media"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "benchmark-only-secret-key-not-for-production-use",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "RONDE_MEDIA_ROOT": str(media),
    }
    setting = os.environ.get("AGENT_INPROC_PROFILE", "")
    profile: bool | str = True if setting == "1" else (setting or False)
    code = (
        "import django; django.setup(); from benchmarks.agent_sync_inprocess import measure; "
        f"measure({N}, {profile!r})"
    )
    print(f"In-process (django test client, production settings), {N} requests of each kind:", flush=True)
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=harness.ROOT)
