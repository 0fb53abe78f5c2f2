-- Zones (districts, sectors) of one community in a tile envelope; transformed on the fly
-- (a few dozen rows), && on the envelope moved to the storage SRID (GiST on geom).
SELECT zn.id, ST_Transform(zn.geom, 3857) AS geom, zn.updated_at, zn.name, zn.kind
FROM geo_zone AS zn
WHERE zn.community_id = %(community)s
  AND zn.geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), %(srid)s)
