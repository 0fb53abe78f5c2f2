"""The monthly rollups (dashboards_factmonth, _sitemonth, _delaymonth) give the same figures
as the facts they are built from, for every filter the page offers; periods that are not
whole months, and zones that are not districts, are answered from the facts, except the KPIs of
a period ending mid-month: its whole months from the rollups, its last days from the facts."""

import datetime as dt
import random
from dataclasses import asdict
from decimal import Decimal

import pytest
from django.contrib.gis.geos import MultiPolygon

from dashboards import selectors
from dashboards.filters import Filters
from dashboards.models import DelayMonth, FactMonth, SiteMonth
from dashboards.selectors import (
    districts_figures,
    hotspots,
    kpis_for_period,
    monthly_trend,
    rollup_params,
    streets_figures,
)
from dashboards.services.freshness import recurrence_ensure_fresh
from geo.models import ZoneKind
from tests.dashboards.helpers import at, cleaning, surface_site
from tests.factories import (
    POITIERS,
    CategoryFactory,
    ReportFactory,
    StreetSegmentFactory,
    TeamFactory,
    ZoneFactory,
    square,
)


@pytest.fixture
def busy(community):
    """Six months of removals on six sites (two districts, one site outside both), two tag
    categories, two teams, two products, reports before some removals: delays of minutes to
    months, so that medians fall in different histogram buckets."""
    community.settings = {"hourly_cost": 30, "product_cost_per_m2": 1.2, "product_costs": {"gel": 4.5}}
    community.save()
    west = ZoneFactory(
        community=community, name="Ouest", geom=MultiPolygon(square(POITIERS[0] + 100, POITIERS[1], 300))
    )
    east = ZoneFactory(
        community=community, name="Est", geom=MultiPolygon(square(POITIERS[0] + 1500, POITIERS[1], 300))
    )
    StreetSegmentFactory(community=community, name="Rue des Arènes")
    tags = [CategoryFactory(community=community), CategoryFactory(community=community)]
    teams = [
        TeamFactory(community=community, hourly_cost=40),
        TeamFactory(community=community, hourly_cost=55),
    ]
    sites = [surface_site(community, dx=dx) for dx in (0, 150, 300, 1400, 1600, 4000)]
    rng = random.Random(7)
    for site in sites:
        day = dt.datetime(2025, 1, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=rng.randrange(0, 400))
        while day.year == 2025 and day.month <= 6:
            ended = day.astimezone(at("2025-01-01").tzinfo)
            report = None
            if rng.random() < 0.5:
                report = ReportFactory(
                    community=community,
                    category=tags[0],
                    reported_at=ended - dt.timedelta(minutes=rng.randrange(30, 5000)),
                    geom=site.geom,
                )
            cleaning(
                community,
                rng.choice(tags),
                day=ended.date().isoformat(),
                hour=ended.hour,
                site=site,
                team=rng.choice(teams + [None]),
                minutes=rng.randrange(10, 120),
                surface_m2=Decimal(rng.randrange(50, 900)) / 100,
                product=rng.choice(["", "gel"]),
                offensive=rng.random() < 0.3,
                report=report,
            )
            day += dt.timedelta(hours=rng.choice([2, 20, 70, 300, 900]) + rng.random() * 10)
    return {"west": west, "east": east, "tags": tags, "teams": teams, "sites": sites}


def _figures(community, filters):
    state = recurrence_ensure_fresh(community=community)  # as a page: once, before reading
    return {
        "kpis": asdict(kpis_for_period(community=community, filters=filters)),
        "districts": [asdict(d) for d in districts_figures(community=community, filters=filters)],
        "spots": [asdict(s) for s in hotspots(community=community, filters=filters)],
        "streets": [asdict(s) for s in streets_figures(community=community, filters=filters)],
        "months": [asdict(m) for m in monthly_trend(community=community, filters=filters, state=state)],
    }


