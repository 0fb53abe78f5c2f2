"""Derived recurrence facts: one row per done tag removal, rebuilt from interventions and
reports by dashboards/sql/refresh_facts.sql (services/recurrence.py). Never edited by hand.

Why a table: finding each removal's next re-tag and previous cleaning costs four index
look-ups per row at query time (0.9 s for a month of 12k removals at 1M interventions);
window functions over the whole history, once per change batch, make every dashboard query
a plain indexed scan.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex


class CleaningFact(models.Model):
    # Same id as the intervention; no foreign key so that a rebuild never locks interventions.
    intervention_id = models.BigIntegerField(primary_key=True)
    community_id = models.BigIntegerField()
    asset_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    category_id = models.BigIntegerField()
    ended_at = models.DateTimeField()
    # When the site was tagged again (next tag removal or report there); null if not yet.
    next_at = models.DateTimeField(null=True)
    # The site had been cleaned before: this removal is a return.
    is_return = models.BooleanField(default=False)
    surface_m2 = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    minutes = models.FloatField()  # time on site
    agents = models.PositiveSmallIntegerField(default=1)
    product = models.CharField(max_length=120, blank=True, default="")
    offensive = models.BooleanField(default=False)
    reported_at = models.DateTimeField(null=True)  # of the report that led to it
    # The district (Zone of kind district, first by name) the removal lies in, and the name
    # of the named street nearest to its site (within 50 m): resolved once per rebuild.
    district_id = models.BigIntegerField(null=True)
    street = models.CharField(max_length=200, blank=True, default="")
    geom = models.PointField(srid=settings.RONDE_SRID)

    class Meta:
        indexes = [
            models.Index(fields=["community_id", "ended_at"], name="cleaningfact_comm_ended"),
            models.Index(
                fields=["community_id", "district_id", "ended_at"], name="cleaningfact_comm_district"
            ),
            GistIndex(name="cleaningfact_geom_gist", fields=["geom"]),
        ]

    def __str__(self) -> str:
        return f"removal {self.intervention_id}"


class RecurrenceState(models.Model):
    """When a community's facts were rebuilt, from which state of its data."""

    community_id = models.BigIntegerField(primary_key=True)
    refreshed_at = models.DateTimeField()
    # max(updated_at) of the community's interventions and reports at the rebuild.
    stamp = models.CharField(max_length=80)
    rows = models.PositiveIntegerField(default=0)
    # Unfiltered monthly trend at the rebuild: {"YYYY-MM": [removals, returns, m², cost EUR]}.
    monthly = models.JSONField(default=dict)
    # Every figure of the unfiltered dashboard for the default periods (month, quarter, year
    # around `figures_date`), computed by the background rebuild right after the facts
    # (services/recurrence.py): {repr(Filters): figures}, pickled (written by us only).
    # At 1M interventions a year's figures take seconds to compute; the first page view
    # after a rebuild reads them instead.
    figures = models.BinaryField(null=True, editable=False)
    figures_date = models.DateField(null=True)
    # Not stored: set by services/freshness.py when these facts are served while a background
    # task takes newer data in (the page says so).
    pending = False

    def __str__(self) -> str:
        return f"{self.community_id} @ {self.refreshed_at}"


# Monthly rollups of the facts, rebuilt with them (sql/refresh_rollups.sql, same transaction):
# a dashboard period made of whole calendar months (month, quarter, year) sums a few rows per
# month instead of reading ~27k facts per month (selectors.py). `month` is the first day of
# the calendar month in settings.TIME_ZONE. Never edited by hand.


class FactMonth(models.Model):
    """Totals per month × category × team × district × product (costs are applied at read
    time, from today's hourly costs and product prices: labour = agent_minutes / 60 × the
    team's hourly cost; product = m² × the product's price)."""

    community_id = models.BigIntegerField()
    month = models.DateField()
    category_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    district_id = models.BigIntegerField(null=True)
    product = models.CharField(max_length=120, blank=True, default="")
    cleanings = models.IntegerField()
    returns = models.IntegerField()
    m2 = models.DecimalField(max_digits=14, decimal_places=2)  # sum of surface_m2, exact
    minutes = models.FloatField()  # time on site
    agent_minutes = models.FloatField()  # sum of minutes × agents
    offensive = models.IntegerField()  # offensive removals that came from a report
    offensive_24h = models.IntegerField()  # … of which ended within 24 h of the report

    class Meta:
        indexes = [models.Index(fields=["community_id", "month"], name="factmonth_comm_month")]


class SiteMonth(models.Model):
    """Per month × site × category × team: what the recurrence rates, hotspots and streets
    need. A site is re-tagged within N days in a period iff min(rN_first) over the period's
    rows <= now - N days (rN_first: earliest removal of the month whose next tag came within
    N days); it is eligible iff min(first_ended) <= now - N days. Exact, for any `now`."""

    community_id = models.BigIntegerField()
    # Rows at three grains: "m" (month = its first day), "q" (quarter), "y" (year; month =
    # 1 January): a year reads one row per site instead of up to twelve.
    grain = models.CharField(max_length=1)
    month = models.DateField()
    asset_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    district_id = models.BigIntegerField(null=True)  # the site's, fixed per site
    street = models.CharField(max_length=200, blank=True, default="")
    cleanings = models.IntegerField()
    returns = models.IntegerField()
    m2 = models.DecimalField(max_digits=14, decimal_places=2)
    first_ended = models.DateTimeField()
    last_ended = models.DateTimeField()
    r7_first = models.DateTimeField(null=True)
    r30_first = models.DateTimeField(null=True)
    r90_first = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["community_id", "grain", "month"], name="sitemonth_comm_month"),
            models.Index(fields=["community_id", "asset_id", "grain", "month"], name="sitemonth_comm_asset"),
        ]


class DelayMonth(models.Model):
    """Histogram of delays per month × category × team × district, to find exact medians:
    the buckets give the rank's bucket, then the facts of that one bucket (an index on
    community, bucket, ended_at) give the exact value. kind 0: re-tag delay (next_at −
    ended_at), 1: report to cleaning (ended_at − reported_at); bucket =
    dashboards_delay_bucket(hours): 32 buckets per doubling of hours, ±."""

    community_id = models.BigIntegerField()
    grain = models.CharField(max_length=1)  # as SiteMonth.grain
    month = models.DateField()
    category_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    district_id = models.BigIntegerField(null=True)
    kind = models.SmallIntegerField()
    bucket = models.IntegerField()
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["community_id", "grain", "month"], name="delaymonth_comm_month")]
