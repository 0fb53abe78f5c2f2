-- Headline figures of one community and period (filters as dashboards_tag_cleanings).
-- Recurrence over N days counts only removals at least N days old at %(now)s (younger ones
-- have not had the time to come back): eN = sites with such a removal, rN = those re-tagged
-- within N days after one of them.
WITH c AS MATERIALIZED (
    SELECT * FROM dashboards_tag_cleanings(
        %(community)s::bigint, %(date_from)s::timestamptz, %(date_to)s::timestamptz,
        %(categories)s::bigint[], %(team)s::bigint, %(zone)s::bigint, %(costs)s::jsonb)
), sites AS (
    SELECT asset_id,
           bool_or(ended_at <= %(now)s - interval '7 days') AS e7,
           bool_or(ended_at <= %(now)s - interval '7 days' AND next_at <= ended_at + interval '7 days') AS r7,
           bool_or(ended_at <= %(now)s - interval '30 days') AS e30,
           bool_or(ended_at <= %(now)s - interval '30 days' AND next_at <= ended_at + interval '30 days') AS r30,
           bool_or(ended_at <= %(now)s - interval '90 days') AS e90,
           bool_or(ended_at <= %(now)s - interval '90 days' AND next_at <= ended_at + interval '90 days') AS r90
    FROM c
    WHERE asset_id IS NOT NULL
    GROUP BY asset_id
)
SELECT
    (SELECT count(*) FROM c) AS cleanings,
    (SELECT COALESCE(sum(surface_m2), 0) FROM c) AS m2,
    (SELECT count(*) FILTER (WHERE is_return) FROM c) AS returns,
    (SELECT count(*) FROM sites) AS sites,
    (SELECT COALESCE(sum(minutes), 0) FROM c) AS minutes,
    (SELECT COALESCE(sum(labour_cost), 0) FROM c) AS labour_cost,
    (SELECT COALESCE(sum(product_cost), 0) FROM c) AS product_cost,
    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM next_at - ended_at) / 86400.0)
       FROM c WHERE next_at IS NOT NULL) AS median_retag_days,
    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM ended_at - reported_at) / 3600.0)
       FROM c WHERE reported_at IS NOT NULL) AS median_report_hours,
    (SELECT count(*) FROM c WHERE offensive AND reported_at IS NOT NULL) AS offensive,
    (SELECT count(*) FROM c WHERE offensive AND reported_at IS NOT NULL
       AND ended_at <= reported_at + interval '24 hours') AS offensive_24h,
    (SELECT count(*) FILTER (WHERE e7) FROM sites) AS e7,
    (SELECT count(*) FILTER (WHERE r7) FROM sites) AS r7,
    (SELECT count(*) FILTER (WHERE e30) FROM sites) AS e30,
    (SELECT count(*) FILTER (WHERE r30) FROM sites) AS r30,
    (SELECT count(*) FILTER (WHERE e90) FROM sites) AS e90,
    (SELECT count(*) FILTER (WHERE r90) FROM sites) AS r90;
