from django.db import migrations

# A segment whose geometry changes leaves the routing topology: its source/target are
# nulled so that geo.routing.topology.topology_ensure rebuilds the graph before routing.
FORWARD = """
CREATE OR REPLACE FUNCTION geo_streetsegment_topology_stale() RETURNS trigger AS $$
BEGIN
    IF NOT ST_OrderingEquals(NEW.geom, OLD.geom) THEN
        NEW.source := NULL;
        NEW.target := NULL;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER geo_streetsegment_topology_stale
BEFORE UPDATE OF geom ON geo_streetsegment
FOR EACH ROW EXECUTE FUNCTION geo_streetsegment_topology_stale();
"""

REVERSE = """
DROP TRIGGER IF EXISTS geo_streetsegment_topology_stale ON geo_streetsegment;
DROP FUNCTION IF EXISTS geo_streetsegment_topology_stale();
"""


class Migration(migrations.Migration):
    dependencies = [("geo", "0002_importjob")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
