-- What a worker may remember between cached-tile hits, and the database tells it when to forget
-- (tiles/hit_listener.py listens on channel ronde_tile_hits; tiles/triggers.py installs this).
-- A worker answers a hit from memory only with a decision about the caller and the bytes of a
-- tile it read from the database, and only while it listens. Every write that could change
-- either one notifies, from the writing transaction, delivered when it commits:
--   'callers'      a row of a table the caller's decision is made from changed (tokens, users,
--                  memberships, communities, sessions): forget every caller;
--   'tiles:<id>'   cached tiles of community <id> were replaced or purged: forget its tiles;
--   'tiles:*'      the tile cache was truncated: forget every tile.
-- Notifications with the same payload in one transaction are sent once (PostgreSQL folds them).

CREATE OR REPLACE FUNCTION tiles_hit_forget_callers() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('ronde_tile_hits', 'callers');
    RETURN NULL;
END
$fn$;

-- Per row changed or removed: a statement that removes none (most of a write's purge DELETEs,
-- one per zoom) runs nothing, where a statement-level trigger would build a transition table
-- for each; a TRUNCATE, per statement. A notifying commit costs ~30 µs more (measured here).
CREATE OR REPLACE FUNCTION tiles_hit_forget_tiles() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('ronde_tile_hits', 'tiles:*');
    ELSE
        PERFORM pg_notify('ronde_tile_hits', 'tiles:' || OLD.community_id);
    END IF;
    RETURN NULL;
END
$fn$;

-- The caller's decision: sql/cache_hit.sql with accounts/sql/membership_of_caller.sql reads
-- tokens, users, memberships and communities; hit_shortcut.py's session check reads
-- django_session. Any change at all, even an INSERT (a new membership may be older by its
-- created_at), makes every worker ask the database again.
CREATE OR REPLACE TRIGGER tiles_hit_forget AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
ON accounts_apitoken FOR EACH STATEMENT EXECUTE FUNCTION tiles_hit_forget_callers();
CREATE OR REPLACE TRIGGER tiles_hit_forget AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
ON accounts_user FOR EACH STATEMENT EXECUTE FUNCTION tiles_hit_forget_callers();
CREATE OR REPLACE TRIGGER tiles_hit_forget AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
ON accounts_membership FOR EACH STATEMENT EXECUTE FUNCTION tiles_hit_forget_callers();
CREATE OR REPLACE TRIGGER tiles_hit_forget AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
ON accounts_community FOR EACH STATEMENT EXECUTE FUNCTION tiles_hit_forget_callers();
-- Sessions: a new session changes no decision already made, and Django's session save tries
-- an UPDATE that often matches no row, so only rows actually changed or removed notify.
CREATE OR REPLACE TRIGGER tiles_hit_forget AFTER UPDATE OR DELETE
ON django_session FOR EACH ROW EXECUTE FUNCTION tiles_hit_forget_callers();
CREATE OR REPLACE TRIGGER tiles_hit_forget_truncate AFTER TRUNCATE
ON django_session FOR EACH STATEMENT EXECUTE FUNCTION tiles_hit_forget_callers();

-- The tiles: an insert adds a tile no worker holds; a replacement (cache_put.sql's ON CONFLICT
-- DO UPDATE), a purge, a trim or a truncate changes or removes one a worker may hold.
CREATE OR REPLACE TRIGGER tiles_hit_forget_update AFTER UPDATE ON tiles_tilecacheentry
FOR EACH ROW EXECUTE FUNCTION tiles_hit_forget_tiles();
CREATE OR REPLACE TRIGGER tiles_hit_forget_delete AFTER DELETE ON tiles_tilecacheentry
FOR EACH ROW EXECUTE FUNCTION tiles_hit_forget_tiles();
CREATE OR REPLACE TRIGGER tiles_hit_forget_truncate AFTER TRUNCATE ON tiles_tilecacheentry
FOR EACH STATEMENT EXECUTE FUNCTION tiles_hit_forget_tiles();
