-- One site's history: its tag removals (no agent names: this feeds public pages too).
SELECT i.ended_at, i.surface_m2, i.method, i.support, i.offensive,
       COALESCE(EXTRACT(EPOCH FROM (i.ended_at - i.started_at)) / 60.0, c.service_minutes) AS minutes
FROM interventions_intervention AS i
JOIN interventions_category AS c ON c.id = i.category_id AND c.is_tag
WHERE i.community_id = %(community)s AND i.asset_id = %(site)s AND i.status = 'done'
  AND i.deleted_at IS NULL
ORDER BY i.ended_at DESC
LIMIT %(limit)s;
