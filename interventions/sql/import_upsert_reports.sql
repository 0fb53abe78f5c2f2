-- Insert the staged reports (points, storage SRID); a known external id updates the fields the
-- import maps (%(mapped)s) and the position. Returns (created, updated).
WITH written AS (
    INSERT INTO interventions_report AS r
        (community_id, category_id, status, source, description, address, support, offensive,
         priority, external_id, reported_at, geom, created_at, updated_at)
    SELECT %(community_id)s, (f->>'category_id')::bigint, coalesce(f->>'status', 'new'),
           coalesce(f->>'source', 'staff'), coalesce(f->>'description', ''),
           coalesce(f->>'address', ''), coalesce(f->>'support', ''),
           coalesce((f->>'offensive')::boolean, false), coalesce((f->>'priority')::smallint, 2),
           ext_id, coalesce((f->>'reported_at')::timestamptz, now()), geom, now(), now()
    FROM import_staging
    WHERE inside
    ORDER BY idx
    ON CONFLICT (community_id, external_id) WHERE (NOT (external_id = '')) DO UPDATE SET
        category_id = EXCLUDED.category_id,
        status = CASE WHEN 'status' = ANY(%(mapped)s) THEN EXCLUDED.status ELSE r.status END,
        source = CASE WHEN 'source' = ANY(%(mapped)s) THEN EXCLUDED.source ELSE r.source END,
        description = CASE WHEN 'description' = ANY(%(mapped)s) THEN EXCLUDED.description ELSE r.description END,
        address = CASE WHEN 'address' = ANY(%(mapped)s) THEN EXCLUDED.address ELSE r.address END,
        support = CASE WHEN 'support' = ANY(%(mapped)s) THEN EXCLUDED.support ELSE r.support END,
        offensive = CASE WHEN 'offensive' = ANY(%(mapped)s) THEN EXCLUDED.offensive ELSE r.offensive END,
        priority = CASE WHEN 'priority' = ANY(%(mapped)s) THEN EXCLUDED.priority ELSE r.priority END,
        reported_at = CASE WHEN 'reported_at' = ANY(%(mapped)s) THEN EXCLUDED.reported_at ELSE r.reported_at END,
        geom = EXCLUDED.geom,
        updated_at = now()
    RETURNING (xmax = 0) AS created
)
SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM written;
