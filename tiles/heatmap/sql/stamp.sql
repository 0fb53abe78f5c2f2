-- Heatmap ETag for the SQL path: count and max(updated_at) of the rows under the window
-- (EPSG:3857 envelope), interventions or reports.
SELECT count(*), max(updated_at)
FROM (
    SELECT updated_at FROM interventions_intervention
    WHERE %(source)s = 'interventions' AND community_id = %(community)s AND deleted_at IS NULL
      AND geom_3857 && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 3857)
    UNION ALL
    SELECT updated_at FROM interventions_report
    WHERE %(source)s = 'reports' AND community_id = %(community)s
      AND geom_3857 && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 3857)
) AS rows_under;
