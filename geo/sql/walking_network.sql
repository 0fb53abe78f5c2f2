-- The streets a pedestrian may use inside a zone plus a margin, for the field app to route
-- offline: each segment's length (metres, RONDE_SRID) and its line in EPSG:4326, simplified
-- to ~1 m (drawn, not measured; the endpoints, where segments meet, are kept exactly).
-- Params: community_id, zone (EWKT, RONDE_SRID), margin_m, max_edges.
SELECT
    round(length_m::numeric, 1)::float8,
    (ST_AsGeoJSON(ST_Transform(ST_Simplify(geom, 1.0), 4326), 6)::json) -> 'coordinates'
FROM geo_streetsegment
WHERE community_id = %(community_id)s
  AND kind IN ('walk', 'both')
  AND ST_DWithin(geom, ST_GeomFromEWKT(%(zone)s), %(margin_m)s)
ORDER BY id
LIMIT %(max_edges)s;
