-- Heatmap point store: one fixed-width binary row per intervention (COPY BINARY, parsed by
-- numpy in tiles/heatmap/store.py; every column NOT NULL and of fixed size). x, y are world
-- pixel coordinates at zoom 22 (256-px tiles: 0 … 2^30, y southwards) from the stored
-- EPSG:3857 copy. The rest is sent as stored, numpy does the conversions (measured at 1M
-- rows: 1.6 → 1.1 s for this COPY): ended_at and updated_at as raw timestamps (the local day
-- of ended_at per row by AT TIME ZONE was the dearest column), the surface in hundredths of
-- m² (numeric → float4 goes through text), and no join to the categories (the tag flag is
-- looked up per category id).
-- alive = false marks a changed row that no longer belongs (not done any more, or deleted).
-- With %(since)s NULL: every done intervention; else every row updated after it.
COPY (
    SELECT i.id::int8,
           floor((ST_X(i.geom_3857) + 20037508.342789244) / 40075016.68557849 * 1073741824)::int4,
           floor((20037508.342789244 - ST_Y(i.geom_3857)) / 40075016.68557849 * 1073741824)::int4,
           COALESCE(i.ended_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
           i.category_id::int4,
           COALESCE(i.team_id, 0)::int4,
           COALESCE(i.asset_id, 0)::int4,
           COALESCE(i.surface_m2 * 100, 0)::int4,
           (i.status = 'done' AND i.ended_at IS NOT NULL AND i.deleted_at IS NULL),
           i.updated_at
    FROM interventions_intervention AS i
    WHERE i.community_id = %(community)s
      AND (%(since)s::timestamptz IS NOT NULL
           OR (i.status = 'done' AND i.ended_at IS NOT NULL AND i.deleted_at IS NULL))
      AND (%(since)s::timestamptz IS NULL OR i.updated_at > %(since)s::timestamptz)
) TO STDOUT (FORMAT binary)
