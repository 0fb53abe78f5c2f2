# Photo thumbnails now live in interventions (interventions/migrations/0008_photo_thumbnail):
# the rows are copied there (same files, same names), then this app's table is dropped.

from django.db import migrations

COPY = """
INSERT INTO interventions_photothumbnail (photo_id, file, width, height, size_bytes)
SELECT photo_id, file, width, height, size_bytes FROM agent_photothumbnail
ON CONFLICT (photo_id) DO NOTHING
"""
COPY_BACK = """
INSERT INTO agent_photothumbnail (photo_id, file, width, height, size_bytes)
SELECT photo_id, file, width, height, size_bytes FROM interventions_photothumbnail;
DELETE FROM interventions_photothumbnail
"""


class Migration(migrations.Migration):
    dependencies = [
        ("agent", "0001_sync_audit_thumbnails"),
        ("interventions", "0008_photo_thumbnail"),
    ]

    operations = [
        # Backwards, DeleteModel recreates this table first, then the rows move back.
        migrations.RunSQL(COPY, reverse_sql=COPY_BACK),
        migrations.DeleteModel(name="PhotoThumbnail"),
    ]
