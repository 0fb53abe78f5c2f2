"""The tile cache, and the heatmap's point snapshot.

TileCacheEntry: gzip-compressed vector tiles, one row per (layer, community, z/x/y, filters).
The table is UNLOGGED (see the migration): it is a cache, losing it on a crash costs only
regeneration, and skipping the WAL halves the cost of filling it. Every web worker shares it,
so a purge after a write reaches all of them at once.
"""

from django.db import models


class TileCacheEntry(models.Model):
    layer = models.CharField(max_length=32)
    # No foreign key: a cache row must never block or slow a write to the community.
    community_id = models.BigIntegerField()
    z = models.PositiveSmallIntegerField()
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    # Digest of the normalised filters ("" for none), so each filter set has its own tile.
    variant = models.CharField(max_length=40, blank=True, default="")
    etag = models.CharField(max_length=64)
    features = models.PositiveIntegerField(default=0)
    # gzip of the MVT bytes; empty for an empty tile (served as 204).
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community_id", "layer", "z", "x", "y", "variant"], name="tile_cache_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.layer}/{self.z}/{self.x}/{self.y} ({self.community_id})"


class HeatmapSnapshot(models.Model):
    """The heatmap point store of a community (tiles/heatmap/store.py) as its workers last
    loaded it: fixed-width numpy columns, already sorted. A worker's cold start reads this
    one row (~32 MB at 1M points, ~0.1 s) and merges the rows changed since `high_water`,
    instead of decoding a million COPY rows (~2.5 s); any worker that loads from the
    interventions writes it back. Read and written by raw SQL (tiles/heatmap/sql/snapshot_*).
    """

    community_id = models.BigIntegerField(primary_key=True)
    loaded_at = models.DateTimeField()  # when the points were read from the interventions
    high_water = models.FloatField()  # max(updated_at) of those rows, epoch seconds
    rows = models.PositiveIntegerField()
    # One byte string per column, little-endian (names and dtypes: tiles/heatmap/store.py _SNAPSHOT).
    columns = models.BinaryField()

    class Meta:
        # Created by dashboards/migrations/0003_heatmap_snapshot when the model lived there;
        # moved here by state only (tiles 0003, dashboards 0005): no data moved.
        db_table = "dashboards_heatmapsnapshot"

    def __str__(self) -> str:
        return f"heatmap points of {self.community_id} @ {self.loaded_at}"
