-- Store (or replace) a generated tile.
INSERT INTO tiles_tilecacheentry (community_id, layer, z, x, y, variant, etag, features, data, created_at)
VALUES (%(community)s, %(layer)s, %(z)s, %(x)s, %(y)s, %(variant)s, %(etag)s, %(features)s, %(data)s, now())
ON CONFLICT (community_id, layer, z, x, y, variant)
DO UPDATE SET etag = EXCLUDED.etag, features = EXCLUDED.features, data = EXCLUDED.data,
              created_at = EXCLUDED.created_at
