"""HeatmapSnapshot now belongs to tiles (tiles 0003): forgotten here by state only, its
table (dashboards_heatmapsnapshot) and rows stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0004_monthly_rollups"),
        ("tiles", "0003_heatmap_snapshot"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="HeatmapSnapshot")],
            database_operations=[],
        ),
    ]
