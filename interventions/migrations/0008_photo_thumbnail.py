# Photo thumbnails move here from the field app (agent): every photo, whatever its source,
# goes through one pipeline in interventions/services/photos.py. agent's 0002 copies the
# existing rows over and drops its table.

import django.db.models.deletion
from django.db import migrations, models

import interventions.models.photos


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0007_mission_template_weekdays"),
    ]

    operations = [
        migrations.CreateModel(
            name="PhotoThumbnail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "file",
                    models.ImageField(
                        max_length=300, upload_to=interventions.models.photos.thumbnail_path, verbose_name="file"
                    ),
                ),
                ("width", models.PositiveIntegerField()),
                ("height", models.PositiveIntegerField()),
                ("size_bytes", models.PositiveIntegerField()),
                (
                    "photo",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="thumbnail",
                        to="interventions.photo",
                    ),
                ),
            ],
            options={
                "verbose_name": "photo thumbnail",
                "verbose_name_plural": "photo thumbnails",
            },
        ),
    ]
