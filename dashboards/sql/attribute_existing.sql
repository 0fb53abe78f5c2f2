-- Done tag removals without a site join the nearest surface asset within %(radius)s metres
-- (storage SRID, metres) that has the same support. Returns the number of rows joined.
WITH near AS (
    SELECT i.id, site.id AS asset_id
    FROM interventions_intervention AS i
    JOIN interventions_category AS c ON c.id = i.category_id AND c.is_tag
    CROSS JOIN LATERAL (
        SELECT a.id
        FROM geo_asset AS a
        JOIN geo_assetcategory AS ac ON ac.id = a.category_id AND ac.kind = 'surface'
        WHERE a.community_id = i.community_id
          AND a.support = i.support
          AND ST_DWithin(a.geom, i.geom, %(radius)s)
        ORDER BY a.geom <-> i.geom, a.id
        LIMIT 1
    ) AS site
    WHERE i.asset_id IS NULL
      AND i.status = 'done'
      AND i.deleted_at IS NULL
      AND (%(community)s::bigint IS NULL OR i.community_id = %(community)s::bigint)
), updated AS (
    UPDATE interventions_intervention AS i
    SET asset_id = near.asset_id, updated_at = now()
    FROM near
    WHERE i.id = near.id
    RETURNING 1
)
SELECT count(*) FROM updated;
