"""Address search: GET /api/v1/addresses/search/?q=… over 1,000,000 addresses, target p95 ≤ 50 ms.

A département's BAN is 0.5–1 M addresses. The file is generated in the BAL 1.3 layout from
real French street names and their usual variations (type × name: "Rue Jean Jaurès",
"Allée des Acacias", "Impasse du Moulin"…), ~100 streets in each of 500 communes, numbers
with and without suffix, spread over a 110 km square of Lambert-93 around Poitiers; then
`import_addresses` loads it (timed). Queries are what people type: lower case, accents
dropped, a letter swapped or missing, with or without the number, sometimes the commune.
Measured through HTTP (gunicorn, production settings, token auth), concurrency 1, and
the share of queries whose first hit is the address or street looked for.

Scratch database ronde_bench_addresses; scale with ADDRESS_BENCH_ROWS (default 1000000).
"""

import gzip
import os
import random
import subprocess
import sys
import time
import unicodedata
from urllib.parse import quote

import numpy as np
import psycopg

from benchmarks import harness

DB_NAME = "ronde_bench_addresses"
N_ROWS = int(os.environ.get("ADDRESS_BENCH_ROWS", "1000000"))
TARGET_P95_MS = 50.0
N_QUERIES = 400
CSV = harness.BENCH_DIR / f"addresses-{N_ROWS}.csv.gz"
CENTRE = (497_000.0, 6_613_000.0)  # Poitiers, Lambert-93 metres
HALF = 55_000.0  # metres: a 110 km square, about a département

TYPES = [
    "Rue",
    "Avenue",
    "Allée",
    "Chemin",
    "Impasse",
    "Place",
    "Boulevard",
    "Route",
    "Rue",
    "Rue",
    "Quai",
    "Square",
]
NAMES = """Jean Jaurès|Victor Hugo|de la Gare|de l'Église|Pasteur|du Général de Gaulle|des Écoles|de la Mairie|
du Moulin|des Acacias|des Tilleuls|des Lilas|de la République|de la Paix|Gambetta|Jules Ferry|du Stade|
des Peupliers|du Château|de la Fontaine|du Commerce|Émile Zola|Carnot|Anatole France|Louis Pasteur|
Voltaire|de la Liberté|des Rosiers|des Vignes|du Lavoir|de Verdun|du 8 Mai 1945|du 11 Novembre|
Jean Moulin|Charles de Gaulle|Georges Clemenceau|Aristide Briand|Jean Macé|Paul Bert|Condorcet|
Saint-Martin|Saint-Pierre|Notre-Dame|des Prés|des Champs|du Bois|de la Forêt|des Jardins|du Parc|
de la Croix|des Cerisiers|des Chênes|des Érables|du Presbytère|de l'Abbaye|des Marronniers|
Marcel Pagnol|Antoine de Saint-Exupéry|Jacques Prévert|Albert Camus|Honoré de Balzac|Molière|
Jean de La Fontaine|Alphonse Daudet|Frédéric Mistral|Pierre et Marie Curie|Édouard Herriot|
de la Poste|du Four|des Puits|de la Source|du Ruisseau|de l'Étang|des Sablons|des Grands Champs|
Sadi Carnot|Thiers|Lamartine|Alfred de Musset|Guy de Maupassant|George Sand|du Maréchal Foch|
du Maréchal Leclerc|Jean Bart|Surcouf|Henri IV|de Bretagne|de Touraine|du Poitou|d'Aquitaine|
de la Libération|de la Résistance|des Déportés|des Anciens Combattants|du Souvenir|de la Vienne|
du Clain|de la Loire|des Mimosas|des Glycines|des Hortensias|des Bleuets|des Coquelicots|
des Violettes|des Primevères|des Genêts|de la Bruyère|des Fougères|des Noisetiers""".replace("\n", "").split(
    "|"
)
COMMUNES = """Saint-Benoît|Ligugé|Buxerolles|Chasseneuil-du-Poitou|Migné-Auxances|Vouneuil-sous-Biard|
Fontaine-le-Comte|Montamisé|Mignaloux-Beauvoir|Smarves|Iteuil|Vivonne|Lusignan|Jaunay-Marigny|
Neuville-de-Poitou|Vouillé|Chauvigny|Lussac-les-Châteaux|Montmorillon|Civray|Couhé|Gençay|
Loudun|Mirebeau|Lencloître|Châtellerault|Naintré|Dissay|Saint-Georges-lès-Baillargeaux|
Béruges|Croutelle|Nouaillé-Maupertuis|Savigny-Lévescault|Sèvres-Anxaumont|Bignoux|Quinçay""".replace(
    "\n", ""
).split("|")
BAL_HEADER = (
    "uid_adresse;cle_interop;commune_insee;commune_nom;commune_deleguee_insee;commune_deleguee_nom;"
    "voie_nom;lieudit_complement_nom;numero;suffixe;position;x;y;long;lat;cad_parcelles;source;"
    "date_der_maj;certification_commune"
)


