"""Kernel-density heatmaps of the interventions: PNG tiles, legend, GeoTIFF export.

By role, each module importing only those listed before it:
points (the sorted numpy columns a heatmap is drawn from), filters (what to draw, parsed
from the query string), merge (changed rows folded into the points without a full sort),
bins (points into pixel grids, from memory or in SQL), snapfile (the points as a file every
worker of a machine maps), loader (the points read from the database: full load, changes
since, the database snapshot), store (the points each worker serves, shared through the file
and refreshed off the request path), render (blur, colour, PNG, GeoTIFF,
ETags), views (the /tiles/heatmap… endpoints).
"""
