# interventions_intervention.agent_ids: the agents' ids kept on the row by PostgreSQL
# (interventions/sql/agent_ids_triggers.sql says why). Not a model field: Django never writes it.

from pathlib import Path

from django.db import migrations

TRIGGERS = (Path(__file__).resolve().parent.parent / "sql" / "agent_ids_triggers.sql").read_text(encoding="utf-8")

COLUMN = """
ALTER TABLE interventions_intervention ADD COLUMN agent_ids bigint[] NOT NULL DEFAULT '{}';
UPDATE interventions_intervention AS i
   SET agent_ids = a.ids
  FROM (SELECT intervention_id, array_agg(user_id ORDER BY user_id) AS ids
          FROM interventions_intervention_agents GROUP BY intervention_id) AS a
 WHERE i.id = a.intervention_id;
"""
REVERSE = """
DROP TRIGGER IF EXISTS interventions_agent_ids_added ON interventions_intervention_agents;
DROP TRIGGER IF EXISTS interventions_agent_ids_removed ON interventions_intervention_agents;
DROP TRIGGER IF EXISTS interventions_agent_ids_updated ON interventions_intervention_agents;
DROP TRIGGER IF EXISTS interventions_agent_ids_truncated ON interventions_intervention_agents;
DROP FUNCTION IF EXISTS interventions_agent_ids_changed();
DROP FUNCTION IF EXISTS interventions_agent_ids_reread();
DROP FUNCTION IF EXISTS interventions_agent_ids_emptied();
ALTER TABLE interventions_intervention DROP COLUMN IF EXISTS agent_ids;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0013_category_verbose_name"),
    ]

    operations = [
        migrations.RunSQL(COLUMN + TRIGGERS, REVERSE),
    ]
