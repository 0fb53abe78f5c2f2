"""Reads of the recurrence model: figures per period, district, street and site.

Every function takes the community explicitly and passes it to SQL: figures are never
computed across tenants. SQL lives in dashboards/sql/ (see dashboards_tag_cleanings).
They only read: whether the facts are fresh enough is decided once per page, before them
(services/freshness.py), and the state it returns is passed to those that need it.
"""

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.utils import timezone

from accounts.models import Community

# Lag-tolerant: on a replica within RONDE_REPLICA_MAX_LAG_S when one is configured.
from core.replicas import read_sql as run_sql
from geo.models import Zone
from interventions.labels import method_label, site_label

from .filters import Filters
from .models import RecurrenceState
from .sqlfiles import sql_file

RECURRENCE_DAYS = (7, 30, 90)


def rollup_params(*, community: Community, filters: Filters, tail: bool = False) -> dict[str, object] | None:
    """SQL parameters for the monthly rollups (models.FactMonth…), or None when they cannot
    answer: a period that does not start on the 1st of a month, or a zone that is not a
    district (other zones are matched by geometry, on the facts).

    A period ending mid-month (one still running, compared with as many days of another) is
    answered too when `tail`: its whole months from the rollups, its last days from the facts
    [tail_from, tail_to) (rollup_kpis.sql and rollup_medians.sql add them; the other rollup
    statements do not, so only the KPIs ask). A year so clipped read ~330,000 facts in
    ~850 ms at 1M interventions; its tail is at most a month of them.
    """
    if filters.date_from.day != 1 or (filters.date_to.day != 1 and not tail):
        return None
    if (
        filters.zone is not None
        and not Zone.objects.filter(pk=filters.zone, community=community, kind="district").exists()
    ):
        return None
    params = filters.sql_params(community)
    start, end = filters.date_from, filters.date_to.replace(day=1)  # end >= start: both 1sts
    # The coarsest grain of the site and delay rollups that tiles the whole months exactly.
    if start.month == end.month == 1:
        grain = "y"
    elif (start.month - 1) % 3 == (end.month - 1) % 3 == 0:
        grain = "q"
    else:
        grain = "m"
    tail_from, tail_to = replace(filters, date_from=end).bounds()  # empty when it ends on the 1st
    return {**params, "month_from": start, "month_to": end, "grain": grain, "tail_from": tail_from,
            "tail_to": tail_to}  # fmt: skip


def _medians(params: dict[str, object], *, by_district: bool) -> dict[tuple[int, int], float]:
    """{(district id or 0, kind): median}: kind 0 re-tag delay (days), 1 report to cleaning (h)."""
    rows = run_sql(sql_file("rollup_medians.sql"), {**params, "by_district": by_district})
    return {(int(grp), int(kind)): float(value) for grp, kind, value in rows}


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def contractor_cost(*, community: Community, filters: Filters) -> float:
    """Contractor days of the months that start inside the period × day rate (EUR).

    Community.settings: {"contractor_day_rate": 1100, "contractor_days": {"2026-03": 2, …}}.
    """
    conf = community.settings or {}
    rate = float(conf.get("contractor_day_rate", 1100))
    days = conf.get("contractor_days") or {}
    total = 0.0
    for month, count in days.items():
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            continue
        if filters.date_from <= first < filters.date_to:
            total += float(count) * rate
    return total


@dataclass
class Kpis:
    cleanings: int
    m2: float
    returns: int
    sites: int
    hours: float
    labour_cost: float
    product_cost: float
    contractor_cost: float
    median_retag_days: float | None
    median_report_hours: float | None
    offensive: int
    offensive_24h: int
    # {7: (re-tagged sites, eligible sites), 30: …, 90: …}
    recurrence: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def total_cost(self) -> float:
        return self.labour_cost + self.product_cost + self.contractor_cost

    @property
    def cost_per_tag(self) -> float | None:
        return _ratio(self.total_cost, self.cleanings)

    @property
    def offensive_24h_share(self) -> float | None:
        return _ratio(self.offensive_24h, self.offensive)

    def recurrence_rate(self, days: int) -> float | None:
        retagged, eligible = self.recurrence.get(days, (0, 0))
        return _ratio(retagged, eligible)

    @property
    def rate7(self) -> float | None:
        return self.recurrence_rate(7)

    @property
    def rate30(self) -> float | None:
        return self.recurrence_rate(30)

    @property
    def rate90(self) -> float | None:
        return self.recurrence_rate(90)


