-- A cached tile and who asks for it, in one round trip (tiles/hit_shortcut.py).
-- The caller: accounts/sql/membership_of_caller.sql selecting the role, the community and the
-- password hash (sessions are checked against it), so the membership is chosen exactly as
-- every other request chooses it. No row: no such member, or the tile is not cached.
-- The bytes are sent only when the worker does not hold this version of the row already
-- (%(held_id)s, %(held_version)s: tiles/hit_memory.py); left unread, they are not detoasted.
-- A token's expiry comes along: a worker stops answering out of memory when it passes (no row
-- changes then, so no notification says so).
WITH caller AS ({caller})
SELECT caller.role, caller.community_id, caller.password,
       (SELECT t.expires_at FROM accounts_apitoken t WHERE t.key_hash = %(key)s::text),
       CASE WHEN e.id = %(held_id)s::bigint AND e.xmin::text = %(held_version)s::text
            THEN NULL ELSE e.data END,
       e.etag, e.features, e.id, e.xmin::text
FROM caller
JOIN tiles_tilecacheentry AS e
  ON e.community_id = caller.community_id
 AND e.layer = %(layer)s AND e.z = %(z)s AND e.x = %(x)s AND e.y = %(y)s
 AND e.variant = %(variant)s
