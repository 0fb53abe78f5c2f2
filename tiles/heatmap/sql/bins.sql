-- SQL binning for heatmap rasters (the fallback when a filter does not fit the in-memory
-- store: reports, or interventions by status; also the benchmark's peer).
-- Pixels of %(res)s EPSG:3857 metres from the top-left corner (%(minx)s, %(maxy)s) of a
-- %(width)s × %(height)s grid; returns (column, row, summed weight).
WITH pts AS (
    SELECT i.geom_3857 AS g,
           CASE %(weight)s
               WHEN 'm2' THEN COALESCE(i.surface_m2, 0)::float8
               WHEN 'returns' THEN (c.is_tag AND i.asset_id IS NOT NULL AND EXISTS (
                   SELECT 1 FROM interventions_intervention AS p
                   WHERE p.asset_id = i.asset_id AND p.status = 'done' AND p.deleted_at IS NULL
                     AND (p.ended_at, p.id) < (i.ended_at, i.id)))::int::float8
               ELSE 1.0
           END AS w
    FROM interventions_intervention AS i
    JOIN interventions_category AS c ON c.id = i.category_id
    WHERE %(source)s = 'interventions'
      AND i.community_id = %(community)s
      AND i.deleted_at IS NULL
      AND i.geom_3857 && ST_MakeEnvelope(%(minx)s, %(maxy)s - %(height)s * %(res)s,
                                         %(minx)s + %(width)s * %(res)s, %(maxy)s, 3857)
      AND i.status = ANY (%(statuses)s)
      AND (%(date_from)s::timestamptz IS NULL OR i.ended_at >= %(date_from)s::timestamptz)
      AND (%(date_to)s::timestamptz IS NULL OR i.ended_at < %(date_to)s::timestamptz)
      AND (%(categories)s::bigint[] IS NULL OR i.category_id = ANY (%(categories)s::bigint[]))
      AND (%(team)s::bigint IS NULL OR i.team_id = %(team)s::bigint)
    UNION ALL
    SELECT r.geom_3857, 1.0
    FROM interventions_report AS r
    WHERE %(source)s = 'reports'
      AND r.community_id = %(community)s
      AND r.geom_3857 && ST_MakeEnvelope(%(minx)s, %(maxy)s - %(height)s * %(res)s,
                                         %(minx)s + %(width)s * %(res)s, %(maxy)s, 3857)
      AND (%(date_from)s::timestamptz IS NULL OR r.reported_at >= %(date_from)s::timestamptz)
      AND (%(date_to)s::timestamptz IS NULL OR r.reported_at < %(date_to)s::timestamptz)
      AND (%(categories)s::bigint[] IS NULL OR r.category_id = ANY (%(categories)s::bigint[]))
)
SELECT floor((ST_X(g) - %(minx)s) / %(res)s)::int AS col,
       floor((%(maxy)s - ST_Y(g)) / %(res)s)::int AS row,
       sum(w)
FROM pts
GROUP BY 1, 2;