def kpis_for_period(*, community: Community, filters: Filters) -> Kpis:
    params = rollup_params(community=community, filters=filters, tail=True)
    if params is None:
        row = run_sql(sql_file("kpis.sql"), filters.sql_params(community))[0]
    else:
        medians = _medians(params, by_district=False)
        found = run_sql(sql_file("rollup_kpis.sql"), params)[0]
        row = (*found[:7], medians.get((0, 0)), medians.get((0, 1)), *found[9:])
    (cleanings, m2, returns, sites, minutes, labour, product, retag, report_h, off, off24) = row[:11]
    e7, r7, e30, r30, e90, r90 = row[11:]
    return Kpis(
        cleanings=int(cleanings),
        m2=float(m2),
        returns=int(returns),
        sites=int(sites),
        hours=float(minutes) / 60,
        labour_cost=float(labour),
        product_cost=float(product),
        contractor_cost=contractor_cost(community=community, filters=filters),
        median_retag_days=None if retag is None else float(retag),
        median_report_hours=None if report_h is None else float(report_h),
        offensive=int(off),
        offensive_24h=int(off24),
        recurrence={7: (int(r7), int(e7)), 30: (int(r30), int(e30)), 90: (int(r90), int(e90))},
    )


@dataclass
class Comparison:
    current: Kpis
    previous: Kpis
    last_year: Kpis
    # The period is still running: this many days of it, compared with as many days of the
    # previous period and of last year (like with like).
    partial_days: int | None = None


def kpis_compare(*, community: Community, filters: Filters) -> Comparison:
    """This period, the previous one, and the same period a year earlier; a period still
    running is compared with the same number of first days of the others."""
    previous, last_year = filters.shifted(previous=True), filters.shifted(years=1)
    partial = filters.elapsed_days(timezone.localdate())
    if partial is not None:
        previous, last_year = previous.clipped(days=partial), last_year.clipped(days=partial)
    current = kpis_for_period(community=community, filters=filters)
    before = kpis_for_period(community=community, filters=previous)
    # A year's previous period is last year: one query (seconds at 1M interventions), not two.
    same = (previous.date_from, previous.date_to) == (last_year.date_from, last_year.date_to)
    return Comparison(
        current=current,
        previous=before,
        last_year=replace(before) if same else kpis_for_period(community=community, filters=last_year),
        partial_days=partial,
    )


@dataclass
class DistrictFigures:
    zone_id: int
    name: str
    cleanings: int
    m2: float
    returns: int
    sites: int
    rate30: float | None
    median_retag_days: float | None
    cost: float
    geojson: str


def districts_figures(*, community: Community, filters: Filters) -> list[DistrictFigures]:
    params = rollup_params(community=community, filters=filters)
    if params is None:
        rows = run_sql(sql_file("by_zone.sql"), filters.sql_params(community))
    else:
        medians = _medians(params, by_district=True)
        rows = [
            (*r[:8], medians.get((int(r[0]), 0)), *r[9:])
            for r in run_sql(sql_file("rollup_by_zone.sql"), params)
        ]
    return [
        DistrictFigures(
            zone_id=int(r[0]),
            name=r[1],
            cleanings=int(r[2]),
            m2=float(r[3]),
            returns=int(r[4]),
            sites=int(r[5]),
            rate30=_ratio(int(r[7]), int(r[6])),
            median_retag_days=None if r[8] is None else float(r[8]),
            cost=float(r[9]),
            geojson=r[10],
        )
        for r in rows
    ]


@dataclass
class Hotspot:
    site_id: int
    name: str
    support: str
    cleanings: int
    returns: int
    m2: float
    last_cleaned: dt.datetime
    median_retag_days: float | None
    street: str
    lon: float
    lat: float
    district: str | None
    # The site's human address (geo.models.AddressField: the nearest BAN address, else the
    # nearest named street); "" when neither is near. Default: figures pickled before it.
    address: str = ""

    @property
    def label(self) -> str:
        """The site as a person names it, in the user's language."""
        return site_label(
            site_id=self.site_id,
            name=self.name,
            street=self.street,
            support=self.support,
            address=self.address,
        )


def hotspots(*, community: Community, filters: Filters, limit: int = 20) -> list[Hotspot]:
    rollup = rollup_params(community=community, filters=filters)
    params = {**(rollup or filters.sql_params(community)), "limit": limit}
    return [
        Hotspot(
            site_id=int(r[0]),
            name=r[1],
            support=r[2],
            cleanings=int(r[3]),
            returns=int(r[4]),
            m2=float(r[5]),
            last_cleaned=r[6],
            median_retag_days=None if r[7] is None else float(r[7]),
            street=r[8],
            lon=float(r[9]),
            lat=float(r[10]),
            district=r[11],
            address=r[12] or "",
        )
        for r in run_sql(sql_file("hotspots.sql" if rollup is None else "rollup_hotspots.sql"), params)
    ]


