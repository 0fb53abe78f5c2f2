-- Insert the staged assets; an external id already known in the community updates that asset
-- (fields the import does not map, listed in %(mapped)s, keep their value). Returns
-- (created, updated).
WITH written AS (
    INSERT INTO geo_asset AS a
        (community_id, category_id, name, external_id, support, attributes, geom, created_at, updated_at)
    SELECT %(community_id)s, (f->>'category_id')::bigint, coalesce(f->>'name', ''), ext_id,
           coalesce(f->>'support', ''), attrs, geom, now(), now()
    FROM import_staging
    WHERE inside
    ORDER BY idx
    ON CONFLICT (community_id, external_id) WHERE (NOT (external_id = '')) DO UPDATE SET
        category_id = EXCLUDED.category_id,
        name = CASE WHEN 'name' = ANY(%(mapped)s) THEN EXCLUDED.name ELSE a.name END,
        support = CASE WHEN 'support' = ANY(%(mapped)s) THEN EXCLUDED.support ELSE a.support END,
        attributes = a.attributes || EXCLUDED.attributes,
        geom = EXCLUDED.geom,
        updated_at = now()
    RETURNING (xmax = 0) AS created
)
SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM written;
