-- Assets of one community in a tile envelope (EPSG:3857, stored geom_3857 + GiST).
-- margin: fraction of the tile added on each side (the MVT buffer).
SELECT a.id, a.geom_3857 AS geom, a.updated_at,
       a.category_id AS category, c.kind, a.name, a.support
FROM geo_asset AS a
JOIN geo_assetcategory AS c ON c.id = a.category_id
WHERE a.community_id = %(community)s
  AND a.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
  AND (%(category)s::bigint[] IS NULL OR a.category_id = ANY(%(category)s::bigint[]))
