"""Rebuild the recurrence facts (dashboards_cleaningfact) and their rollups from interventions
and reports, and precompute the default pages' figures from them.

When to rebuild is services/freshness.py's decision, taken once per page. Deleted rows are
only seen at the next rebuild.
"""

import json
import pickle

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Community
from core.sql import run_sql, sql_text
from dashboards.filters import Filters, compare_from_query, filters_from_query
from dashboards.models import CleaningFact, DelayMonth, FactMonth, RecurrenceState, SiteMonth
from dashboards.selectors import dashboard_figures
from dashboards.sqlfiles import sql_file


def facts_stamp(*, community_id: int) -> str:
    return str(run_sql(sql_file("facts_stamp.sql"), {"community": community_id})[0][0])


class RebuildBusy(Exception):
    """Another request or task is rebuilding this community's facts right now."""


def recurrence_refresh(*, community_id: int, precompute: bool = False, wait: bool = True) -> RecurrenceState:
    """Rebuild a community's facts in one transaction (advisory lock per community).

    precompute: then also compute the default pages' figures (recurrence_precompute); the
    background task does, a rebuild inside a request (small community) does not.
    wait=False: raise RebuildBusy instead of queueing behind a rebuild already running.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            if wait:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('ronde.facts'), %s)", [community_id])
            else:
                cursor.execute(
                    "SELECT pg_try_advisory_xact_lock(hashtext('ronde.facts'), %s)", [community_id]
                )
                if not cursor.fetchone()[0]:
                    raise RebuildBusy(community_id)
        stamp = facts_stamp(community_id=community_id)
        CleaningFact.objects.filter(community_id=community_id).delete()
        with connection.cursor() as cursor:
            # The planner underestimates the removals CTE (thousands for 700k) and would join
            # the window results by nested loop, quadratic; hash joins are right at any size.
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute(sql_text(sql_file("refresh_facts.sql")), {"community": community_id})
            rows = cursor.rowcount
        rollups_refresh(community_id=community_id)
        costs = Community.objects.filter(pk=community_id).values_list("settings", flat=True).first() or {}
        monthly = {
            month: [int(n), int(back), float(m2), float(cost)]
            for month, n, back, m2, cost in run_sql(
                sql_file("monthly_all.sql"),
                {"community": community_id, "costs": json.dumps(costs), "tz": settings.TIME_ZONE},
            )
        }
        state, _created = RecurrenceState.objects.update_or_create(
            community_id=community_id,
            defaults={
                "refreshed_at": timezone.now(),
                "stamp": stamp,
                "rows": max(rows, 0),
                "monthly": monthly,
                "figures": None,
                "figures_date": None,
            },
        )
    if state.rows > 10_000:
        with connection.cursor() as cursor:  # fresh statistics for the planner
            cursor.execute(
                "ANALYZE dashboards_cleaningfact, dashboards_factmonth, dashboards_sitemonth, dashboards_delaymonth"
            )
    if precompute:
        recurrence_precompute(community_id=community_id, state=state)
    return state


def rollups_refresh(*, community_id: int) -> None:
    """Rebuild a community's monthly rollups (models.FactMonth, SiteMonth, DelayMonth) from its
    facts; called in the facts' rebuild transaction, so readers see both or neither."""
    for model in (FactMonth, SiteMonth, DelayMonth):
        model.objects.filter(community_id=community_id).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            sql_text(sql_file("refresh_rollups.sql")), {"community": community_id, "tz": settings.TIME_ZONE}
        )


PRECOMPUTED_PERIODS = ("month", "quarter", "year")
# Period B of the page's two ready-made comparisons, precomputed for each period above: a
# period still running is compared with the same first days of another one, a span the
# monthly rollups cannot answer, so B was read from the facts on the first view (at 1M
# interventions, "this year beside last year": 2.3 s, the page's target being 1 s).
PRECOMPUTED_COMPARISONS = ("last_year", "previous")


def figures_key(filters: Filters) -> str:
    return repr(filters)


def recurrence_precompute(*, community_id: int, state: RecurrenceState) -> int:
    """Compute the unfiltered dashboard's figures for today's month, quarter and year, and for
    period B of their ready-made comparisons, and store them with the facts they come from
    (only if no newer rebuild replaced them). Returns how many sets were stored (0 when a newer
    rebuild won)."""
    community = Community.objects.get(pk=community_id)
    today = timezone.localdate()
    found: dict[str, dict] = {}
    for period in PRECOMPUTED_PERIODS:
        filters = filters_from_query({"period": period}, community=community, today=today)
        wanted = [filters]
        for mode in PRECOMPUTED_COMPARISONS:
            compared = compare_from_query({"compare": mode}, filters=filters, today=today)
            if compared is not None:
                wanted.append(compared.filters)
        for these in wanted:
            key = figures_key(these)
            if key not in found:  # a year's previous period is last year
                found[key] = dashboard_figures(community=community, filters=these, state=state)
    stored = RecurrenceState.objects.filter(
        community_id=community_id, refreshed_at=state.refreshed_at, stamp=state.stamp
    ).update(figures=pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL), figures_date=today)
    if stored:
        state.figures_date = today
    return len(found) if stored else 0


def figures_precomputed(*, state: RecurrenceState, filters: Filters) -> dict | None:
    """The figures the rebuild precomputed for these filters, if any (same facts, same day)."""
    today = timezone.localdate()
    if state.figures_date != today:
        return None
    raw = (
        RecurrenceState.objects.filter(
            community_id=state.community_id,
            refreshed_at=state.refreshed_at,
            stamp=state.stamp,
            figures_date=today,
        )
        .values_list("figures", flat=True)
        .first()
    )
    if not raw:
        return None
    # Written by recurrence_precompute from our own dataclasses, never from user input.
    found: dict = pickle.loads(bytes(raw))  # noqa: S301
    return found.get(figures_key(filters))
