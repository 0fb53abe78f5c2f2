-- The unfiltered monthly trend of a community (months in %(tz)s), stored at each rebuild of
-- its facts: removals, returns, m² and cost per calendar month.
SELECT to_char(date_trunc('month', ended_at AT TIME ZONE %(tz)s), 'YYYY-MM'),
       count(*), count(*) FILTER (WHERE is_return), COALESCE(sum(surface_m2), 0),
       COALESCE(sum(labour_cost + product_cost), 0)
FROM dashboards_tag_cleanings(%(community)s::bigint, '-infinity'::timestamptz, 'infinity'::timestamptz,
                              NULL::bigint[], NULL::bigint, NULL::bigint, %(costs)s::jsonb)
GROUP BY 1;
