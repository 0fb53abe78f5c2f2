-- Mission zones of one community in a tile envelope. Few rows: transformed to EPSG:3857 on
-- the fly; the && predicate uses the envelope moved to the storage SRID (GiST on zone).
SELECT m.id, ST_Transform(m.zone, 3857) AS geom, m.updated_at,
       m.name, m.status, to_char(m.date, 'YYYY-MM-DD') AS date, m.team_id AS team
FROM interventions_mission AS m
WHERE m.community_id = %(community)s
  AND m.deleted_at IS NULL
  AND m.zone && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), %(srid)s)
  AND (%(status)s::text[] IS NULL OR m.status = ANY(%(status)s::text[]))
  AND (%(team)s::bigint IS NULL OR m.team_id = %(team)s::bigint)
  -- An agent's tiles: only their teams' missions (NULL: every team, for the other roles).
  AND (%(teams)s::bigint[] IS NULL OR m.team_id = ANY(%(teams)s::bigint[]))
  AND (%(mission)s::bigint IS NULL OR m.id = %(mission)s::bigint)
  AND (%(day_from)s::date IS NULL OR m.date >= %(day_from)s::date)
  AND (%(day_to)s::date IS NULL OR m.date < %(day_to)s::date)