@dataclass
class StreetFigures:
    name: str
    sites: int
    cleanings: int
    returns: int
    m2: float


def streets_figures(*, community: Community, filters: Filters, limit: int = 20) -> list[StreetFigures]:
    rollup = rollup_params(community=community, filters=filters)
    params = {**(rollup or filters.sql_params(community)), "limit": limit}
    return [
        StreetFigures(name=r[0], sites=int(r[1]), cleanings=int(r[2]), returns=int(r[3]), m2=float(r[4]))
        for r in run_sql(sql_file("by_street.sql" if rollup is None else "rollup_by_street.sql"), params)
    ]


@dataclass
class Month:
    month: str  # YYYY-MM
    cleanings: int
    returns: int
    m2: float
    cost: float


def monthly_trend(
    *, community: Community, filters: Filters, state: RecurrenceState, months: int = 12
) -> list[Month]:
    """The `months` calendar months ending with the period's last month, zeros included
    (`state`: the facts read, whose rebuild stored the unfiltered months)."""
    last = filters.date_to - dt.timedelta(days=1)
    index = last.year * 12 + last.month - 1 - (months - 1)
    start = dt.date(index // 12, index % 12 + 1, 1)
    window = Filters(
        date_from=start,
        date_to=filters.date_to,
        categories=filters.categories,
        zone=filters.zone,
        team=filters.team,
    )
    rollup = rollup_params(community=community, filters=window)
    if rollup is not None:
        # Whole months (the window always starts on the 1st): a sum over the monthly rollup.
        found = {
            r[0]: Month(month=r[0], cleanings=int(r[1]), returns=int(r[2]), m2=float(r[3]), cost=float(r[4]))
            for r in run_sql(sql_file("rollup_monthly.sql"), rollup)
        }
    elif not (filters.categories or filters.zone or filters.team):
        # Unfiltered: the rollup made at the rebuild (a year of facts is too many to read per page).
        found = {
            key: Month(month=key, cleanings=v[0], returns=v[1], m2=v[2], cost=v[3])
            for key, v in (state.monthly or {}).items()
        }
    else:
        found = {
            r[0]: Month(month=r[0], cleanings=int(r[1]), returns=int(r[2]), m2=float(r[3]), cost=float(r[4]))
            for r in run_sql(sql_file("monthly.sql"), window.sql_params(community))
        }
    out = []
    for offset in range(months):
        i = index + offset
        key = f"{i // 12:04d}-{i % 12 + 1:02d}"
        out.append(found.get(key) or Month(month=key, cleanings=0, returns=0, m2=0.0, cost=0.0))
    return out


@dataclass
class Visit:
    ended_at: dt.datetime
    surface_m2: Decimal | None
    method: str
    support: str
    offensive: bool
    minutes: float

    @property
    def method_label(self) -> str:
        return method_label(self.method)


def site_history(*, community: Community, site_id: int, limit: int = 50) -> list[Visit]:
    """A site's tag removals, newest first (no personal data)."""
    rows = run_sql(sql_file("site_history.sql"), {"community": community.pk, "site": site_id, "limit": limit})
    return [
        Visit(ended_at=r[0], surface_m2=r[1], method=r[2], support=r[3], offensive=r[4], minutes=float(r[5]))
        for r in rows
    ]


def site_histories(*, community: Community, site_ids: list[int], limit: int = 10) -> dict[int, list[Visit]]:
    """The latest `limit` removals of each site, newest first, in one query."""
    out: dict[int, list[Visit]] = {site: [] for site in site_ids}
    if not site_ids:
        return out
    params = {"community": community.pk, "sites": list(site_ids), "limit": limit}
    for r in run_sql(sql_file("site_histories.sql"), params):
        out[int(r[0])].append(
            Visit(
                ended_at=r[1], surface_m2=r[2], method=r[3], support=r[4], offensive=r[5], minutes=float(r[6])
            )
        )
    return out


def dashboard_figures(*, community: Community, filters: Filters, state: RecurrenceState) -> dict:
    """Every figure of the dashboard page for one set of filters, from the facts `state`
    describes (views cache it; the facts' background rebuild precomputes the default
    periods: services.recurrence)."""
    spots = hotspots(community=community, filters=filters, limit=15)
    return {
        "comparison": kpis_compare(community=community, filters=filters),
        "districts": districts_figures(community=community, filters=filters),
        "spots": spots,
        "histories": site_histories(community=community, site_ids=[s.site_id for s in spots], limit=10),
        "months": monthly_trend(community=community, filters=filters, state=state),
        "streets": streets_figures(community=community, filters=filters, limit=10),
    }
