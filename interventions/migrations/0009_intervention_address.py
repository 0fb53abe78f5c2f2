# Every intervention and report carries a human address (geo_fill_address, geo 0005).

from django.db import migrations

import geo.models.addresses

TRIGGERS = """
CREATE TRIGGER interventions_intervention_fill_address
BEFORE INSERT OR UPDATE OF geom, address ON interventions_intervention
FOR EACH ROW EXECUTE FUNCTION geo_fill_address('computed');
CREATE TRIGGER interventions_report_fill_address
BEFORE INSERT OR UPDATE OF geom, address ON interventions_report
FOR EACH ROW EXECUTE FUNCTION geo_fill_address('written');
"""
TRIGGERS_REVERSE = """
DROP TRIGGER IF EXISTS interventions_intervention_fill_address ON interventions_intervention;
DROP TRIGGER IF EXISTS interventions_report_fill_address ON interventions_report;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0005_address"),
        ("interventions", "0008_photo_thumbnail"),
    ]

    operations = [
        migrations.AddField(
            model_name="intervention",
            name="address",
            field=geo.models.addresses.AddressField(
                blank=True, db_default="", default="", max_length=300, verbose_name="address"
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="address",
            field=geo.models.addresses.AddressField(
                blank=True, db_default="", default="", max_length=300, verbose_name="address"
            ),
        ),
        migrations.RunSQL(TRIGGERS, TRIGGERS_REVERSE),
    ]
