-- One source-layer of points as features (template, as tile_features.sql; used for layers
-- declared `point_rows`): the same rows, geometries and bytes, at less cost per point. Each point
-- goes to tile coordinates by the affine ST_AsMVTGeom applies (x·fx − xmin·fx, y·fy − ymax·fy,
-- fx = 4096 / width, fy = −4096 / height, then rounded half to even as its grid snap does),
-- without its generic geometry machinery; and the MVT, the count and the stamp come from one
-- pass over the rows, not from a materialised copy read twice (~25 % of a dense tile's time;
-- benchmarks/tiles.py). Points are not clipped: every selected row is a feature.
env_{name} AS (
  SELECT ST_XMin(b) AS x0, ST_YMax(b) AS y1,
         4096 / (ST_XMax(b) - ST_XMin(b)) AS fx, -(4096 / (ST_YMax(b) - ST_YMin(b))) AS fy
  FROM (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s)::box2d AS b) AS e
),
src_{name} AS (
  SELECT * FROM (
{source}
  ) AS s
  LIMIT %(cap)s
),
agg_{name} AS (
  SELECT ST_AsMVT(f, '{name}', 4096, 'geom', 'id') AS tile, count(*) AS n, max(s.updated_at) AS stamp
  FROM src_{name} AS s
  CROSS JOIN env_{name} AS e
  CROSS JOIN LATERAL (
    SELECT s.id,
           ST_Point(round(ST_X(s.geom) * e.fx + -e.x0 * e.fx), round(ST_Y(s.geom) * e.fy + -e.y1 * e.fy)) AS geom{columns}
  ) AS f
),
mvt_{name} AS (
  SELECT tile FROM agg_{name}
),
stats_{name} AS (
  SELECT n, stamp FROM agg_{name}
)
