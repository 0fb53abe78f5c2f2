-- Monthly trend (months in %(tz)s): removals, returns, m² and cost per calendar month.
SELECT to_char(date_trunc('month', ended_at AT TIME ZONE %(tz)s), 'YYYY-MM') AS month,
       count(*), count(*) FILTER (WHERE is_return), COALESCE(sum(surface_m2), 0),
       COALESCE(sum(labour_cost + product_cost), 0)
FROM dashboards_tag_cleanings(
    %(community)s::bigint, %(date_from)s::timestamptz, %(date_to)s::timestamptz,
        %(categories)s::bigint[], %(team)s::bigint, %(zone)s::bigint, %(costs)s::jsonb)
GROUP BY 1 ORDER BY 1;
