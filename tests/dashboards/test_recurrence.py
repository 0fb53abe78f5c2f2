"""Recurrence figures on a small hand-made history whose answers are worked out by hand."""

import datetime as dt

import pytest
from django.contrib.gis.geos import LineString, MultiPolygon

from core.params import ParamError
from dashboards.filters import Filters, filters_from_query
from dashboards.models import RecurrenceState
from dashboards.selectors import (
    districts_figures,
    hotspots,
    kpis_compare,
    kpis_for_period,
    monthly_trend,
    site_history,
    streets_figures,
)
from dashboards.services import freshness
from tests.dashboards.helpers import cleaning, make_history, surface_site
from tests.factories import (
    POITIERS,
    CategoryFactory,
    StreetSegmentFactory,
    TeamFactory,
    ZoneFactory,
    square,
)

JANUARY = Filters(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 2, 1), period="month")


@pytest.fixture
def history(community):
    return make_history(community)


def fresh(community) -> RecurrenceState:
    """What a dashboard page does once before reading: bring the facts up to date."""
    return freshness.recurrence_ensure_fresh(community=community)


def page_kpis(community, filters=JANUARY):
    """The headline figures as a page gets them: freshness decided, then read."""
    fresh(community)
    return kpis_for_period(community=community, filters=filters)


def test_headline_figures(community, history):
    fresh(community)
    k = page_kpis(community)
    assert k.cleanings == 4
    assert k.sites == 3
    assert k.returns == 1  # A's second removal
    assert k.m2 == 8.0
    assert k.recurrence[7] == (1, 3)  # A came back in 3 days
    assert k.recurrence[30] == (2, 3)  # B in 20 days (its report)
    assert k.recurrence[90] == (2, 3)  # C never
    assert k.median_retag_days == pytest.approx(20.0)  # of 3, 55 and 20 days
    assert k.median_report_hours == pytest.approx(35.0)  # of 48 h and 22 h
    assert (k.offensive, k.offensive_24h) == (2, 1)
    assert k.labour_cost == pytest.approx(100.0)  # 0.5 h × 40 € × (2 + 1 + 1 + 1)
    assert k.product_cost == pytest.approx(12.0)  # 8 m² × 1.5 €
    assert k.contractor_cost == pytest.approx(1000.0)
    assert k.cost_per_tag == pytest.approx(1112.0 / 4)


def test_recent_removals_do_not_count_before_their_window(community, history):
    """A removal 10 days old can say nothing yet about 30-day recurrence."""
    tag = history["tag"]
    today = dt.date.today()
    cleaning(community, tag, day=(today - dt.timedelta(days=10)).isoformat(), site=history["a"])
    recent = Filters(date_from=today - dt.timedelta(days=20), date_to=today + dt.timedelta(days=1))
    fresh(community)
    k = kpis_for_period(community=community, filters=recent)
    assert k.cleanings == 1
    assert k.recurrence[7] == (0, 1)
    assert k.recurrence[30] == (0, 0) and k.rate30 is None


def test_trend_against_previous_period_and_last_year(community, history):
    february = Filters(date_from=dt.date(2025, 2, 1), date_to=dt.date(2025, 3, 1), period="month")
    cleaning(community, history["tag"], day="2024-02-14", site=history["c"])
    fresh(community)
    comparison = kpis_compare(community=community, filters=february)
    assert comparison.current.cleanings == 1  # B on 1 Feb
    assert comparison.current.returns == 1
    assert comparison.previous.cleanings == 4  # January
    assert comparison.last_year.cleanings == 1  # February 2024


def test_filters_by_team_and_district(community, history):
    west = ZoneFactory(
        community=community, name="Centre", geom=MultiPolygon(square(POITIERS[0] + 50, POITIERS[1], 300))
    )
    ZoneFactory(
        community=community, name="Est", geom=MultiPolygon(square(POITIERS[0] + 1000, POITIERS[1], 100))
    )
    only_west = Filters(date_from=JANUARY.date_from, date_to=JANUARY.date_to, zone=west.pk)
    fresh(community)  # the facts resolve each removal's district when they are built
    assert kpis_for_period(community=community, filters=only_west).cleanings == 3
    other_team = TeamFactory(community=community)
    by_team = Filters(date_from=JANUARY.date_from, date_to=JANUARY.date_to, team=other_team.pk)
    assert kpis_for_period(community=community, filters=by_team).cleanings == 0
    rows = {d.name: d for d in districts_figures(community=community, filters=JANUARY)}
    assert (rows["Centre"].cleanings, rows["Centre"].sites, rows["Centre"].returns) == (3, 2, 1)
    assert rows["Centre"].rate30 == pytest.approx(1.0)
    assert (rows["Est"].cleanings, rows["Est"].rate30) == (1, 0.0)


