-- Street segments of one community in a tile envelope (stored geom_3857 + GiST).
-- Segments have no updated_at: the ETag hashes the tile bytes instead.
SELECT s.id, s.geom_3857 AS geom, NULL::timestamptz AS updated_at,
       s.name, s.highway, s.kind, s.oneway
FROM geo_streetsegment AS s
WHERE s.community_id = %(community)s
  AND s.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
