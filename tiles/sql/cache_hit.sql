-- A cached tile and who asks for it, in one round trip (tiles/hit_shortcut.py).
-- The caller: accounts/sql/membership_of_caller.sql selecting the role, the community and the
-- password hash (sessions are checked against it), so the membership is chosen exactly as
-- every other request chooses it. No row: no such member, or the tile is not cached.
WITH caller AS ({caller})
SELECT caller.role, caller.community_id, caller.password, e.data, e.etag, e.features
FROM caller
JOIN tiles_tilecacheentry AS e
  ON e.community_id = caller.community_id
 AND e.layer = %(layer)s AND e.z = %(z)s AND e.x = %(x)s AND e.y = %(y)s
 AND e.variant = %(variant)s
