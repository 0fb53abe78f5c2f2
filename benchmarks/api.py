"""The bbox query through HTTP: ~1,000 of 1M interventions per request, target p95 ≤ 50 ms.

Ronde: GET /api/v1/interventions/?bbox=…&page_size=1000 (gunicorn, production settings, token).
Peer, side by side on the same database: tipg 1.6.1 (OGC API Features, FastAPI + asyncpg),
GET /collections/public.interventions_intervention/items?bbox=…&limit=1000.
Both return GeoJSON in EPSG:4326. Ratios are Ronde / tipg (below 1: Ronde is faster).
"""

import json
import os

import numpy as np
import psycopg

from benchmarks import harness

SCALE = float(os.environ.get("RONDE_BENCH_SCALE", "100"))  # 100 -> 1M interventions
REQUESTS = int(os.environ.get("RONDE_BENCH_REQUESTS", "220"))
PER_BBOX = 1000  # interventions wanted in each bbox
WORKERS = 2  # both servers get as many processes as the machine has cores
P95_TARGET_MS = 50.0


def bboxes(url: str, count: int, seed: int = 1) -> list[tuple[float, float, float, float]]:
    """Boxes around randomly chosen interventions, each sized to hold ~PER_BBOX of them.

    Centres drawn among interventions follow their density (busy streets are looked at
    most); the half-size is the PER_BBOX-th smallest Chebyshev distance in metres on the
    ground (longitudes scaled by cos φ), so each box holds PER_BBOX points.
    """
    with psycopg.connect(harness._libpq(url)) as conn:
        rows = conn.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, 4326) AS g "
            "FROM interventions_intervention) AS t"
        ).fetchall()
    lonlat = np.array(rows, dtype=float)
    rng = np.random.default_rng(seed)
    k = min(PER_BBOX, len(lonlat) - 1)
    out = []
    for i in rng.choice(len(lonlat), size=count, replace=False):
        lon, lat = lonlat[i]
        cos = np.cos(np.radians(lat))
        d = np.maximum(np.abs(lonlat[:, 0] - lon) * cos, np.abs(lonlat[:, 1] - lat))
        half = np.partition(d, k - 1)[k - 1] * 1.0005  # degrees of latitude
        out.append((lon - half / cos, lat - half, lon + half / cos, lat + half))
    return out


def _box(b: tuple[float, float, float, float]) -> str:
    return ",".join(f"{v:.7f}" for v in b)


def run() -> None:
    url = harness.bench_database(SCALE)
    token = harness.bench_token(url)
    boxes = bboxes(url, REQUESTS)
    ronde_paths = [f"/api/v1/interventions/?bbox={_box(b)}&page_size={PER_BBOX}" for b in boxes]
    tipg_paths = [
        f"/collections/public.interventions_intervention/items?bbox={_box(b)}&limit={PER_BBOX}&geom-column=geom"
        for b in boxes
    ]
    results: dict[str, dict[int, harness.Stats]] = {"ronde": {}, "tipg": {}}
    returned: dict[str, float] = {}

    with harness.ronde_server(url, workers=WORKERS) as base:
        headers = {"Authorization": f"Token {token}"}
        for concurrency in (1, 4):
            samples, wall, responses = harness.http_loop(
                base, ronde_paths, headers=headers, concurrency=concurrency
            )
            results["ronde"][concurrency] = harness.latency_stats(samples, wall)
        returned["ronde"] = float(np.mean([len(r.json()["features"]) for r in responses]))
    for concurrency, stats in results["ronde"].items():
        print(f"Ronde, concurrency {concurrency}: {stats.line()}", flush=True)

    venv = harness.peer_venv("tipg", harness.TIPG_REQUIREMENTS)
    with psycopg.connect(harness._libpq(url)) as conn:
        # tipg serves every column as a property; agent_ids (the agents' ids PostgreSQL keeps on
        # the row for Ronde's list, interventions/sql/agent_ids_triggers.sql) is left out, so
        # the peer sends the same table as before it existed.
        columns = [
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = 'interventions_intervention' "
                "AND column_name <> 'agent_ids' ORDER BY ordinal_position"
            )
        ]
    env = {
        "DATABASE_URL": harness._libpq(url),
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.interventions_intervention"]',  # schema-qualified for tipg
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
        "DB_MAX_CONN_SIZE": "10",
        "TIPG_TABLE_CONFIG__public_interventions_intervention__properties": json.dumps(columns),
    }
    with harness.uvicorn_server(
        venv, "tipg.main:app", env=env, ready_path="/healthz", workers=WORKERS
    ) as base:
        for concurrency in (1, 4):
            samples, wall, responses = harness.http_loop(base, tipg_paths, concurrency=concurrency)
            results["tipg"][concurrency] = harness.latency_stats(samples, wall)
        returned["tipg"] = float(np.mean([len(r.json()["features"]) for r in responses]))

    print(f"bbox query, {REQUESTS} requests, ~{PER_BBOX} of {int(10_000 * SCALE):,} interventions each")
    print(f"features per response: Ronde {returned['ronde']:.0f}, tipg {returned['tipg']:.0f}")
    for concurrency in (1, 4):
        ours, theirs = results["ronde"][concurrency], results["tipg"][concurrency]
        print(f"concurrency {concurrency}:")
        print(f"  Ronde  {ours.line()}")
        print(f"  tipg   {theirs.line()}")
        print(
            f"  ratio Ronde/tipg: p50 {harness.ratio(ours.p50_ms, theirs.p50_ms)}, "
            f"p95 {harness.ratio(ours.p95_ms, theirs.p95_ms)}, "
            f"throughput {ours.throughput / theirs.throughput:.2f}×"
        )
    p95 = results["ronde"][1].p95_ms
    verdict = "met" if p95 <= P95_TARGET_MS else "NOT met"
    print(f"target p95 ≤ {P95_TARGET_MS:.0f} ms at concurrency 1: {verdict} ({p95:.1f} ms)")
