-- Keep only the main strongly connected component (modes that respect one-way streets):
-- from any kept vertex every other kept vertex can be reached and back.
WITH comp AS (
    SELECT component, node
    FROM pgr_strongComponents('SELECT id, source, target, cost, reverse_cost FROM ronde_route_edges')
),
main AS (
    SELECT component FROM comp GROUP BY component ORDER BY count(*) DESC, component LIMIT 1
),
keep AS (
    SELECT node FROM comp WHERE component = (SELECT component FROM main)
)
DELETE FROM ronde_route_edges AS e
WHERE e.source NOT IN (SELECT node FROM keep) OR e.target NOT IN (SELECT node FROM keep)
