-- by_zone.sql from the monthly rollups (period of whole months; district or no zone filter):
-- same columns, medians NULL (rollup_medians.sql with by_district).
WITH per_zone AS (
    SELECT f.district_id AS zone_id, sum(f.cleanings) AS cleanings, sum(f.m2) AS m2,
           sum(f.returns) AS returns,
           sum(f.agent_minutes::numeric / 60
               * COALESCE(t.hourly_cost, (%(costs)s::jsonb ->> 'hourly_cost')::numeric, 35)
               + f.m2 * COALESCE((%(costs)s::jsonb -> 'product_costs' ->> f.product)::numeric,
                                 (%(costs)s::jsonb ->> 'product_cost_per_m2')::numeric, 0)) AS cost
    FROM dashboards_factmonth AS f
    LEFT JOIN accounts_team AS t ON t.id = f.team_id
    WHERE f.community_id = %(community)s AND f.month >= %(month_from)s AND f.month < %(month_to)s
      AND f.district_id IS NOT NULL
      AND (%(categories)s::bigint[] IS NULL OR f.category_id = ANY (%(categories)s::bigint[]))
      AND (%(team)s::bigint IS NULL OR f.team_id = %(team)s::bigint)
      AND (%(zone)s::bigint IS NULL OR f.district_id = %(zone)s::bigint)
    GROUP BY f.district_id
), sites AS (
    SELECT district_id AS zone_id, min(first_ended) AS first_ended, min(r30_first) AS r30
    FROM dashboards_sitemonth
    WHERE community_id = %(community)s AND grain = %(grain)s AND month >= %(month_from)s AND month < %(month_to)s
      AND district_id IS NOT NULL
      AND (%(categories)s::bigint[] IS NULL OR category_id = ANY (%(categories)s::bigint[]))
      AND (%(team)s::bigint IS NULL OR team_id = %(team)s::bigint)
      AND (%(zone)s::bigint IS NULL OR district_id = %(zone)s::bigint)
    GROUP BY district_id, asset_id
), since AS (  -- evaluated once, not per site
    SELECT %(now)s::timestamptz - interval '30 days' AS d30
), per_zone_sites AS (
    SELECT zone_id, count(*) AS sites, count(*) FILTER (WHERE first_ended <= d30) AS e30,
           count(*) FILTER (WHERE r30 <= d30) AS r30
    FROM sites, since GROUP BY zone_id
)
SELECT z.id, z.name, COALESCE(p.cleanings, 0), COALESCE(p.m2, 0), COALESCE(p.returns, 0),
       COALESCE(s.sites, 0), COALESCE(s.e30, 0), COALESCE(s.r30, 0), NULL::float8,
       COALESCE(p.cost, 0), ST_AsGeoJSON(ST_Transform(z.geom, 4326), 6)
FROM geo_zone AS z
LEFT JOIN per_zone AS p ON p.zone_id = z.id
LEFT JOIN per_zone_sites AS s ON s.zone_id = z.id
WHERE z.community_id = %(community)s AND z.kind = 'district'
ORDER BY z.name, z.id;
