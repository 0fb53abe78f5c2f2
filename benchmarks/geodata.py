"""Geodata import: a 100,000-feature GeoPackage into assets, target ≤ 30 s.

Ronde: `manage.py import_geodata` (read with pyogrio, checks and cleaning in Python, COPY into
a staging table, ST_MakeValid/ST_Transform/territory check and one INSERT … ON CONFLICT in
PostGIS, GiST indexes and the generated 3857 column maintained), then the same file again
(every feature updated through its external id).

Peer: GDAL's `ogr2ogr` (Debian's gdal-bin) loading the same file into a scratch table with
COPY, reprojected to the storage SRID, with a GiST index: the floor of "just load it", with
no checks, no territory, no upsert.

Both run as fresh processes on the same server, in a scratch database (ronde_bench_geodata).
Scale with GEODATA_BENCH_FEATURES (default 100000).
"""

import os
import subprocess
import sys
import time

import numpy as np
import psycopg

from benchmarks import harness

DB_NAME = "ronde_bench_geodata"
N_FEATURES = int(os.environ.get("GEODATA_BENCH_FEATURES", "100000"))
TARGET_S = 30.0
GPKG = harness.BENCH_DIR / f"geodata-{N_FEATURES}.gpkg"


def make_gpkg(n: int) -> None:
    """n points in lon/lat around Poitiers, with the attributes a registry export has."""
    import geopandas as gpd
    import pyogrio
    from pyproj import Transformer

    rng = np.random.default_rng(harness.BENCH_SEED)
    x = 497_000 + rng.uniform(-4_500, 4_500, n)  # metres, Lambert-93, inside a 10 km square
    y = 6_613_000 + rng.uniform(-4_500, 4_500, n)
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(x, y)
    frame = gpd.GeoDataFrame(
        {
            "ref": [f"MOB-{i:07d}" for i in range(n)],
            "nom": [f"Banc {i}" for i in range(n)],
            "code_post": np.full(n, 86000.0),  # the classic float postal code
            "materiau": rng.choice(["bois", "métal", "béton", ""], n),
            "annee_pose": rng.integers(1980, 2024, n),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    GPKG.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(frame, GPKG, layer="mobilier", driver="GPKG")


SETUP = """
from django.contrib.gis.geos import MultiPolygon, Polygon
from accounts.models import Community
from geo.models import AssetCategory
poly = Polygon.from_bbox((492000, 6608000, 502000, 6618000)); poly.srid = 2154
c, _ = Community.objects.get_or_create(slug="bench-geodata", defaults={"name": "Bench", "territory": MultiPolygon(poly, srid=2154)})
AssetCategory.objects.get_or_create(community=c, code="bench", defaults={"name": "Banc"})
from django.db import connection
# Raw delete: the ORM's cascade collector takes minutes over 100k assets.
connection.cursor().execute("DELETE FROM geo_asset WHERE community_id = %s", [c.pk])
"""


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(cmd, check=True, env=env, cwd=harness.ROOT, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def run() -> None:
    url = harness.migrated_database(DB_NAME)
    if not GPKG.exists():
        started = time.monotonic()
        make_gpkg(N_FEATURES)
        print(f"Wrote {GPKG.name} ({N_FEATURES} points) in {time.monotonic() - started:.1f} s.", flush=True)
    env = _env(url)
    manage = [sys.executable, str(harness.ROOT / "manage.py")]
    subprocess.run([*manage, "shell", "-c", SETUP], check=True, env=env, cwd=harness.ROOT)
    base = [*manage, "import_geodata", str(GPKG), "--community", "bench-geodata", "--into", "assets"]
    base += ["--category", "bench", "--external-id", "ref", "--map", "name=nom", "-v", "0"]
    ronde_first = _timed(base, env)
    ronde_again = _timed(base, env)  # same file: 100 % updates through the external id

    pg = harness._libpq(url)
    with psycopg.connect(pg) as conn:
        count = conn.execute(
            "SELECT count(*) FROM geo_asset a JOIN accounts_community c ON c.id = a.community_id "
            "WHERE c.slug = 'bench-geodata'"
        ).fetchone()
    assert count is not None and count[0] == N_FEATURES, count
    parts = pg.split("://", 1)[1]
    userhost, dbname = parts.rsplit("/", 1)
    user, hostport = userhost.split("@")
    host, port = hostport.split(":")
    peer_cmd = [
        "ogr2ogr", "-f", "PostgreSQL", f"PG:dbname={dbname} host={host} port={port} user={user}",
        str(GPKG), "mobilier", "-nln", "bench_geodata_ogr", "-overwrite", "-t_srs", "EPSG:2154",
        "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST", "--config", "PG_USE_COPY", "YES",
    ]  # fmt: skip
    peer = _timed(peer_cmd, os.environ.copy())
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_geodata_ogr")

    verdict = "OK" if ronde_first <= TARGET_S else "OVER TARGET"
    print(f"{'':32}{'seconds':>10}{'features/s':>12}{'vs ogr2ogr':>12}")
    for label, seconds in (
        ("ronde import_geodata (insert)", ronde_first),
        ("ronde import_geodata (update)", ronde_again),
        ("ogr2ogr → scratch table (peer)", peer),
    ):
        print(f"{label:32}{seconds:>10.1f}{N_FEATURES / seconds:>12,.0f}{seconds / peer:>11.1f}×")
    print(f"Target: {N_FEATURES} features in ≤ {TARGET_S:.0f} s → {verdict} ({ronde_first:.1f} s)")


if __name__ == "__main__":
    run()
