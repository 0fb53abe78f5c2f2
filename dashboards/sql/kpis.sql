-- Headline figures of one community and period (filters as dashboards_tag_cleanings).
-- Recurrence over N days counts only removals at least N days old at %(now)s (younger ones
-- have not had the time to come back): eN = sites with such a removal, rN = those re-tagged
-- within N days after one of them.
-- Two passes over the period's facts (the function is inlined: index range on ended_at),
-- one for the totals and medians, one grouped by site; no materialised CTE (at 320k removals
-- a year, it spilled to disk and was re-read eleven times). Delays are sorted as float8
-- (date_part), not as the numeric EXTRACT returns: the two medians cost half as much.
WITH totals AS (
    SELECT count(*) AS cleanings,
           COALESCE(sum(surface_m2), 0) AS m2,
           count(*) FILTER (WHERE is_return) AS returns,
           COALESCE(sum(minutes), 0) AS minutes,
           COALESCE(sum(labour_cost), 0) AS labour_cost,
           COALESCE(sum(product_cost), 0) AS product_cost,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', next_at - ended_at) / 86400.0)
               FILTER (WHERE next_at IS NOT NULL) AS median_retag_days,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', ended_at - reported_at) / 3600.0)
               FILTER (WHERE reported_at IS NOT NULL) AS median_report_hours,
           count(*) FILTER (WHERE offensive AND reported_at IS NOT NULL) AS offensive,
           count(*) FILTER (WHERE offensive AND reported_at IS NOT NULL
                            AND ended_at <= reported_at + interval '24 hours') AS offensive_24h
    FROM dashboards_tag_cleanings(
        %(community)s::bigint, %(date_from)s::timestamptz, %(date_to)s::timestamptz,
        %(categories)s::bigint[], %(team)s::bigint, %(zone)s::bigint, %(costs)s::jsonb)
), sites AS (
    SELECT bool_or(ended_at <= %(now)s - interval '7 days') AS e7,
           bool_or(ended_at <= %(now)s - interval '7 days' AND next_at <= ended_at + interval '7 days') AS r7,
           bool_or(ended_at <= %(now)s - interval '30 days') AS e30,
           bool_or(ended_at <= %(now)s - interval '30 days' AND next_at <= ended_at + interval '30 days') AS r30,
           bool_or(ended_at <= %(now)s - interval '90 days') AS e90,
           bool_or(ended_at <= %(now)s - interval '90 days' AND next_at <= ended_at + interval '90 days') AS r90
    FROM dashboards_tag_cleanings(
        %(community)s::bigint, %(date_from)s::timestamptz, %(date_to)s::timestamptz,
        %(categories)s::bigint[], %(team)s::bigint, %(zone)s::bigint, %(costs)s::jsonb)
    WHERE asset_id IS NOT NULL
    GROUP BY asset_id
), site_totals AS (
    SELECT count(*) AS sites,
           count(*) FILTER (WHERE e7) AS e7, count(*) FILTER (WHERE r7) AS r7,
           count(*) FILTER (WHERE e30) AS e30, count(*) FILTER (WHERE r30) AS r30,
           count(*) FILTER (WHERE e90) AS e90, count(*) FILTER (WHERE r90) AS r90
    FROM sites
)
SELECT t.cleanings, t.m2, t.returns, s.sites, t.minutes, t.labour_cost, t.product_cost,
       t.median_retag_days, t.median_report_hours, t.offensive, t.offensive_24h,
       s.e7, s.r7, s.e30, s.r30, s.e90, s.r90
FROM totals AS t, site_totals AS s;
