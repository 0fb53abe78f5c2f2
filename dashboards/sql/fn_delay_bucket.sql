-- dashboards_delay_bucket(hours): the histogram bucket of a delay in hours (models.DelayMonth),
-- 32 buckets per doubling (each ~2.2 % wide), negative delays mirrored below zero; monotone,
-- so the k-th smallest delay lies in the bucket where the cumulated counts reach k.
-- IMMUTABLE: used in expression indexes on the facts (migration 0004).
CREATE OR REPLACE FUNCTION dashboards_delay_bucket(hours double precision) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
    SELECT CASE WHEN hours >= 0 THEN floor(32 * ln(1 + hours) / ln(2.0::float8))::integer
                ELSE -1 - floor(32 * ln(1 - hours) / ln(2.0::float8))::integer END
$fn$;

-- The two delays, written once so that the index expressions and the queries match.
CREATE OR REPLACE FUNCTION dashboards_retag_hours(next_at timestamptz, ended_at timestamptz)
RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
    SELECT date_part('epoch', next_at - ended_at) / 3600.0
$fn$;

CREATE OR REPLACE FUNCTION dashboards_report_hours(ended_at timestamptz, reported_at timestamptz)
RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
    SELECT date_part('epoch', ended_at - reported_at) / 3600.0
$fn$;
