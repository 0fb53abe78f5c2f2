-- Green spaces for the base map: assets whose category is of kind "green" (parks, lawns…).
SELECT a.id, a.geom_3857 AS geom, a.updated_at
FROM geo_asset AS a
JOIN geo_assetcategory AS c ON c.id = a.category_id AND c.kind = 'green'
WHERE a.community_id = %(community)s
  AND a.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
