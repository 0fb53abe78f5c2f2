-- Reports of one community in a tile envelope (EPSG:3857, stored geom_3857 + GiST).
-- Dates are bound as timestamptz bounds [date_from, date_to) computed in the local time zone.
SELECT r.id, r.geom_3857 AS geom, r.updated_at,
       r.status, r.category_id AS category, r.priority,
       to_char(r.reported_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD') AS date
FROM interventions_report AS r
WHERE r.community_id = %(community)s
  AND r.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s)
  AND (%(status)s::text[] IS NULL OR r.status = ANY(%(status)s::text[]))
  AND (%(category)s::bigint[] IS NULL OR r.category_id = ANY(%(category)s::bigint[]))
  AND (%(date_from)s::timestamptz IS NULL OR r.reported_at >= %(date_from)s::timestamptz)
  AND (%(date_to)s::timestamptz IS NULL OR r.reported_at < %(date_to)s::timestamptz)
