-- One source-layer of a tile aggregated into a grid (template, filled at import).
-- Cells of %(cell)s metres (EPSG:3857) from the tile's corner (%(ox)s, %(oy)s); one point
-- per non-empty cell at the mean position of its rows, with `count`. No cap: every row counts.
src_{name} AS (
{source}
),
cells_{name} AS (
  SELECT floor(((ST_XMin(s.geom) + ST_XMax(s.geom)) / 2 - %(ox)s) / %(cell)s) AS ix,
         floor(((ST_YMin(s.geom) + ST_YMax(s.geom)) / 2 - %(oy)s) / %(cell)s) AS iy,
         avg((ST_XMin(s.geom) + ST_XMax(s.geom)) / 2) AS cx,
         avg((ST_YMin(s.geom) + ST_YMax(s.geom)) / 2) AS cy,
         count(*) AS n,
         max(s.updated_at) AS stamp
  FROM src_{name} AS s
  GROUP BY 1, 2
),
mvt_{name} AS (
  SELECT ST_AsMVT(t, '{name}', 4096, 'geom') AS tile
  FROM (
    SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.cx, c.cy), 3857),
                        ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 0, true) AS geom,
           c.n::integer AS count
    FROM cells_{name} AS c
  ) AS t
  WHERE t.geom IS NOT NULL
),
stats_{name} AS (
  SELECT coalesce(sum(c.n), 0) AS n, max(c.stamp) AS stamp FROM cells_{name} AS c
)
