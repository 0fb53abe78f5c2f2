-- Insert the staged interventions (points, storage SRID); a known external id updates the
-- fields the import maps (%(mapped)s) and the position. Returns (created, updated).
WITH written AS (
    INSERT INTO interventions_intervention AS i
        (community_id, category_id, status, not_done_reason, support, surface_m2, method, product,
         offensive, priority, notes, planned_date, started_at, ended_at, external_id, geom,
         created_at, updated_at)
    SELECT %(community_id)s, (f->>'category_id')::bigint, coalesce(f->>'status', 'todo'), '',
           coalesce(f->>'support', ''), (f->>'surface_m2')::numeric, coalesce(f->>'method', ''),
           coalesce(f->>'product', ''), coalesce((f->>'offensive')::boolean, false),
           coalesce((f->>'priority')::smallint, 2), coalesce(f->>'notes', ''),
           (f->>'planned_date')::date, (f->>'started_at')::timestamptz, (f->>'ended_at')::timestamptz,
           ext_id, geom, now(), now()
    FROM import_staging
    WHERE inside
    ORDER BY idx
    ON CONFLICT (community_id, external_id) WHERE (NOT (external_id = '')) DO UPDATE SET
        category_id = EXCLUDED.category_id,
        status = CASE WHEN 'status' = ANY(%(mapped)s) THEN EXCLUDED.status ELSE i.status END,
        support = CASE WHEN 'support' = ANY(%(mapped)s) THEN EXCLUDED.support ELSE i.support END,
        surface_m2 = CASE WHEN 'surface_m2' = ANY(%(mapped)s) THEN EXCLUDED.surface_m2 ELSE i.surface_m2 END,
        method = CASE WHEN 'method' = ANY(%(mapped)s) THEN EXCLUDED.method ELSE i.method END,
        product = CASE WHEN 'product' = ANY(%(mapped)s) THEN EXCLUDED.product ELSE i.product END,
        offensive = CASE WHEN 'offensive' = ANY(%(mapped)s) THEN EXCLUDED.offensive ELSE i.offensive END,
        priority = CASE WHEN 'priority' = ANY(%(mapped)s) THEN EXCLUDED.priority ELSE i.priority END,
        notes = CASE WHEN 'notes' = ANY(%(mapped)s) THEN EXCLUDED.notes ELSE i.notes END,
        planned_date = CASE WHEN 'planned_date' = ANY(%(mapped)s) THEN EXCLUDED.planned_date ELSE i.planned_date END,
        started_at = CASE WHEN 'started_at' = ANY(%(mapped)s) THEN EXCLUDED.started_at ELSE i.started_at END,
        ended_at = CASE WHEN 'ended_at' = ANY(%(mapped)s) THEN EXCLUDED.ended_at ELSE i.ended_at END,
        geom = EXCLUDED.geom,
        updated_at = now()
    RETURNING (xmax = 0) AS created
)
SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM written;
