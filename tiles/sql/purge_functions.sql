-- Cached tiles are purged by the database itself, in the writing transaction, whoever writes:
-- the ORM, bulk updates, COPY imports, raw SQL, psql. One statement-level trigger per table and
-- event (tiles/triggers.py installs them after each migrate, from tiles/signals.py MAPPED) reads
-- the changed rows from the transition tables and deletes the tiles of the layers they feed
-- whose envelope, widened by the MVT buffer, meets the extent of the old or the new rows.

-- The tiles of `layers`, zooms zmin..zmax, whose buffered envelope meets `box` (EPSG:3857 m).
-- One indexed range DELETE per zoom (tile_cache_key: community, layer, z, x, y).
CREATE OR REPLACE FUNCTION tiles_purge_extent(
    community bigint, layers text[], box box2d, zmin int, zmax int, margin float8
) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    half constant float8 := 20037508.342789244;  -- half the width of the EPSG:3857 square
    size float8;
    pad float8;
    last int;
BEGIN
    FOR zoom IN zmin..zmax LOOP
        size := 2 * half / (1::bigint << zoom);
        pad := margin * size;
        last := (1::bigint << zoom) - 1;
        DELETE FROM tiles_tilecacheentry
        WHERE community_id = community AND layer = ANY(layers) AND z = zoom
          AND x BETWEEN least(greatest(floor((ST_XMin(box) - pad + half) / size), 0), last)::int
                    AND least(greatest(floor((ST_XMax(box) + pad + half) / size), 0), last)::int
          AND y BETWEEN least(greatest(floor((half - ST_YMax(box) - pad) / size), 0), last)::int
                    AND least(greatest(floor((half - ST_YMin(box) + pad) / size), 0), last)::int;
    END LOOP;
END
$fn$;

-- The advisory lock of a community's layer: writers hold it shared until they commit, a tile
-- being stored takes it exclusively (so it waits for the writes in flight).
CREATE OR REPLACE FUNCTION tiles_lock_key(community bigint, layer text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $fn$ SELECT hashtextextended('ronde-tiles:' || community || ':' || layer, 0) $fn$;

-- A write to some layers of a community: lock them shared and note the write (its xid).
CREATE OR REPLACE FUNCTION tiles_note_write(community bigint, layers text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY layers LOOP
        PERFORM pg_advisory_xact_lock_shared(tiles_lock_key(community, name));
        INSERT INTO tiles_purge_log (community_id, layer) VALUES (community, name);
    END LOOP;
    IF random() < 0.01 THEN  -- now and then, forget writes no build can still be missing
        DELETE FROM tiles_purge_log WHERE created_at < now() - interval '15 minutes';
    END IF;
END
$fn$;

-- Trigger arguments: geometry column, first zoom, last zoom, buffer margin (fraction of a
-- tile), then the layer names. The transition tables are old_rows and/or new_rows.
-- An UPDATE that leaves the geometry where it was (a status, a surface: most edits) has the same
-- extent before and after: it is purged once, and its write noted once per community (the two
-- passes over old_rows and new_rows were half of a field edit's time in the database).
CREATE OR REPLACE FUNCTION tiles_purge_changed_rows() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    layers text[] := TG_ARGV[4:array_length(TG_ARGV, 1) - 1];
    sources text[] := CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows']
                                 WHEN 'DELETE' THEN ARRAY['old_rows']
                                 ELSE ARRAY['old_rows', 'new_rows'] END;
    cached boolean := EXISTS (SELECT 1 FROM tiles_tilecacheentry LIMIT 1);
    parts text[] := '{}';
    source text;
    noted bigint[] := '{}';
    changed record;
BEGIN
    FOREACH source IN ARRAY sources LOOP
        parts := parts || format(
            'SELECT community_id AS community, ST_Extent(ST_Transform(%1$I, 3857)) AS box '
            'FROM %2$I WHERE %1$I IS NOT NULL GROUP BY community_id', TG_ARGV[0], source);
    END LOOP;
    FOR changed IN EXECUTE
        'SELECT DISTINCT ON (community, box::text) community, box FROM ('
        || array_to_string(parts, ' UNION ALL ') || ') AS extents'
    LOOP
        IF NOT changed.community = ANY(noted) THEN
            PERFORM tiles_note_write(changed.community, layers);
            noted := noted || changed.community;
        END IF;
        IF cached THEN  -- an empty cache (a fresh instance, a bulk import) has nothing to purge
            PERFORM tiles_purge_extent(changed.community, layers, changed.box,
                                       TG_ARGV[1]::int, TG_ARGV[2]::int, TG_ARGV[3]::float8);
        END IF;
    END LOOP;
    RETURN NULL;
END
$fn$;
