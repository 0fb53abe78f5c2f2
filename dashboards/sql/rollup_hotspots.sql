-- hotspots.sql from the monthly rollups (period of whole months; district or no zone filter):
-- same columns; the chosen sites' median re-tag delays from their own facts (index
-- cleaningfact_comm_asset).
WITH per_site AS (
    -- Only what ranks the sites is aggregated over the ~90k rows of a year; m², last cleaning,
    -- street and district are read for the chosen sites only, below (a text max() and a
    -- numeric sum over every site doubled the time).
    SELECT asset_id, sum(cleanings) AS cleanings, sum(returns) AS returns
    FROM dashboards_sitemonth
    WHERE community_id = %(community)s AND grain = %(grain)s AND month >= %(month_from)s AND month < %(month_to)s
      AND (%(categories)s::bigint[] IS NULL OR category_id = ANY (%(categories)s::bigint[]))
      AND (%(team)s::bigint IS NULL OR team_id = %(team)s::bigint)
      AND (%(zone)s::bigint IS NULL OR district_id = %(zone)s::bigint)
    GROUP BY asset_id
    ORDER BY returns DESC, cleanings DESC, asset_id
    LIMIT %(limit)s
), chosen AS (
    SELECT p.*, sums.m2, sums.last_cleaned
    FROM per_site AS p
    CROSS JOIN LATERAL (  -- index sitemonth_comm_asset
        SELECT sum(s.m2) AS m2, max(s.last_ended) AS last_cleaned FROM dashboards_sitemonth AS s
        WHERE s.community_id = %(community)s AND s.grain = %(grain)s AND s.asset_id = p.asset_id
          AND s.month >= %(month_from)s AND s.month < %(month_to)s
          AND (%(categories)s::bigint[] IS NULL OR s.category_id = ANY (%(categories)s::bigint[]))
          AND (%(team)s::bigint IS NULL OR s.team_id = %(team)s::bigint)
    ) AS sums
), medians AS (
    SELECT f.asset_id,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', f.next_at - f.ended_at) / 86400.0)
               AS median_retag_days
    FROM per_site AS p
    JOIN dashboards_cleaningfact AS f
      ON f.community_id = %(community)s AND f.asset_id = p.asset_id
     AND f.ended_at >= %(date_from)s::timestamptz AND f.ended_at < %(date_to)s::timestamptz
    WHERE f.next_at IS NOT NULL
      AND (%(categories)s::bigint[] IS NULL OR f.category_id = ANY (%(categories)s::bigint[]))
      AND (%(team)s::bigint IS NULL OR f.team_id = %(team)s::bigint)
    GROUP BY f.asset_id
)
SELECT p.asset_id, a.name, a.support, p.cleanings, p.returns, p.m2, p.last_cleaned, m.median_retag_days,
       place.street, ST_X(pt.geom), ST_Y(pt.geom),
       (SELECT z.name FROM geo_zone AS z WHERE z.id = place.district_id),
       a.address  -- the site's human address (geo_fill_address trigger: BAN, else nearest street)
FROM chosen AS p
CROSS JOIN LATERAL (
    SELECT f.street, f.district_id FROM dashboards_cleaningfact AS f  -- index cleaningfact_comm_asset
    WHERE f.community_id = %(community)s AND f.asset_id = p.asset_id
    LIMIT 1
) AS place
JOIN geo_asset AS a ON a.id = p.asset_id AND a.community_id = %(community)s
LEFT JOIN medians AS m ON m.asset_id = p.asset_id
CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(a.geom), 4326) AS geom) AS pt
ORDER BY p.returns DESC, p.cleanings DESC, p.asset_id;
