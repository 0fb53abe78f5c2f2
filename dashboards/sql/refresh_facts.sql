-- Rebuild the recurrence facts of community %(community)s (run after DELETE of its rows, in
-- the same transaction). Window functions over each site's time line:
--   next cleaning  = LEAD over the site's done tag removals;
--   next report    = the earliest tag report at the site after the removal (rejected and
--                    duplicate reports ignored): a running min over the site's events in
--                    reverse time order (incremental, no quadratic frame);
--   is_return      = the site has an earlier removal.
WITH tags AS (
    SELECT id FROM interventions_category WHERE community_id = %(community)s AND is_tag
), cleanings AS (
    SELECT i.id, i.asset_id, i.team_id, i.category_id, i.ended_at, i.started_at, i.surface_m2,
           i.product, i.offensive, i.report_id, i.geom
    FROM interventions_intervention AS i
    WHERE i.community_id = %(community)s AND i.status = 'done' AND i.ended_at IS NOT NULL
      AND i.deleted_at IS NULL
      AND i.category_id IN (SELECT id FROM tags)
), events AS (
    SELECT asset_id, ended_at AS t, 0 AS kind, id FROM cleanings WHERE asset_id IS NOT NULL
    UNION ALL
    SELECT r.asset_id, r.reported_at, 1, r.id
    FROM interventions_report AS r
    WHERE r.community_id = %(community)s AND r.asset_id IS NOT NULL
      AND r.status NOT IN ('rejected', 'duplicate') AND r.category_id IN (SELECT id FROM tags)
), next_report AS (
    SELECT id, kind,
           min(CASE WHEN kind = 1 THEN t END) OVER (
               PARTITION BY asset_id ORDER BY t DESC, kind DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS at
    FROM events
), seq AS (
    SELECT c.id,
           lead(c.ended_at) OVER w AS next_clean,
           lag(c.ended_at) OVER w IS NOT NULL AS is_return
    FROM cleanings AS c
    WHERE c.asset_id IS NOT NULL
    WINDOW w AS (PARTITION BY c.asset_id ORDER BY c.ended_at, c.id)
), site_places AS (
    -- Street and district are looked up once per site (tens of thousands), not per removal.
    SELECT a.id AS asset_id,
           (SELECT s.name FROM geo_streetsegment AS s
             WHERE s.community_id = %(community)s AND s.name <> '' AND ST_DWithin(s.geom, a.geom, 50)
             ORDER BY s.geom <-> a.geom LIMIT 1) AS street,
           (SELECT z.id FROM geo_zone AS z
             WHERE z.community_id = %(community)s AND z.kind = 'district' AND ST_Intersects(z.geom, a.geom)
             ORDER BY z.name, z.id LIMIT 1) AS district_id
    FROM geo_asset AS a
    WHERE a.id IN (SELECT asset_id FROM cleanings WHERE asset_id IS NOT NULL)
), agents AS (
    SELECT ia.intervention_id, count(*) AS n
    FROM interventions_intervention_agents AS ia
    WHERE ia.intervention_id IN (SELECT id FROM cleanings)
    GROUP BY ia.intervention_id
)
INSERT INTO dashboards_cleaningfact (
    intervention_id, community_id, asset_id, team_id, category_id, ended_at, next_at, is_return,
    surface_m2, minutes, agents, product, offensive, reported_at, geom, district_id, street)
SELECT c.id, %(community)s, c.asset_id, c.team_id, c.category_id, c.ended_at,
       CASE WHEN nr.at > c.ended_at THEN LEAST(s.next_clean, nr.at) ELSE s.next_clean END,
       COALESCE(s.is_return, false),
       c.surface_m2,
       COALESCE(EXTRACT(EPOCH FROM (c.ended_at - c.started_at)) / 60.0, cat.service_minutes),
       LEAST(GREATEST(COALESCE(a.n, 1), 1), 32767),
       c.product, c.offensive, r.reported_at, c.geom,
       CASE WHEN c.asset_id IS NOT NULL THEN sp.district_id ELSE (
           SELECT z.id FROM geo_zone AS z
           WHERE z.community_id = %(community)s AND z.kind = 'district' AND ST_Intersects(z.geom, c.geom)
           ORDER BY z.name, z.id LIMIT 1) END,
       COALESCE(sp.street, '')
FROM cleanings AS c
JOIN interventions_category AS cat ON cat.id = c.category_id
LEFT JOIN seq AS s ON s.id = c.id
LEFT JOIN next_report AS nr ON nr.id = c.id AND nr.kind = 0
LEFT JOIN agents AS a ON a.intervention_id = c.id
LEFT JOIN site_places AS sp ON sp.asset_id = c.asset_id
LEFT JOIN interventions_report AS r ON r.id = c.report_id
-- Stored in time order: a period's facts sit on neighbouring pages.
ORDER BY c.ended_at;