def make_csv(n: int) -> None:
    """Write the BAL file."""
    from pyproj import Transformer

    rng = np.random.default_rng(harness.BENCH_SEED)
    n_communes = 500
    per_commune = n // n_communes
    side = int(np.ceil(np.sqrt(n_communes)))
    cell = 2 * HALF / side
    to_wgs84 = Transformer.from_crs(2154, 4326, always_xy=True)
    CSV.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(CSV, "wt", encoding="utf-8", newline="") as out:
        out.write(BAL_HEADER + "\r\n")
        for c in range(n_communes):
            base = COMMUNES[c % len(COMMUNES)]
            commune = (
                base if c < len(COMMUNES) else f"{base} {['Nord', 'Sud', 'Est', 'Ouest', 'Bourg'][c % 5]} {c}"
            )
            insee = f"{86000 + c:05d}"
            cx = CENTRE[0] - HALF + (c % side + 0.5) * cell
            cy = CENTRE[1] - HALF + (c // side + 0.5) * cell
            combos = [(t, name) for t in dict.fromkeys(TYPES) for name in NAMES]
            chosen = rng.choice(len(combos), size=100, replace=False)
            streets = [f"{combos[i][0]} {combos[i][1]}" for i in chosen]
            numbers_per_street = per_commune // len(streets)
            for s_idx, street in enumerate(streets):
                # A street: a line across the commune's cell, numbers along it.
                angle = rng.uniform(0, np.pi)
                sx, sy = cx + rng.uniform(-cell / 3, cell / 3), cy + rng.uniform(-cell / 3, cell / 3)
                steps = np.arange(numbers_per_street) * 12.0  # metres between numbers
                xs = sx + np.cos(angle) * steps
                ys = sy + np.sin(angle) * steps
                lons, lats = to_wgs84.transform(xs, ys)
                for k in range(numbers_per_street):
                    number = k + 1
                    suffix = "bis" if rng.random() < 0.03 else ""
                    cle = f"{insee}_{s_idx:04d}_{number:05d}{'_' + suffix if suffix else ''}"
                    out.write(
                        f";{cle};{insee};{commune};;;{street};;{number};{suffix};entrée;{xs[k]:.2f};{ys[k]:.2f};"
                        f"{lons[k]:.7f};{lats[k]:.7f};;commune;2025-01-01;1\r\n"
                    )


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def typo(text: str, rnd: random.Random) -> str:
    """One of: two letters swapped, a letter dropped, or a letter doubled (never the number)."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    i = rnd.choice(letters[2:-1] or letters)
    kind = rnd.randrange(3)
    if kind == 0 and i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def queries(sample: list[tuple[str, str, str]], count: int) -> list[tuple[str, str]]:
    """(what is typed, the label expected first)."""
    rnd = random.Random(harness.BENCH_SEED)
    out = []
    for i in range(count):
        number, street, commune = sample[i % len(sample)]
        words = street
        if rnd.random() < 0.7:
            words = strip_accents(words)
        words = words.lower() if rnd.random() < 0.8 else words
        if rnd.random() < 0.5:
            words = typo(words, rnd)
        if rnd.random() < 0.5:  # most towns have the same street names: people add the commune
            words = f"{words} {strip_accents(commune).lower()}"
        with_number = rnd.random() < 0.7
        out.append(
            (f"{number} {words}" if with_number else words, f"{number} {street}" if with_number else street)
        )
    return out


SETUP = """
from django.contrib.gis.geos import MultiPolygon, Polygon
from accounts.models import Community
poly = Polygon.from_bbox(({w}, {s}, {e}, {n})); poly.srid = 2154
Community.objects.get_or_create(slug="demo", defaults={{"name": "Bench adresses", "territory": MultiPolygon(poly, srid=2154)}})
"""


def load(url: str) -> None:
    """Generate the file and import it with import_addresses (timed)."""
    started = time.monotonic()
    make_csv(N_ROWS)
    print(
        f"Wrote {CSV.name} ({N_ROWS:,} addresses, BAL 1.3) in {time.monotonic() - started:.1f} s.", flush=True
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    manage = [sys.executable, str(harness.ROOT / "manage.py")]
    w, s, e, n = (
        CENTRE[0] - HALF - 1000,
        CENTRE[1] - HALF - 1000,
        CENTRE[0] + HALF + 1000,
        CENTRE[1] + HALF + 1000,
    )
    setup = SETUP.format(w=w, s=s, e=e, n=n)
    subprocess.run([*manage, "shell", "-c", setup], check=True, env=env, cwd=harness.ROOT)
    started = time.monotonic()
    subprocess.run([*manage, "import_addresses", str(CSV), "--community", "demo", "-v", "0"],
                   check=True, env=env, cwd=harness.ROOT)  # fmt: skip
    import_s = time.monotonic() - started
    with psycopg.connect(harness._libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE geo_address")
        conn.execute("VACUUM ANALYZE geo_streetname")
    print(f"import_addresses: {N_ROWS:,} addresses in {import_s:.1f} s.", flush=True)


def run() -> None:
    url = harness.migrated_database(DB_NAME)
    pg = harness._libpq(url)
    with psycopg.connect(pg, autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM geo_address").fetchone()
    if have is not None and have[0] == N_ROWS:
        print(f"Reusing the {N_ROWS:,} addresses of {DB_NAME} (drop it to import anew).", flush=True)
    else:
        load(url)
    with psycopg.connect(pg, autocommit=True) as conn:
        # What people look for: addresses drawn at random (the same ones on every run).
        conn.execute("SELECT setseed(0.42)")
        sample = [
            (f"{n} {s}".strip(), street, commune)
            for n, s, street, commune in conn.execute(
                "SELECT number, suffix, street, commune FROM geo_address ORDER BY random() LIMIT 1000"
            ).fetchall()
        ]
        row = conn.execute(
            "SELECT count(*), (SELECT count(*) FROM geo_streetname) FROM geo_address"
        ).fetchone()
    assert row is not None
    token = harness.bench_token(url)
    asked = queries(sample, N_QUERIES)
    paths = [f"/api/v1/addresses/search/?q={quote(q)}" for q, _ in asked]
    with harness.ronde_server(url, workers=2) as base:
        harness.http_loop(
            base, paths[:40], headers={"Authorization": f"Token {token}"}, concurrency=1
        )  # warm-up
        latencies, wall, responses = harness.http_loop(
            base, paths, headers={"Authorization": f"Token {token}"}, concurrency=1
        )
    stats = harness.latency_stats(latencies, wall)
    firsts = []
    for response in responses:
        results = response.json()["results"] if response.status_code == 200 else []
        firsts.append(results[0]["label"] if results else None)
    found = sum(1 for (_, expected), first in zip(asked, firsts, strict=False) if first == expected)
    print(stats.line())
    print(f"first hit is the one looked for: {found}/{len(asked)} ({100 * found / len(asked):.0f} %)")
    verdict = "met" if stats.p95_ms <= TARGET_P95_MS else "NOT met"
    print(
        f"Target: search p95 ≤ {TARGET_P95_MS:.0f} ms over {row[0]:,} addresses → {verdict} (p95 {stats.p95_ms:.1f} ms)"
    )


if __name__ == "__main__":
    run()
