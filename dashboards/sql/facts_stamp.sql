-- The state of a community's data the recurrence facts are built from: latest change of
-- its interventions and of its reports (indexes on community_id, updated_at).
SELECT COALESCE((SELECT max(updated_at) FROM interventions_intervention WHERE community_id = %(community)s)::text, '-')
       || '|' ||
       COALESCE((SELECT max(updated_at) FROM interventions_report WHERE community_id = %(community)s)::text, '-');
