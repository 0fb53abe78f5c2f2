from django.contrib.postgres.operations import CreateExtension
from django.db import migrations


class Migration(migrations.Migration):
    """The first migration: PostGIS for geometry, pgRouting for rounds on the street network."""

    initial = True
    dependencies: list = []
    operations = [CreateExtension("postgis"), CreateExtension("pgrouting")]
