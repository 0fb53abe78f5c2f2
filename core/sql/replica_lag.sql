-- Seconds this standby is behind its primary (core/replicas.py), NULL when it must not be used:
-- not a standby (promoted, or the primary itself), or not streaming from a primary (a broken
-- link would otherwise look like "nothing left to replay" forever).
-- Lag: 0 when all WAL received is replayed; else the age of the last replayed transaction,
-- an upper bound of how stale the oldest unreplayed change makes a read (safe side).
-- pg_stat_wal_receiver shows its status to superusers and members of pg_read_all_stats:
-- give Ronde's role pg_monitor on a replica of your own (docs/scaling.md).
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN NULL
    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
    ELSE greatest(0, extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()))
END AS lag_s
