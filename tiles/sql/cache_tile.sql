-- A cached tile's row alone, for a caller the worker already trusts (tiles/hit_shortcut.py:
-- remembered in the current listening session, so a change to the membership, user or token
-- would have been notified and forgotten first). cache_hit.sql without its caller part: ~40 µs
-- less per tile a worker has not held yet (a dispatcher panning to new tiles).
-- The bytes are sent only when the worker does not hold this version of the row already, as in
-- cache_hit.sql.
SELECT CASE WHEN e.id = %(held_id)s::bigint AND e.xmin::text = %(held_version)s::text
            THEN NULL ELSE e.data END,
       e.etag, e.features, e.id, e.xmin::text
FROM tiles_tilecacheentry AS e
WHERE e.community_id = %(community)s
  AND e.layer = %(layer)s AND e.z = %(z)s AND e.x = %(x)s AND e.y = %(y)s
  AND e.variant = %(variant)s
