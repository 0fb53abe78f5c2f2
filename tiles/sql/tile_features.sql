-- One source-layer of a tile as features (template: {name}, {source}, {columns} are filled
-- once at import from the layer declarations, never from a request).
-- Rows in the tile envelope widened by the buffer, at most %(cap)s; geometry in tile
-- coordinates (extent 4096, buffer %(buffer)s units). Points are not clipped: every selected
-- row is a feature (clipping drops points the float4 index box let in just past the buffer).
src_{name} AS MATERIALIZED (
  SELECT * FROM (
{source}
  ) AS s
  LIMIT %(cap)s
),
mvt_{name} AS (
  SELECT ST_AsMVT(t, '{name}', 4096, 'geom', 'id') AS tile
  FROM (
    SELECT s.id, ST_AsMVTGeom(s.geom, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, %(buffer)s, %(clip)s OR GeometryType(s.geom) <> 'POINT') AS geom{columns}
    FROM src_{name} AS s
  ) AS t
  WHERE t.geom IS NOT NULL
),
stats_{name} AS (
  SELECT count(*) AS n, max(s.updated_at) AS stamp FROM src_{name} AS s
)
