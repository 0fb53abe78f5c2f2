-- Travel cost (metres) between every pair of snapped points of the pruned graph, with
-- pgr_withPointsCostMatrix (points are negative ids). Unreachable pairs have no row.
-- Params: pids (int8[], negative).
SELECT -start_vid, -end_vid, agg_cost
FROM pgr_withPointsCostMatrix(
    'SELECT id, source, target, cost, reverse_cost FROM ronde_route_edges',
    'SELECT pid, edge_id, fraction, side FROM ronde_route_points',
    %(pids)s::int8[],
    directed => true,
    driving_side => 'b'
)