def test_hotspots_streets_and_history(community, history):
    StreetSegmentFactory(community=community, name="Rue des Arènes")  # along site A (0–100 m east)
    StreetSegmentFactory(
        community=community,
        name="Rue lointaine",
        geom=LineString(
            (POITIERS[0] + 990, POITIERS[1] + 5), (POITIERS[0] + 1010, POITIERS[1] + 5), srid=2154
        ),
    )
    fresh(community)  # the facts resolve each removal's street when they are built
    top = hotspots(community=community, filters=JANUARY, limit=2)
    assert [h.site_id for h in top] == [history["a"].pk, history["b"].pk]  # ties: oldest site first
    assert (top[0].cleanings, top[0].returns, top[0].street) == (2, 1, "Rue des Arènes")
    assert -1 < top[0].lon < 1 and 46 < top[0].lat < 47  # EPSG:4326 near Poitiers
    streets = {s.name: s for s in streets_figures(community=community, filters=JANUARY)}
    assert streets["Rue des Arènes"].cleanings == 3 and streets["Rue lointaine"].sites == 1
    visits = site_history(community=community, site_id=history["a"].pk)
    assert [v.ended_at.date() for v in visits] == [
        dt.date(2025, 3, 1),
        dt.date(2025, 1, 5),
        dt.date(2025, 1, 2),
    ]


def test_monthly_trend_has_every_month(community, history):
    months = monthly_trend(
        community=community,
        filters=Filters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 4, 1)),
        state=fresh(community),
    )
    assert len(months) == 12 and months[-1].month == "2025-03" and months[0].month == "2024-04"
    by_month = {m.month: m for m in months}
    assert (by_month["2025-01"].cleanings, by_month["2025-01"].returns) == (4, 1)
    assert (by_month["2025-02"].cleanings, by_month["2025-03"].cleanings) == (1, 1)
    assert by_month["2024-12"].cleanings == 0


def test_figures_never_mix_communities(community, other_community, history):
    other_tag = CategoryFactory(community=other_community)
    site = surface_site(other_community)
    for day in ("2025-01-03", "2025-01-04"):
        cleaning(other_community, other_tag, day=day, site=site)
    assert page_kpis(community).cleanings == 4
    assert page_kpis(other_community).cleanings == 2
    assert site_history(community=community, site_id=site.pk) == []


def test_filter_parsing_names_the_field(community, other_community):
    foreign_zone = ZoneFactory(community=other_community)
    with pytest.raises(ParamError) as err:
        filters_from_query({"zone": str(foreign_zone.pk)}, community=community)
    assert err.value.field == "zone"
    with pytest.raises(ParamError) as err:
        filters_from_query(
            {"period": "custom", "date_from": "2025-02-01", "date_to": "2025-01-01"}, community=community
        )
    assert err.value.field == "date_to"
    quarter = filters_from_query({"period": "quarter", "date_from": "2025-05-17"}, community=community)
    assert (quarter.date_from, quarter.date_to) == (dt.date(2025, 4, 1), dt.date(2025, 7, 1))
    assert quarter.shifted(previous=True).date_from == dt.date(2025, 1, 1)
    # The year before a year is that calendar year, leap or not.
    for year, before in ((2025, 2024), (2024, 2023)):
        these = filters_from_query({"period": "year", "date_from": f"{year}-03-04"}, community=community)
        previous = these.shifted(previous=True)
        assert (previous.date_from, previous.date_to) == (dt.date(before, 1, 1), dt.date(year, 1, 1))


def test_large_community_is_served_stale_facts_while_a_task_rebuilds(
    community, history, settings, django_capture_on_commit_callbacks
):
    assert page_kpis(community).cleanings == 4
    settings.RONDE_RECURRENCE_SYNC_ROWS = 0  # every community counts as large
    cleaning(community, history["tag"], day="2025-01-25", site=history["c"])
    with django_capture_on_commit_callbacks(execute=True):
        assert page_kpis(community).cleanings == 4  # stale, task queued
    assert page_kpis(community).cleanings == 5  # rebuilt by the task


