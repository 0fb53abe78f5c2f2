"""The table of the shared Django cache (production CACHES: DatabaseCache "ronde_cache").

What `manage.py createcachetable` would create, in a migration so every path that migrates
(Makefile, Dockerfile, docker-compose, tests) has it: the per-key Open311 rate limit must be
counted once for all gunicorn workers, not per process.
"""

from django.db import migrations

CREATE = """
CREATE TABLE IF NOT EXISTS "ronde_cache" (
    "cache_key" varchar(255) NOT NULL PRIMARY KEY,
    "value" text NOT NULL,
    "expires" timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS "ronde_cache_expires" ON "ronde_cache" ("expires");
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_drop_duplicate_spatial_index")]

    operations = [migrations.RunSQL(CREATE, reverse_sql='DROP TABLE IF EXISTS "ronde_cache";')]
