-- The intervention a photo is sent for, named by the offline client's key: its own key in this
-- community (deleted or not: the caller answers a replay, refuses the rest), else the live
-- intervention an alias of this community names. Only what the ownership check reads
-- (interventions.selectors.intervention_check_writable): one prepared statement where the ORM
-- compiled two or three queries (~2 ms of a photo request's ~8 ms of CPU).
SELECT i.id, i.community_id, i.team_id, i.deleted_at, i.mission_id, m.team_id
FROM interventions_intervention i
LEFT JOIN interventions_mission m ON m.id = i.mission_id
WHERE i.client_uuid = %(key)s::uuid AND i.community_id = %(community)s::bigint
UNION ALL
(SELECT i.id, i.community_id, i.team_id, i.deleted_at, i.mission_id, m.team_id
 FROM agent_interventionalias a
 JOIN interventions_intervention i ON i.id = a.intervention_id
 LEFT JOIN interventions_mission m ON m.id = i.mission_id
 WHERE a.client_uuid = %(key)s::uuid AND a.community_id = %(community)s::bigint
   AND i.community_id = %(community)s::bigint AND i.deleted_at IS NULL
 ORDER BY a.id
 LIMIT 1)
LIMIT 1
