-- Figures per district (Zone of kind district; each removal counts in one, resolved when the
-- facts are rebuilt) for one period; 30-day recurrence as in kpis.sql.
-- Districts with no removal are listed too (zeros), so the table covers the territory.
WITH c AS NOT MATERIALIZED (  -- inlined: two index-range reads beat a tuplestore spilled to disk
    SELECT * FROM dashboards_tag_cleanings(
        %(community)s::bigint, %(date_from)s::timestamptz, %(date_to)s::timestamptz,
        %(categories)s::bigint[], %(team)s::bigint, %(zone)s::bigint, %(costs)s::jsonb)
), zc AS (
    SELECT c.district_id AS zone_id, c.* FROM c WHERE c.district_id IS NOT NULL
), sites AS (
    SELECT zone_id, asset_id,
           bool_or(ended_at <= %(now)s - interval '30 days') AS e30,
           bool_or(ended_at <= %(now)s - interval '30 days' AND next_at <= ended_at + interval '30 days') AS r30
    FROM zc WHERE asset_id IS NOT NULL
    GROUP BY zone_id, asset_id
), per_zone AS (
    SELECT zone_id, count(*) AS cleanings, COALESCE(sum(surface_m2), 0) AS m2,
           count(*) FILTER (WHERE is_return) AS returns,
           COALESCE(sum(labour_cost + product_cost), 0) AS cost,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', next_at - ended_at) / 86400.0)
               FILTER (WHERE next_at IS NOT NULL) AS median_retag_days
    FROM zc GROUP BY zone_id
), per_zone_sites AS (
    SELECT zone_id, count(*) AS sites, count(*) FILTER (WHERE e30) AS e30, count(*) FILTER (WHERE r30) AS r30
    FROM sites GROUP BY zone_id
)
SELECT z.id, z.name, COALESCE(p.cleanings, 0), COALESCE(p.m2, 0), COALESCE(p.returns, 0),
       COALESCE(s.sites, 0), COALESCE(s.e30, 0), COALESCE(s.r30, 0), p.median_retag_days,
       COALESCE(p.cost, 0), ST_AsGeoJSON(ST_Transform(z.geom, 4326), 6)
FROM geo_zone AS z
LEFT JOIN per_zone AS p ON p.zone_id = z.id
LEFT JOIN per_zone_sites AS s ON s.zone_id = z.id
WHERE z.community_id = %(community)s AND z.kind = 'district'
ORDER BY z.name, z.id;
