-- Purge every cached tile of some layers of a community (territory change, bulk import).
DELETE FROM tiles_tilecacheentry
WHERE community_id = %(community)s AND layer = ANY(%(layers)s::text[])
