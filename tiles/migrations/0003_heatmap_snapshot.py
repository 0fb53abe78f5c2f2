"""HeatmapSnapshot moves from dashboards to tiles, by state only: its table
(dashboards_heatmapsnapshot, made by dashboards 0003) stays where it is, rows included.
dashboards 0005 removes it from the dashboards' state."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tiles", "0002_tile_purge_log"),
        ("dashboards", "0003_heatmap_snapshot"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HeatmapSnapshot",
                    fields=[
                        ("community_id", models.BigIntegerField(primary_key=True, serialize=False)),
                        ("loaded_at", models.DateTimeField()),
                        ("high_water", models.FloatField()),
                        ("rows", models.PositiveIntegerField()),
                        ("columns", models.BinaryField()),
                    ],
                    options={"db_table": "dashboards_heatmapsnapshot"},
                ),
            ],
            database_operations=[],
        ),
    ]
