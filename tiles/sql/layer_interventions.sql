-- Interventions of one community in a tile envelope (EPSG:3857, stored geom_3857 + GiST).
-- The date of an intervention is when it ended, or when it was created while still open.
SELECT i.id, i.geom_3857 AS geom, i.updated_at,
       i.status, i.category_id AS category, i.priority, i.team_id AS team, i.mission_id AS mission
FROM interventions_intervention AS i
WHERE i.community_id = %(community)s
  AND i.deleted_at IS NULL
  AND i.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
  AND (%(status)s::text[] IS NULL OR i.status = ANY(%(status)s::text[]))
  AND (%(category)s::bigint[] IS NULL OR i.category_id = ANY(%(category)s::bigint[]))
  AND (%(team)s::bigint IS NULL OR i.team_id = %(team)s::bigint)
  AND (%(mission)s::bigint IS NULL OR i.mission_id = %(mission)s::bigint)
  AND (%(date_from)s::timestamptz IS NULL OR coalesce(i.ended_at, i.created_at) >= %(date_from)s::timestamptz)
  AND (%(date_to)s::timestamptz IS NULL OR coalesce(i.ended_at, i.created_at) < %(date_to)s::timestamptz)
