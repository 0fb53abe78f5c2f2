-- Purge the cached tiles (every filter variant) of some layers inside tile ranges:
-- one (z, x0..x1, y0..y1) range per zoom, as parallel arrays.
DELETE FROM tiles_tilecacheentry AS c
USING unnest(%(zs)s::int[], %(x0s)s::int[], %(x1s)s::int[], %(y0s)s::int[], %(y1s)s::int[])
      AS r(z, x0, x1, y0, y1)
WHERE c.community_id = %(community)s
  AND c.layer = ANY(%(layers)s::text[])
  AND c.z = r.z AND c.x BETWEEN r.x0 AND r.x1 AND c.y BETWEEN r.y0 AND r.y1
