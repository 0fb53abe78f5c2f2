-- One request per client key at a time: held until the transaction ends, so a second request
-- with the same key (a double tap sent on two connections) sees the first one's committed rows.
-- A hash collision between two keys only makes them wait for each other.
SELECT pg_advisory_xact_lock(hashtextextended(%(key)s, 0))
