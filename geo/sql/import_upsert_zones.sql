-- Insert the staged zones (MultiPolygon, storage SRID); a known external id updates. Returns
-- (created, updated).
WITH written AS (
    INSERT INTO geo_zone AS z (community_id, name, kind, external_id, attributes, geom, created_at, updated_at)
    SELECT %(community_id)s, f->>'name', coalesce(f->>'kind', 'district'), ext_id, attrs,
           ST_Multi(geom), now(), now()
    FROM import_staging
    WHERE inside
    ORDER BY idx
    ON CONFLICT (community_id, external_id) WHERE (NOT (external_id = '')) DO UPDATE SET
        name = EXCLUDED.name,
        kind = CASE WHEN 'kind' = ANY(%(mapped)s) THEN EXCLUDED.kind ELSE z.kind END,
        attributes = z.attributes || EXCLUDED.attributes,
        geom = EXCLUDED.geom,
        updated_at = now()
    RETURNING (xmax = 0) AS created
)
SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM written;
