-- Tag reports without an asset join the nearest surface site within %(radius)s metres
-- (storage SRID). A report with no support joins a site of any support. Never creates a site.
-- Returns the number of reports joined.
WITH near AS (
    SELECT r.id, site.id AS asset_id
    FROM interventions_report AS r
    JOIN interventions_category AS c ON c.id = r.category_id AND c.is_tag
    CROSS JOIN LATERAL (
        SELECT a.id
        FROM geo_asset AS a
        JOIN geo_assetcategory AS ac ON ac.id = a.category_id AND ac.kind = 'surface'
        WHERE a.community_id = r.community_id
          AND (r.support = '' OR a.support = r.support)
          AND ST_DWithin(a.geom, r.geom, %(radius)s)
        ORDER BY a.geom <-> r.geom, a.id
        LIMIT 1
    ) AS site
    WHERE r.asset_id IS NULL
      AND (%(community)s::bigint IS NULL OR r.community_id = %(community)s::bigint)
), updated AS (
    UPDATE interventions_report AS r
    SET asset_id = near.asset_id, updated_at = now()
    FROM near
    WHERE r.id = near.id
    RETURNING 1
)
SELECT count(*) FROM updated;
