-- Done tag removals still without a site: cluster them (DBSCAN, eps = %(radius)s metres,
-- per community and support), create one surface site per cluster at its centroid, and put
-- the removals on it. A cluster wider than %(split)s metres (a chain of tags along a street)
-- is split on a grid of that size so that a site stays one place.
-- Returns (sites created, removals attributed).
WITH todo AS (
    SELECT i.id, i.community_id, i.support, i.geom,
           ST_ClusterDBSCAN(i.geom, eps := %(radius)s, minpoints := 1)
               OVER (PARTITION BY i.community_id, i.support) AS cluster
    FROM interventions_intervention AS i
    JOIN interventions_category AS c ON c.id = i.category_id AND c.is_tag
    WHERE i.asset_id IS NULL
      AND i.status = 'done'
      AND i.deleted_at IS NULL
      AND (%(community)s::bigint IS NULL OR i.community_id = %(community)s::bigint)
), spans AS (
    SELECT todo.*,
           greatest(
               max(ST_X(geom)) OVER w - min(ST_X(geom)) OVER w,
               max(ST_Y(geom)) OVER w - min(ST_Y(geom)) OVER w
           ) AS span
    FROM todo
    WINDOW w AS (PARTITION BY community_id, support, cluster)
), keyed AS (
    SELECT id, community_id, support, geom, cluster,
           CASE WHEN span > %(split)s THEN floor(ST_X(geom) / %(split)s)::bigint ELSE 0 END AS gx,
           CASE WHEN span > %(split)s THEN floor(ST_Y(geom) / %(split)s)::bigint ELSE 0 END AS gy
    FROM spans
), sites AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('geo_asset', 'id')) AS site_id,
           community_id, support, ST_Centroid(ST_Collect(geom)) AS geom,
           array_agg(id) AS ids
    FROM keyed
    GROUP BY community_id, support, cluster, gx, gy
), inserted AS (
    INSERT INTO geo_asset (id, community_id, category_id, name, external_id, support, attributes,
                           geom, created_at, updated_at)
    SELECT s.site_id, s.community_id, ac.id, '', '', s.support,
           '{"created_by": "attribute_sites"}'::jsonb, s.geom, now(), now()
    FROM sites AS s
    JOIN geo_assetcategory AS ac ON ac.community_id = s.community_id AND ac.code = 'tag-site'
    RETURNING id
), updated AS (
    UPDATE interventions_intervention AS i
    SET asset_id = s.site_id, updated_at = now()
    FROM (SELECT site_id, unnest(ids) AS id FROM sites) AS s
    WHERE i.id = s.id AND s.site_id IN (SELECT id FROM inserted)
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated);
