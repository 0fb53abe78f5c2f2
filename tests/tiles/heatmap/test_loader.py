"""The heatmap point loader: columns converted in numpy read as PostgreSQL computes them."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db import connection

from tests.dashboards.helpers import cleaning
from tests.factories import CategoryFactory
from tiles.heatmap.loader import local_days, points_load

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC

# Instants where the local day and the UTC day differ, and both sides of the DST changes
# (Europe/Paris: +01:00 → +02:00 on 30 March 2025 at 01:00 UTC, back on 26 October at 01:00 UTC).
ENDS = [
    dt.datetime(2025, 1, 9, 23, 30, tzinfo=UTC),  # 10 Jan 00:30 in Paris
    dt.datetime(2025, 1, 10, 22, 59, 59, 999_999, tzinfo=UTC),  # 10 Jan 23:59:59.999999
    dt.datetime(2025, 3, 29, 23, 0, tzinfo=UTC),  # 30 Mar 00:00 (+01:00)
    dt.datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC),  # 30 Mar 01:59:59, just before the change
    dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC),  # 30 Mar 03:00 (+02:00)
    dt.datetime(2025, 3, 30, 21, 59, tzinfo=UTC),  # 30 Mar 23:59 (+02:00)
    dt.datetime(2025, 3, 30, 22, 0, tzinfo=UTC),  # 31 Mar 00:00
    dt.datetime(2025, 10, 25, 22, 0, tzinfo=UTC),  # 26 Oct 00:00 (+02:00)
    dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC),  # 26 Oct 02:30, first time (+02:00)
    dt.datetime(2025, 10, 26, 1, 30, tzinfo=UTC),  # 26 Oct 02:30, second time (+01:00)
    dt.datetime(2025, 10, 26, 22, 59, tzinfo=UTC),  # 26 Oct 23:59 (+01:00)
    dt.datetime(1999, 12, 31, 23, 30, tzinfo=UTC),  # before PostgreSQL's epoch: 1 Jan 2000 in Paris
]


def _pg_us(when: dt.datetime) -> int:
    """A timestamp as PostgreSQL stores it: microseconds since 2000-01-01 00:00 UTC."""
    delta = when - dt.datetime(2000, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@pytest.mark.parametrize("tz", ["Europe/Paris", "America/New_York", "Pacific/Chatham", "UTC"])
def test_local_days_match_postgresql_at_time_zone(db, tz):
    us = np.array([_pg_us(t) for t in ENDS], dtype=np.int64)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (t AT TIME ZONE %s)::date - DATE '2000-01-01' FROM unnest(%s::timestamptz[]) AS t",
            [tz, ENDS],
        )
        expected = [row[0] for row in cursor.fetchall()]
    assert local_days(us, tz).tolist() == expected
    assert local_days(np.zeros(0, dtype=np.int64), tz).size == 0


def test_loaded_columns_are_what_postgresql_says(community, settings):
    settings.TIME_ZONE = "Europe/Paris"
    tag, other = (
        CategoryFactory(community=community, is_tag=True),
        CategoryFactory(community=community, is_tag=False),
    )
    made = []
    for i, ended in enumerate(ENDS[:-1]):
        removal = cleaning(
            community,
            tag if i % 2 else other,
            day="2025-01-10",
            dx=7 * i,
            surface_m2=Decimal("0.01") * (i * 731 + 1),
        )
        removal.started_at, removal.ended_at = ended - dt.timedelta(minutes=30), ended
        removal.save()
        made.append(removal.pk)
    points = points_load(community.pk, use_snapshot=False)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.id, (i.ended_at AT TIME ZONE 'Europe/Paris')::date - DATE '2000-01-01',
                   i.surface_m2::float4, c.is_tag, EXTRACT(EPOCH FROM i.updated_at)::float8
            FROM interventions_intervention i JOIN interventions_category c ON c.id = i.category_id
            WHERE i.id = ANY (%s) ORDER BY i.id
            """,
            [made],
        )
        rows = cursor.fetchall()
    order = np.argsort(points.id)
    assert points.id[order].tolist() == [r[0] for r in rows]
    assert points.day[order].tolist() == [r[1] for r in rows]
    assert points.m2[order].tolist() == [np.float32(r[2]) for r in rows]
    assert points.tag[order].tolist() == [r[3] for r in rows]
    assert points.high_water == max(r[4] for r in rows)
