-- Streets for the base map, drawn by road class (highway); no updated_at on segments.
SELECT s.id, s.geom_3857 AS geom, NULL::timestamptz AS updated_at,
       coalesce(nullif(s.highway, ''), 'unclassified') AS highway
FROM geo_streetsegment AS s
WHERE s.community_id = %(community)s
  AND s.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
