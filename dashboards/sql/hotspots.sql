-- Hotspots: the sites with the most returns in the period (then most removals), with their
-- nearest street name (within 50 m, from the facts), position in EPSG:4326 and human address.
-- The median re-tag delay (a sort per site) is computed for the chosen sites only.
WITH c AS NOT MATERIALIZED (  -- inlined: an index range on ended_at, read twice
    SELECT * FROM dashboards_tag_cleanings(
        %(community)s::bigint, %(date_from)s::timestamptz, %(date_to)s::timestamptz,
        %(categories)s::bigint[], %(team)s::bigint, %(zone)s::bigint, %(costs)s::jsonb)
), per_site AS (
    SELECT asset_id, count(*) AS cleanings, count(*) FILTER (WHERE is_return) AS returns,
           COALESCE(sum(surface_m2), 0) AS m2, max(ended_at) AS last_cleaned, max(street) AS street,
           max(district_id) AS district_id
    FROM c WHERE asset_id IS NOT NULL
    GROUP BY asset_id
    ORDER BY returns DESC, cleanings DESC, asset_id
    LIMIT %(limit)s
), medians AS (
    SELECT c.asset_id,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', c.next_at - c.ended_at) / 86400.0)
               AS median_retag_days
    FROM c JOIN per_site AS p ON p.asset_id = c.asset_id
    WHERE c.next_at IS NOT NULL
    GROUP BY c.asset_id
)
SELECT p.asset_id, a.name, a.support, p.cleanings, p.returns, p.m2, p.last_cleaned, m.median_retag_days,
       p.street, ST_X(pt.geom), ST_Y(pt.geom),
       (SELECT z.name FROM geo_zone AS z WHERE z.id = p.district_id),
       a.address  -- the site's human address (geo_fill_address trigger: BAN, else nearest street)
FROM per_site AS p
JOIN geo_asset AS a ON a.id = p.asset_id AND a.community_id = %(community)s
LEFT JOIN medians AS m ON m.asset_id = p.asset_id
CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(a.geom), 4326) AS geom) AS pt
ORDER BY p.returns DESC, p.cleanings DESC, p.asset_id;
