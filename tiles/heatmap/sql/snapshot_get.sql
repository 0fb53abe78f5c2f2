-- The community's heatmap point snapshot (tiles.HeatmapSnapshot; the table kept the name it
-- had in dashboards), if it was loaded from the interventions less than %(max_age)s seconds
-- ago. Read with binary results (bytea as raw bytes, not hex).
SELECT high_water, rows, columns
FROM dashboards_heatmapsnapshot
WHERE community_id = %(community)s
  AND loaded_at > now() - make_interval(secs => %(max_age)s);
