-- The latest tag removals of several sites at once (the map's popups: one query, not one per
-- site); same columns as site_history.sql, plus the site first. No agent names.
SELECT s.site, h.ended_at, h.surface_m2, h.method, h.support, h.offensive, h.minutes
FROM unnest(%(sites)s::bigint[]) AS s(site)
CROSS JOIN LATERAL (
    SELECT i.ended_at, i.surface_m2, i.method, i.support, i.offensive,
           COALESCE(EXTRACT(EPOCH FROM (i.ended_at - i.started_at)) / 60.0, c.service_minutes) AS minutes
    FROM interventions_intervention AS i
    JOIN interventions_category AS c ON c.id = i.category_id AND c.is_tag
    WHERE i.community_id = %(community)s AND i.asset_id = s.site AND i.status = 'done'
      AND i.deleted_at IS NULL
    ORDER BY i.ended_at DESC
    LIMIT %(limit)s
) AS h
ORDER BY s.site, h.ended_at DESC;
