-- What an offline client's key names, in one statement (every intervention edit of a sync
-- starts here): the intervention whose own key it is, in any community, deleted or not (the
-- caller tells "used elsewhere" and "deleted in the office" apart), else the live intervention
-- an alias of this community names (a second device's key for the same work). The first
-- branch is read first and, when it finds the key, the second is never run.
SELECT i.id, i.community_id, i.deleted_at IS NOT NULL
FROM interventions_intervention i
WHERE i.client_uuid = %(key)s::uuid
UNION ALL
(SELECT a.intervention_id, a.community_id, false
 FROM agent_interventionalias a
 JOIN interventions_intervention i ON i.id = a.intervention_id
 WHERE a.client_uuid = %(key)s::uuid AND a.community_id = %(community)s::bigint AND i.deleted_at IS NULL
 ORDER BY a.id
 LIMIT 1)
LIMIT 1
