-- Store the points a worker just loaded from the interventions, unless a newer load is there.
INSERT INTO dashboards_heatmapsnapshot AS s (community_id, loaded_at, high_water, rows, columns)
VALUES (%(community)s, %(loaded_at)s, %(high_water)s, %(rows)s, %(columns)s)
ON CONFLICT (community_id) DO UPDATE
SET loaded_at = EXCLUDED.loaded_at, high_water = EXCLUDED.high_water, rows = EXCLUDED.rows,
    columns = EXCLUDED.columns
WHERE s.loaded_at < EXCLUDED.loaded_at;