def _same(rollup, facts, path="figures"):
    if isinstance(facts, dict):
        assert rollup.keys() == facts.keys(), path
        for key in facts:
            _same(rollup[key], facts[key], f"{path}.{key}")
    elif isinstance(facts, (list, tuple)):
        assert len(rollup) == len(facts), path
        for i, (a, b) in enumerate(zip(rollup, facts, strict=True)):
            _same(a, b, f"{path}[{i}]")
    elif isinstance(facts, float) or isinstance(rollup, float):
        assert rollup == pytest.approx(facts, rel=1e-9, abs=1e-9), path
    else:
        assert rollup == facts, path


def test_rollups_agree_with_the_facts(community, busy, monkeypatch):
    tags, teams, west, east = busy["tags"], busy["teams"], busy["west"], busy["east"]
    year = {"date_from": dt.date(2025, 1, 1), "date_to": dt.date(2026, 1, 1)}
    cases = [
        Filters(**year, period="year"),
        Filters(date_from=dt.date(2025, 2, 1), date_to=dt.date(2025, 3, 1), period="month"),
        Filters(date_from=dt.date(2025, 4, 1), date_to=dt.date(2025, 7, 1), period="quarter"),
        Filters(**year, period="year", categories=(tags[1].pk,)),
        Filters(**year, period="year", team=teams[0].pk),
        Filters(**year, period="year", zone=west.pk),
        Filters(**year, period="year", zone=east.pk, categories=(tags[0].pk, tags[1].pk)),
        Filters(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 4, 1), team=teams[1].pk, zone=west.pk),
    ]
    assert FactMonth.objects.count() == 0  # nothing before the first read rebuilds
    for filters in cases:
        assert rollup_params(community=community, filters=filters) is not None
        from_rollups = _figures(community, filters)
        with monkeypatch.context() as patch:
            patch.setattr(selectors, "rollup_params", lambda **kwargs: None)
            from_facts = _figures(community, filters)
        _same(from_rollups, from_facts)
    whole = _figures(community, cases[0])["kpis"]
    assert whole["cleanings"] > 60 and whole["returns"] > 40  # the history is not trivial
    assert whole["median_retag_days"] is not None and whole["median_report_hours"] is not None
    assert SiteMonth.objects.filter(community_id=community.pk).exists()
    assert DelayMonth.objects.filter(community_id=community.pk, kind=1).exists()


def test_even_median_between_two_buckets(community):
    """Two re-tag delays, 1 and 10 days (different buckets): the median is their mean."""
    tag = CategoryFactory(community=community)
    x, y = surface_site(community), surface_site(community, dx=500)
    cleaning(community, tag, day="2025-01-02", site=x)
    cleaning(community, tag, day="2025-01-03", site=x)
    cleaning(community, tag, day="2025-01-05", site=y)
    cleaning(community, tag, day="2025-01-15", site=y)
    january = Filters(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 2, 1), period="month")
    recurrence_ensure_fresh(community=community)
    k = kpis_for_period(community=community, filters=january)
    assert (k.cleanings, k.returns, k.sites) == (4, 2, 2)
    assert k.median_retag_days == pytest.approx(5.5)
    assert k.median_report_hours is None


def test_rollups_follow_a_rebuild(community):
    tag = CategoryFactory(community=community)
    site = surface_site(community)
    cleaning(community, tag, day="2025-03-02", site=site)
    march = Filters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 4, 1), period="month")
    recurrence_ensure_fresh(community=community)
    assert kpis_for_period(community=community, filters=march).cleanings == 1
    cleaning(community, tag, day="2025-03-20", site=site)
    recurrence_ensure_fresh(community=community)  # data changed: rebuilt first
    k = kpis_for_period(community=community, filters=march)
    assert (k.cleanings, k.returns) == (2, 1)
    assert k.median_retag_days == pytest.approx(18.0)
    assert FactMonth.objects.get(community_id=community.pk).cleanings == 2


