-- Store (or replace) a generated tile, unless a write to its layer in its community was not
-- visible to the snapshot the tile was built from (%(snapshot)s): then the tile may be stale,
-- it is served but not cached. The caller holds the layer's advisory lock (tiles_lock_key),
-- so every write in flight has committed and is in tiles_purge_log by now.
INSERT INTO tiles_tilecacheentry (community_id, layer, z, x, y, variant, etag, features, data, created_at)
SELECT %(community)s, %(layer)s, %(z)s, %(x)s, %(y)s, %(variant)s, %(etag)s, %(features)s, %(data)s, now()
WHERE NOT EXISTS (
    SELECT 1 FROM tiles_purge_log AS p
    WHERE p.community_id = %(community)s AND p.layer = %(layer)s
      AND p.created_at > now() - interval '20 minutes'
      AND NOT pg_visible_in_snapshot(p.xid, %(snapshot)s::pg_snapshot)
      AND p.xid IS DISTINCT FROM pg_current_xact_id_if_assigned()  -- our own writes we see
)
ON CONFLICT (community_id, layer, z, x, y, variant)
DO UPDATE SET etag = EXCLUDED.etag, features = EXCLUDED.features, data = EXCLUDED.data,
              created_at = EXCLUDED.created_at
