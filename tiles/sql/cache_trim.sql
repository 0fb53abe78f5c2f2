-- Keep the cache within RONDE_TILE_CACHE_MAX_TILES rows: above it, drop the oldest rows (by
-- insertion order, the primary key) down to 90 percent of the limit, so trims stay rare.
DELETE FROM tiles_tilecacheentry
WHERE id IN (
    SELECT id FROM tiles_tilecacheentry
    ORDER BY id
    LIMIT greatest((SELECT count(*) FROM tiles_tilecacheentry) - %(keep)s, 0)
)
