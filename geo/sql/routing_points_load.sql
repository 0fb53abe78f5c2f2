-- Reload snaps computed earlier (cached per mission) as the points of the pruned graph.
-- Params: pids (int8[]), edges (int8[]), fractions (float8[]).
DROP TABLE IF EXISTS pg_temp.ronde_route_points;
CREATE TEMP TABLE ronde_route_points ON COMMIT DROP AS
SELECT pid, edge_id, fraction, 'b'::char AS side, 0.0::float8 AS distance
FROM unnest(%(pids)s::int8[], %(edges)s::int8[], %(fractions)s::float8[]) AS t(pid, edge_id, fraction);
