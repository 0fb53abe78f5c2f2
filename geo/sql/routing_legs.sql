-- The path through the given points in order (pgr_withPointsVia), one row per leg:
-- leg number (1-based), metres, and its geometry (WKB, storage SRID) in travel direction.
-- A path row goes from `node` to the next row's node along `edge`; each end's position on
-- the edge is 0/1 for a vertex or the point's fraction, so partial first/last edges are
-- cut with ST_LineSubstring and pieces travelled against digitisation are reversed.
-- Params: via (int8[], negative point ids).
WITH via AS (
    SELECT
        path_id, path_seq, node, edge, cost,
        lead(node) OVER (PARTITION BY path_id ORDER BY path_seq) AS next_node
    FROM pgr_withPointsVia(
        'SELECT id, source, target, cost, reverse_cost FROM ronde_route_edges',
        'SELECT pid, edge_id, fraction, side FROM ronde_route_points',
        %(via)s::int8[],
        directed => true
    )
),
pieces AS (
    SELECT
        v.path_id, v.path_seq, v.cost, e.geom,
        CASE WHEN v.node < 0 THEN pa.fraction WHEN v.node = e.source THEN 0.0 ELSE 1.0 END AS f1,
        CASE WHEN v.next_node < 0 THEN pb.fraction WHEN v.next_node = e.source THEN 0.0 ELSE 1.0 END AS f2
    FROM via AS v
    JOIN ronde_route_edges AS e ON e.id = v.edge
    LEFT JOIN ronde_route_points AS pa ON pa.pid = -v.node
    LEFT JOIN ronde_route_points AS pb ON pb.pid = -v.next_node
    WHERE v.edge > 0
)
SELECT
    path_id,
    sum(cost),
    ST_AsBinary(ST_MakeLine(
        CASE WHEN f1 <= f2 THEN ST_LineSubstring(geom, f1, f2)
             ELSE ST_Reverse(ST_LineSubstring(geom, f2, f1)) END
        ORDER BY path_seq
    ) FILTER (WHERE f1 <> f2))
FROM pieces
GROUP BY path_id
ORDER BY path_id
