"""The tile cache: gzip-compressed vector tiles, one row per (layer, community, z/x/y, filters).

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
