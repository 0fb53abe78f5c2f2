-- Zones as base-map areas (no names: the offline base map has no glyphs for labels).
SELECT zn.id, ST_Transform(zn.geom, 3857) AS geom, zn.updated_at, zn.kind
FROM geo_zone AS zn
WHERE zn.community_id = %(community)s
  AND zn.geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), %(srid)s)