def test_a_large_community_is_never_rebuilt_inside_a_request_even_long_stale(
    community, history, settings, django_capture_on_commit_callbacks
):
    """At 1M interventions a rebuild takes ~a minute: the page keeps the old facts and says so."""
    from dashboards.models import RecurrenceState

    assert page_kpis(community).cleanings == 4
    settings.RONDE_RECURRENCE_SYNC_ROWS = 0  # every community counts as large
    RecurrenceState.objects.filter(community_id=community.pk).update(
        refreshed_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    cleaning(community, history["tag"], day="2025-01-25", site=history["c"])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert page_kpis(community).cleanings == 4  # old facts
    assert len(queued) == 1  # the background rebuild
    # The page says the figures are from the last rebuild.
    from django.test import Client

    from accounts.models import Role
    from tests.factories import PASSWORD, member

    viewer = Client()
    assert viewer.login(username=member(community, Role.VIEWER).username, password=PASSWORD)
    page = viewer.get("/dashboards/?date_from=2025-01-01&date_to=2025-01-31", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'id="facts-age"' in page.content and b"Figures as of" in page.content


def test_a_small_community_is_rebuilt_at_most_once_a_minute(
    community, history, settings, django_capture_on_commit_callbacks
):
    """Agents sync all day: each dashboard view must not rebuild the figures."""
    from dashboards.models import RecurrenceState

    assert page_kpis(community).cleanings == 4
    settings.RONDE_RECURRENCE_FRESH_S = 60
    cleaning(community, history["tag"], day="2025-01-25", site=history["c"])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert page_kpis(community).cleanings == 4  # rebuilt < 60 s ago
    assert len(queued) == 1  # the background task takes the change in
    RecurrenceState.objects.filter(community_id=community.pk).update(
        refreshed_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    assert page_kpis(community).cleanings == 5  # a minute later


@pytest.mark.django_db(transaction=True)  # the rebuild's transaction lock must end at its commit
def test_a_view_never_waits_behind_another_rebuild(community, history):
    import time

    import psycopg
    from django.db import connection

    assert page_kpis(community).cleanings == 4
    cleaning(community, history["tag"], day="2025-01-25", site=history["c"])
    freshness._ENQUEUED[community.pk] = time.monotonic()  # a task was just queued
    s = connection.settings_dict
    with psycopg.connect(f"host={s['HOST']} port={s['PORT']} user={s['USER']} dbname={s['NAME']}") as other:
        other.execute("SELECT pg_advisory_lock(hashtext('ronde.facts'), %s::int)", [community.pk])
        started = time.monotonic()
        state = freshness.recurrence_ensure_fresh(community=community)
        assert state.pending and time.monotonic() - started < 5  # served, no wait
    assert page_kpis(community).cleanings == 5  # lock free: rebuilt


def test_a_years_previous_period_is_last_year(community, history):
    """For a year the previous period and the same period last year coincide: both read 2025."""
    year = Filters(date_from=dt.date(2026, 1, 1), date_to=dt.date(2027, 1, 1), period="year")
    fresh(community)
    comparison = kpis_compare(community=community, filters=year)
    direct = kpis_for_period(community=community, filters=year.shifted(years=1))
    assert comparison.previous == comparison.last_year == direct
    assert direct.cleanings == 6 and comparison.current.cleanings == 0  # every removal of the history
    assert comparison.previous is not comparison.last_year  # independent objects for the page


def test_a_hotspot_is_named_by_its_sites_address(community, history):
    from geo.services.addresses import addresses_backfill
    from tests.factories import AddressFactory

    StreetSegmentFactory(community=community, name="Rue des Arènes")  # along site A (0–100 m east)
    site = history["a"]
    AddressFactory(community=community, number=14, street="Rue des Arènes", geom=site.geom.point_on_surface)
    addresses_backfill(community=community)  # as import_addresses does after loading
    fresh(community)
    top = hotspots(community=community, filters=JANUARY, limit=2)
    assert top[0].site_id == site.pk and top[0].address == "14 Rue des Arènes"
    assert top[0].street == "Rue des Arènes"  # the nearest street, kept apart (the street table)
    assert top[0].label.startswith("14 Rue des Arènes (")  # then the support, in the reader's language
    # Every period reads it: whole months from the rollups, any other days from the facts.
    days = Filters(date_from=JANUARY.date_from, date_to=JANUARY.date_to - dt.timedelta(days=1))
    assert hotspots(community=community, filters=days, limit=1)[0].address == "14 Rue des Arènes"
