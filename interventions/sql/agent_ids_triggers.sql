-- interventions_intervention.agent_ids: the ids of the intervention's agents, sorted, kept
-- here by PostgreSQL from the join table (interventions_intervention_agents), which stays the
-- only place the application writes them.
--
-- Why: the API's list (core/api/feature_rows.py) shows each intervention's agents. Read from
-- the join table, that is one index lookup per row: ~7 ms of a 1,000-feature page whose
-- target is 50 ms (benchmarks/api.py). Read from the row, it costs nothing more.
--
-- Django does not know this column (no model field): it never writes a stale copy back when
-- it saves an intervention, and its INSERTs leave the column's default, '{}'.
--
-- Statement triggers with transition tables: one UPDATE per statement, however many rows a
-- bulk insert (seed_demo, an import) adds. The new ids are merged into the row's current
-- ids, not recomputed from the join table: under READ COMMITTED, two transactions adding
-- agents to the same intervention queue on its row, and the second's merge is re-evaluated
-- on the first's committed row, so neither agent is lost.
--
-- Migration 0014 runs this file as it is when it is applied: a later change here needs a new
-- migration that runs it again (every statement below replaces what it creates).

-- The (intervention, agent) rows a statement inserted or deleted (named changed_rows by both
-- triggers), merged into the interventions' ids.
CREATE OR REPLACE FUNCTION interventions_agent_ids_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE interventions_intervention AS i
       SET agent_ids = CASE WHEN TG_OP = 'INSERT'
               THEN ARRAY(SELECT DISTINCT u FROM unnest(i.agent_ids || changed.ids) AS u ORDER BY u)
               ELSE ARRAY(SELECT u FROM unnest(i.agent_ids) AS u WHERE u <> ALL (changed.ids) ORDER BY u)
           END
      FROM (SELECT intervention_id, array_agg(user_id) AS ids
              FROM changed_rows GROUP BY intervention_id) AS changed
     WHERE i.id = changed.intervention_id;
    RETURN NULL;
END
$$;

-- The application never updates the join table's rows, nor truncates it alone. If someone does,
-- the interventions an UPDATE touched read their ids again from the join table, and a TRUNCATE
-- leaves every intervention without agents.
CREATE OR REPLACE FUNCTION interventions_agent_ids_reread() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE interventions_intervention AS i
       SET agent_ids = ARRAY(SELECT a.user_id FROM interventions_intervention_agents AS a
                              WHERE a.intervention_id = i.id ORDER BY a.user_id)
     WHERE i.id IN (SELECT intervention_id FROM old_rows UNION SELECT intervention_id FROM new_rows);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION interventions_agent_ids_emptied() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE interventions_intervention SET agent_ids = '{}' WHERE agent_ids <> '{}';
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER interventions_agent_ids_added
AFTER INSERT ON interventions_intervention_agents
REFERENCING NEW TABLE AS changed_rows
FOR EACH STATEMENT EXECUTE FUNCTION interventions_agent_ids_changed();

CREATE OR REPLACE TRIGGER interventions_agent_ids_removed
AFTER DELETE ON interventions_intervention_agents
REFERENCING OLD TABLE AS changed_rows
FOR EACH STATEMENT EXECUTE FUNCTION interventions_agent_ids_changed();

CREATE OR REPLACE TRIGGER interventions_agent_ids_updated
AFTER UPDATE ON interventions_intervention_agents
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION interventions_agent_ids_reread();

CREATE OR REPLACE TRIGGER interventions_agent_ids_truncated
AFTER TRUNCATE ON interventions_intervention_agents
FOR EACH STATEMENT EXECUTE FUNCTION interventions_agent_ids_emptied();
