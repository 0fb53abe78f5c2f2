-- A per-request copy of one community's graph for one travel mode, pruned to a box around
-- the stops (the cost matrix dominates routing time: 4.6 s for 100x100 on a 179k-edge graph
-- unpruned). cost/reverse_cost are metres; -1 forbids a direction (one-way streets for the
-- modes that respect them). Lives until the end of the transaction.
-- Params: community_id, kinds (text[]), oneway (bool), xmin, ymin, xmax, ymax, srid.
DROP TABLE IF EXISTS pg_temp.ronde_route_edges;
CREATE TEMP TABLE ronde_route_edges ON COMMIT DROP AS
SELECT
    id,
    source,
    target,
    length_m AS cost,
    CASE WHEN %(oneway)s AND oneway THEN -1 ELSE length_m END AS reverse_cost,
    geom
FROM geo_streetsegment
WHERE community_id = %(community_id)s
  AND kind = ANY(%(kinds)s)
  AND source IS NOT NULL AND target IS NOT NULL AND source <> target
  AND geom && ST_MakeEnvelope(%(xmin)s, %(ymin)s, %(xmax)s, %(ymax)s, %(srid)s);
CREATE INDEX ON ronde_route_edges USING gist (geom);
CREATE INDEX ON ronde_route_edges (id);
ANALYZE ronde_route_edges;
