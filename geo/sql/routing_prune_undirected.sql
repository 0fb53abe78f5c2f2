-- Keep only the main connected component of the pruned graph (two-way modes): a stop
-- snapped to a fragment could not be reached, so it snaps to the main component or is
-- reported unreachable.
WITH comp AS (
    SELECT component, node
    FROM pgr_connectedComponents('SELECT id, source, target, cost, reverse_cost FROM ronde_route_edges')
),
main AS (
    SELECT component FROM comp GROUP BY component ORDER BY count(*) DESC, component LIMIT 1
)
DELETE FROM ronde_route_edges AS e
WHERE NOT EXISTS (
    SELECT 1 FROM comp WHERE comp.node = e.source AND comp.component = (SELECT component FROM main)
)
