-- A cached tile: gzip bytes, ETag and feature count (unique index tile_cache_key).
SELECT data, etag, features
FROM tiles_tilecacheentry
WHERE community_id = %(community)s AND layer = %(layer)s
  AND z = %(z)s AND x = %(x)s AND y = %(y)s AND variant = %(variant)s
