-- Rebuild the pgRouting topology of one community's street network: vertex ids from
-- pgr_extractVertices (pgr_createTopology is deprecated in pgRouting 3.x), then each
-- segment's source/target. End points are snapped to a 1 cm grid so that coordinates that
-- differ by reprojection noise still meet. Params: community_id.
WITH v AS (
    SELECT id, in_edges, out_edges
    FROM pgr_extractVertices(
        'SELECT id, ST_SnapToGrid(geom, 0.01) AS geom FROM geo_streetsegment WHERE community_id = '
        || %(community_id)s::bigint
    )
),
ends AS (
    SELECT unnest(out_edges) AS edge, id AS source, NULL::bigint AS target FROM v
    UNION ALL
    SELECT unnest(in_edges), NULL::bigint, id FROM v
),
agg AS (
    SELECT edge, max(source) AS source, max(target) AS target FROM ends GROUP BY edge
)
UPDATE geo_streetsegment AS s
SET source = agg.source, target = agg.target
FROM agg
WHERE s.id = agg.edge AND s.community_id = %(community_id)s
