-- kpis.sql from the monthly rollups (models.FactMonth, SiteMonth): same columns, for a period
-- of whole months [%(month_from)s, %(month_to)s) and a district (or no zone), plus the facts of
-- its last days [%(tail_from)s, %(tail_to)s) when it ends mid-month (an empty span otherwise;
-- selectors.rollup_params). The medians come from rollup_medians.sql (NULL here). Costs with
-- today's hourly costs and prices, as dashboards_tag_cleanings computes them.
WITH months AS (
    SELECT COALESCE(sum(f.cleanings), 0) AS cleanings,
           COALESCE(sum(f.m2), 0) AS m2,
           COALESCE(sum(f.returns), 0) AS returns,
           COALESCE(sum(f.minutes), 0) AS minutes,
           COALESCE(sum(f.agent_minutes::numeric / 60
               * COALESCE(t.hourly_cost, (%(costs)s::jsonb ->> 'hourly_cost')::numeric, 35)), 0) AS labour_cost,
           COALESCE(sum(f.m2 * COALESCE((%(costs)s::jsonb -> 'product_costs' ->> f.product)::numeric,
                                        (%(costs)s::jsonb ->> 'product_cost_per_m2')::numeric, 0)), 0)
               AS product_cost,
           COALESCE(sum(f.offensive), 0) AS offensive,
           COALESCE(sum(f.offensive_24h), 0) AS offensive_24h
    FROM dashboards_factmonth AS f
    LEFT JOIN accounts_team AS t ON t.id = f.team_id
    WHERE f.community_id = %(community)s AND f.month >= %(month_from)s AND f.month < %(month_to)s
      AND (%(categories)s::bigint[] IS NULL OR f.category_id = ANY (%(categories)s::bigint[]))
      AND (%(team)s::bigint IS NULL OR f.team_id = %(team)s::bigint)
      AND (%(zone)s::bigint IS NULL OR f.district_id = %(zone)s::bigint)
), tail_facts AS MATERIALIZED (  -- at most a month of facts, read once for both uses below
    SELECT * FROM dashboards_tag_cleanings(
        %(community)s::bigint, %(tail_from)s::timestamptz, %(tail_to)s::timestamptz,
        %(categories)s::bigint[], %(team)s::bigint, %(zone)s::bigint, %(costs)s::jsonb)
), tail AS (  -- kpis.sql's totals
    SELECT count(*) AS cleanings,
           COALESCE(sum(surface_m2), 0) AS m2,
           count(*) FILTER (WHERE is_return) AS returns,
           COALESCE(sum(minutes), 0) AS minutes,
           COALESCE(sum(labour_cost), 0) AS labour_cost,
           COALESCE(sum(product_cost), 0) AS product_cost,
           count(*) FILTER (WHERE offensive AND reported_at IS NOT NULL) AS offensive,
           count(*) FILTER (WHERE offensive AND reported_at IS NOT NULL
                            AND ended_at <= reported_at + interval '24 hours') AS offensive_24h
    FROM tail_facts
), totals AS (
    SELECT m.cleanings + t.cleanings AS cleanings, m.m2 + t.m2 AS m2, m.returns + t.returns AS returns,
           m.minutes + t.minutes AS minutes, m.labour_cost + t.labour_cost AS labour_cost,
           m.product_cost + t.product_cost AS product_cost, m.offensive + t.offensive AS offensive,
           m.offensive_24h + t.offensive_24h AS offensive_24h
    FROM months AS m, tail AS t
), sites AS (  -- per site, the earliest removal and the earliest re-tagged within N days
    SELECT min(first_ended) AS first_ended, min(r7) AS r7, min(r30) AS r30, min(r90) AS r90
    FROM (
        SELECT asset_id, first_ended, r7_first AS r7, r30_first AS r30, r90_first AS r90
        FROM dashboards_sitemonth
        WHERE community_id = %(community)s AND grain = %(grain)s
          AND month >= %(month_from)s AND month < %(month_to)s
          AND (%(categories)s::bigint[] IS NULL OR category_id = ANY (%(categories)s::bigint[]))
          AND (%(team)s::bigint IS NULL OR team_id = %(team)s::bigint)
          AND (%(zone)s::bigint IS NULL OR district_id = %(zone)s::bigint)
        UNION ALL  -- the tail's removals, as refresh_rollups.sql sums them into SiteMonth
        SELECT asset_id, ended_at,
               CASE WHEN next_at <= ended_at + interval '7 days' THEN ended_at END,
               CASE WHEN next_at <= ended_at + interval '30 days' THEN ended_at END,
               CASE WHEN next_at <= ended_at + interval '90 days' THEN ended_at END
        FROM tail_facts
        WHERE asset_id IS NOT NULL
    ) AS s
    GROUP BY asset_id
), since AS (  -- evaluated once, not per site (timestamptz - interval is only STABLE)
    SELECT %(now)s::timestamptz - interval '7 days' AS d7, %(now)s::timestamptz - interval '30 days' AS d30,
           %(now)s::timestamptz - interval '90 days' AS d90
), site_totals AS (
    SELECT count(*) AS sites,
           count(*) FILTER (WHERE first_ended <= d7) AS e7, count(*) FILTER (WHERE r7 <= d7) AS r7,
           count(*) FILTER (WHERE first_ended <= d30) AS e30, count(*) FILTER (WHERE r30 <= d30) AS r30,
           count(*) FILTER (WHERE first_ended <= d90) AS e90, count(*) FILTER (WHERE r90 <= d90) AS r90
    FROM sites, since
)
SELECT t.cleanings, t.m2, t.returns, s.sites, t.minutes, t.labour_cost, t.product_cost,
       NULL::float8, NULL::float8, t.offensive, t.offensive_24h,
       s.e7, s.r7, s.e30, s.r30, s.e90, s.r90
FROM totals AS t, site_totals AS s;
