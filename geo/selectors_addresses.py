"""The search box: an address or a street of the caller's community, typos and accents
forgiven (PostgreSQL pg_trgm + unaccent, so it works without internet)."""

import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from accounts.models import Community
from core.sql import run_sql

SQL_DIR = Path(__file__).resolve().parent / "sql"
# "12 bis rue …", "12b rue …", "12, rue …": the number, its suffix, then the street words.
NUMBERED = re.compile(r"^\s*(\d{1,5})\s*(bis|ter|quater|quinquies|[a-z](?![a-z]))?[\s,]+(.+)$", re.IGNORECASE)
# pg_trgm word similarity (0–1) a street needs to be offered, tried in turn until one gives
# a street: 0.7 first (a typo in a long name still passes; over 50,000 streets its GIN scan
# keeps ~10 ms, where 0.45 reads every "Jean …" street: ~45 ms), then 0.45 for short names
# with a typo ("acacais") — below, noise. Measured by benchmarks/addresses.py.
SIMILARITIES = ("0.7", "0.45")
MIN_LENGTH = 2
MAX_LENGTH = 120


@dataclass
class SearchHit:
    kind: str  # "address" or "street"
    label: str
    postcode: str
    commune: str
    lon: float
    lat: float


def address_search(*, community: Community, q: str, limit: int = 8) -> list[SearchHit]:
    """Addresses and streets matching `q`, best first (at most `limit`)."""
    q = q.strip()[:MAX_LENGTH]
    number: int | None = None
    suffix = ""
    match = NUMBERED.match(q)
    if match:
        number, suffix, q = int(match.group(1)), (match.group(2) or "").lower(), match.group(3)
    if len(q.strip()) < MIN_LENGTH:
        return []
    params = {"community_id": community.pk, "q": q, "number": number, "suffix": suffix, "limit": limit}
    rows: list[tuple] = []
    for similarity in SIMILARITIES:
        with transaction.atomic():
            run_sql(SQL_DIR / "search_threshold.sql", {"threshold": similarity})
            rows = run_sql(SQL_DIR / "address_search.sql", params)
        if rows:
            break
    return [
        SearchHit(kind=r[0], label=r[1], postcode=r[2], commune=r[3], lon=round(r[4], 6), lat=round(r[5], 6))
        for r in rows
    ]