def test_periods_and_zones_the_rollups_cannot_answer(community):
    sector = ZoneFactory(community=community, kind=ZoneKind.SECTOR)
    district = ZoneFactory(community=community)
    month = {"date_from": dt.date(2025, 3, 1), "date_to": dt.date(2025, 4, 1)}
    assert rollup_params(community=community, filters=Filters(**month, zone=district.pk)) is not None
    assert rollup_params(community=community, filters=Filters(**month, zone=sector.pk)) is None
    mid_month = Filters(date_from=dt.date(2025, 3, 10), date_to=dt.date(2025, 4, 1))
    assert rollup_params(community=community, filters=mid_month) is None
    assert rollup_params(community=community, filters=mid_month, tail=True) is None
    ends_mid_month = Filters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 10))
    assert rollup_params(community=community, filters=ends_mid_month) is None  # not for maps and lists
    assert rollup_params(community=community, filters=ends_mid_month, tail=True) is not None


def test_periods_ending_mid_month_agree_with_the_facts(community, busy, monkeypatch):
    """A period still running is compared with as many first days of another (the same days of
    last year): its KPIs come from the rollups for its whole months and from the facts for the
    rest, and equal what the facts alone give, medians and recurrence included."""
    tags, teams, west, east = busy["tags"], busy["teams"], busy["west"], busy["east"]
    start = dt.date(2025, 1, 1)
    cases = [
        Filters(date_from=start, date_to=dt.date(2025, 3, 17), period="year"),
        Filters(date_from=start, date_to=dt.date(2025, 6, 2), period="year", zone=west.pk),
        Filters(date_from=start, date_to=dt.date(2025, 5, 20), categories=(tags[1].pk,)),
        Filters(date_from=start, date_to=dt.date(2025, 4, 9), team=teams[0].pk, zone=east.pk),
        Filters(date_from=dt.date(2025, 4, 1), date_to=dt.date(2025, 5, 16), period="quarter"),
        # No whole month: the facts of its ten days alone.
        Filters(date_from=dt.date(2025, 2, 1), date_to=dt.date(2025, 2, 11), period="month"),
    ]
    recurrence_ensure_fresh(community=community)
    for filters in cases:
        assert rollup_params(community=community, filters=filters, tail=True) is not None
        from_rollups = asdict(kpis_for_period(community=community, filters=filters))
        with monkeypatch.context() as patch:
            patch.setattr(selectors, "rollup_params", lambda **kwargs: None)
            from_facts = asdict(kpis_for_period(community=community, filters=filters))
        _same(from_rollups, from_facts)
    first = asdict(kpis_for_period(community=community, filters=cases[0]))
    assert first["cleanings"] > 20 and first["returns"] > 10 and first["recurrence"][90][1] > 0
    assert first["median_retag_days"] is not None and first["median_report_hours"] is not None
    # The whole months are read from the rollups: a change to them shows.
    FactMonth.objects.filter(community_id=community.pk, month=dt.date(2025, 1, 1)).update(cleanings=0)
    assert kpis_for_period(community=community, filters=cases[0]).cleanings < first["cleanings"]


def test_recent_removals_agree_with_the_facts(community, monkeypatch):
    """Near today, a removal counts for N-day recurrence only once it is N days old: the
    rollups keep the times that decide it (first removal, first one re-tagged within N)."""
    tag = CategoryFactory(community=community)
    today = dt.date.today()
    x, y = surface_site(community), surface_site(community, dx=500)
    for site, ages in ((x, (100, 95, 40, 20, 5)), (y, (60, 35, 33, 3))):
        for age in ages:
            cleaning(community, tag, day=(today - dt.timedelta(days=age)).isoformat(), site=site)
    start = (today.replace(day=1) - dt.timedelta(days=160)).replace(day=1)
    end = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    filters = Filters(date_from=start, date_to=end)
    from_rollups = _figures(community, filters)
    with monkeypatch.context() as patch:
        patch.setattr(selectors, "rollup_params", lambda **kwargs: None)
        from_facts = _figures(community, filters)
    _same(from_rollups, from_facts)
    recurrence = from_rollups["kpis"]["recurrence"]
    assert recurrence[7] == (2, 2)  # x: 100 → 95 days ago; y: 35 → 33
    assert recurrence[30] == (2, 2)
    assert recurrence[90] == (1, 1)  # only x has a removal 90 days old, re-tagged 5 days later
