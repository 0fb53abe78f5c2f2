-- Snap points (ordinal = pid, 1-based) to the nearest edge of the pruned graph within
-- `tolerance` metres: one index-assisted nearest-neighbour look-up per point (KNN on the
-- edges' gist index; pgr_findCloseEdges listed every edge within the tolerance for every
-- point and matched them back by geometry, 3.7 s for 170 points on a dense city network).
-- Fractions are clamped into [0.001, 0.999]: in pgRouting 3.4 a point exactly on a vertex
-- silently disappears from pgr_withPoints* results. Side 'b': the matrix and the legs run
-- with driving_side => 'b', as for snaps reloaded from the cache (routing_points_load.sql).
-- Points with no edge in reach get no row (reported unreachable by the caller).
-- Params: xs, ys (float8[]), srid, tolerance.
DROP TABLE IF EXISTS pg_temp.ronde_route_points;
CREATE TEMP TABLE ronde_route_points ON COMMIT DROP AS
WITH p AS (
    SELECT ord AS pid, ST_SetSRID(ST_MakePoint(x, y), %(srid)s) AS geom
    FROM unnest(%(xs)s::float8[], %(ys)s::float8[]) WITH ORDINALITY AS t(x, y, ord)
)
SELECT
    p.pid,
    e.id AS edge_id,
    greatest(0.001, least(0.999, ST_LineLocatePoint(e.geom, p.geom))) AS fraction,
    'b'::char AS side,
    ST_Distance(e.geom, p.geom) AS distance
FROM p
CROSS JOIN LATERAL (
    -- The few nearest by the index, then the nearest of them, the lowest id on a tie (a
    -- point on a shared vertex): the same snap every time.
    SELECT id, geom
    FROM (SELECT id, geom FROM ronde_route_edges ORDER BY geom <-> p.geom LIMIT 4) AS near
    ORDER BY ST_Distance(geom, p.geom), id
    LIMIT 1
) AS e
WHERE ST_DWithin(e.geom, p.geom, %(tolerance)s);
