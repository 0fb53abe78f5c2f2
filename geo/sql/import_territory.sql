-- A feature is inside when it touches the community's territory (storage SRID).
UPDATE import_staging s
SET inside = ST_Intersects(s.geom, c.territory)
FROM accounts_community c
WHERE c.id = %(community_id)s AND s.geom IS NOT NULL AND NOT ST_IsEmpty(s.geom);
