-- Snap points (ordinal = pid, 1-based) to the nearest edge of the pruned graph within
-- `tolerance` metres with pgr_findCloseEdges. Fractions are clamped into [0.001, 0.999]:
-- in pgRouting 3.4 a point exactly on a vertex silently disappears from pgr_withPoints*
-- results. Points with no edge in reach get no row (reported unreachable by the caller).
-- Params: xs, ys (float8[]), srid, tolerance.
DROP TABLE IF EXISTS pg_temp.ronde_route_points;
CREATE TEMP TABLE ronde_route_points ON COMMIT DROP AS
WITH p AS (
    SELECT ord AS pid, ST_SetSRID(ST_MakePoint(x, y), %(srid)s) AS geom
    FROM unnest(%(xs)s::float8[], %(ys)s::float8[]) WITH ORDINALITY AS t(x, y, ord)
),
c AS (
    SELECT edge_id, fraction, side, distance, geom
    FROM pgr_findCloseEdges(
        'SELECT id, geom FROM ronde_route_edges',
        (SELECT array_agg(geom) FROM p),
        %(tolerance)s,
        partial => false
    )
)
SELECT DISTINCT ON (p.pid)
    p.pid,
    c.edge_id,
    greatest(0.001, least(0.999, c.fraction)) AS fraction,
    c.side,
    c.distance
FROM p
JOIN c ON c.geom = p.geom
ORDER BY p.pid, c.distance, c.edge_id;
