-- Figures per street: each site counts for its nearest named street segment within 50 m
-- (storage SRID, metres, resolved when the facts are rebuilt); sites farther are left out.
WITH c AS NOT MATERIALIZED (  -- read once: inlined, no tuplestore of the period
    SELECT * FROM dashboards_tag_cleanings(
        %(community)s::bigint, %(date_from)s::timestamptz, %(date_to)s::timestamptz,
        %(categories)s::bigint[], %(team)s::bigint, %(zone)s::bigint, %(costs)s::jsonb)
)
SELECT street, count(DISTINCT asset_id) AS sites, count(*), count(*) FILTER (WHERE is_return),
       COALESCE(sum(surface_m2), 0)
FROM c
WHERE street <> '' AND asset_id IS NOT NULL
GROUP BY street
ORDER BY 4 DESC, 3 DESC, street
LIMIT %(limit)s;
