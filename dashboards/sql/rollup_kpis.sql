-- kpis.sql from the monthly rollups (models.FactMonth, SiteMonth): same columns, for a period
-- of whole months [%(month_from)s, %(month_to)s) and a district (or no zone); the medians
-- come from rollup_medians.sql (NULL here). Costs with today's hourly costs and prices.
WITH totals AS (
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
), sites AS (
    SELECT min(first_ended) AS first_ended, min(r7_first) AS r7, min(r30_first) AS r30,
           min(r90_first) AS r90
    FROM dashboards_sitemonth
    WHERE community_id = %(community)s AND grain = %(grain)s AND month >= %(month_from)s AND month < %(month_to)s
      AND (%(categories)s::bigint[] IS NULL OR category_id = ANY (%(categories)s::bigint[]))
      AND (%(team)s::bigint IS NULL OR team_id = %(team)s::bigint)
      AND (%(zone)s::bigint IS NULL OR district_id = %(zone)s::bigint)
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
