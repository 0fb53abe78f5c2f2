-- Staging table of one street import (per session, dropped at commit); geometries already in
-- the storage SRID, split at intersections.
DROP TABLE IF EXISTS pg_temp.streets_staging;
CREATE TEMP TABLE streets_staging (
    idx integer NOT NULL,
    external_id text NOT NULL,
    name text NOT NULL,
    highway text NOT NULL,
    kind text NOT NULL,
    oneway boolean NOT NULL,
    geom geometry(LineString) NOT NULL
) ON COMMIT DROP;
