-- The community's territory outline (base map), transformed on the fly (one row).
SELECT c.id, ST_Transform(c.territory, 3857) AS geom, c.updated_at
FROM accounts_community AS c
WHERE c.id = %(community)s
  AND c.territory && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), %(srid)s)
