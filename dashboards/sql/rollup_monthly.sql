-- monthly.sql from the monthly rollups (models.FactMonth; months in the rollup's time zone):
-- removals, returns, m² and cost (today's hourly costs and prices) per calendar month.
SELECT to_char(f.month, 'YYYY-MM'), sum(f.cleanings), sum(f.returns), sum(f.m2),
       sum(f.agent_minutes::numeric / 60
           * COALESCE(t.hourly_cost, (%(costs)s::jsonb ->> 'hourly_cost')::numeric, 35)
           + f.m2 * COALESCE((%(costs)s::jsonb -> 'product_costs' ->> f.product)::numeric,
                             (%(costs)s::jsonb ->> 'product_cost_per_m2')::numeric, 0))
FROM dashboards_factmonth AS f
LEFT JOIN accounts_team AS t ON t.id = f.team_id
WHERE f.community_id = %(community)s AND f.month >= %(month_from)s AND f.month < %(month_to)s
  AND (%(categories)s::bigint[] IS NULL OR f.category_id = ANY (%(categories)s::bigint[]))
  AND (%(team)s::bigint IS NULL OR f.team_id = %(team)s::bigint)
  AND (%(zone)s::bigint IS NULL OR f.district_id = %(zone)s::bigint)
GROUP BY 1 ORDER BY 1;
