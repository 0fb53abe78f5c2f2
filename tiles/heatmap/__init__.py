"""Kernel-density heatmaps of the interventions: PNG tiles, legend, GeoTIFF export.

By role, each module importing only those listed before it:
points (the sorted numpy columns a heatmap is drawn from), filters (what to draw, parsed
from the query string), merge (changed rows folded into the points without a full sort),
bins (points into pixel grids, from memory or in SQL), store (each worker's points, loaded,
snapshotted and refreshed off the request path), render (blur, colour, PNG, GeoTIFF,
ETags), views (the /tiles/heatmap… endpoints).
"""
