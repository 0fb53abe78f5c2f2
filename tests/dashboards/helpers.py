"""Hand-made tag histories with known answers (Lambert-93 around Poitiers, metres)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import Point

from accounts.models import Role
from geo.models import AssetKind, Support
from interventions.models import InterventionStatus, ReportStatus
from tests.factories import (
    POITIERS,
    AssetCategoryFactory,
    AssetFactory,
    CategoryFactory,
    InterventionFactory,
    ReportFactory,
    TeamFactory,
    member,
)

PARIS = ZoneInfo("Europe/Paris")


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=PARIS)


def point(dx: float = 0.0, dy: float = 0.0) -> Point:
    return Point(POITIERS[0] + dx, POITIERS[1] + dy, srid=2154)


def surface_site(community, dx: float = 0.0, dy: float = 0.0, support: str = Support.WALL):
    category = AssetCategoryFactory(
        community=community, kind=AssetKind.SURFACE, code=f"wall-{dx}-{dy}-{support}"
    )
    return AssetFactory(community=community, category=category, support=support, geom=point(dx, dy), name="")


def cleaning(community, category, *, day: str, site=None, dx=0.0, dy=0.0, minutes=30, hour=10, **kwargs):
    """A done tag removal that ended on `day` at `hour` after `minutes` of work."""
    ended = at(day, hour)
    kwargs.setdefault("surface_m2", Decimal("2.00"))
    kwargs.setdefault("support", Support.WALL)
    return InterventionFactory(
        community=community,
        category=category,
        status=InterventionStatus.DONE,
        started_at=ended - dt.timedelta(minutes=minutes),
        ended_at=ended,
        asset=site,
        geom=site.geom if site is not None else point(dx, dy),
        **kwargs,
    )


def make_history(community):
    """Three sites; January 2025 has 4 removals.

    A: cleaned 2 Jan, 5 Jan (3 days later: a return), 1 Mar (55 days after 5 Jan).
    B: cleaned 10 Jan (reported 8 Jan, offensive, 48 h), re-reported 30 Jan (20 days), cleaned 1 Feb.
    C: cleaned 20 Jan (reported 19 Jan 12:00, offensive, 22 h), never again.
    Costs: 30 min each, team at 40 EUR/h; A's first removal had 2 agents.
    """
    community.settings = {
        "product_cost_per_m2": 1.5,
        "contractor_day_rate": 1000,
        "contractor_days": {"2025-01": 1},
    }
    community.save()
    tag = CategoryFactory(community=community)
    team = TeamFactory(community=community, hourly_cost=40)
    a = surface_site(community)
    b = surface_site(community, dx=100)
    c = surface_site(community, dx=1000)
    first = cleaning(community, tag, day="2025-01-02", site=a, team=team)
    first.agents.add(member(community, Role.AGENT), member(community, Role.AGENT))
    cleaning(community, tag, day="2025-01-05", site=a, team=team)
    cleaning(community, tag, day="2025-03-01", site=a, team=team)
    b_report = ReportFactory(community=community, category=tag, reported_at=at("2025-01-08"), geom=b.geom)
    cleaning(community, tag, day="2025-01-10", site=b, team=team, offensive=True, report=b_report)
    ReportFactory(community=community, category=tag, reported_at=at("2025-01-30"), geom=b.geom, asset=b)
    ReportFactory(  # rejected: not a re-tag
        community=community,
        category=tag,
        reported_at=at("2025-01-12"),
        geom=b.geom,
        asset=b,
        status=ReportStatus.REJECTED,
    )
    cleaning(community, tag, day="2025-02-01", site=b, team=team)
    c_report = ReportFactory(community=community, category=tag, reported_at=at("2025-01-19", 12), geom=c.geom)
    cleaning(community, tag, day="2025-01-20", site=c, team=team, offensive=True, report=c_report)
    return {"a": a, "b": b, "c": c, "tag": tag, "team": team}
