-- The intervention an agent's edit writes, locked for its transaction, with its mission (without
-- its route and routing cache), the mission's team and its own team: one prepared statement
-- (agent/selectors.py intervention_locked). The same query through the ORM (select_related of three
-- tables, ~75 columns) took ~2 ms of CPU to compile and hydrate, a fifth of an edit's.
-- {intervention}, {mission}, {mission_team}, {team}: the models' column lists (core.sql.ModelColumns).
SELECT {intervention}, {mission}, {mission_team}, {team}
FROM interventions_intervention i
LEFT JOIN interventions_mission m ON m.id = i.mission_id
LEFT JOIN accounts_team mt ON mt.id = m.team_id
LEFT JOIN accounts_team t ON t.id = i.team_id
WHERE i.id = %(pk)s::bigint AND i.community_id = %(community)s::bigint
FOR UPDATE OF i
