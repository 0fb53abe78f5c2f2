-- Staging table of one import (per session, dropped at commit). Geometries arrive in the
-- source CRS as EWKB (geom_src); import_transform.sql fills geom in the storage SRID.
DROP TABLE IF EXISTS pg_temp.import_staging;
CREATE TEMP TABLE import_staging (
    idx integer NOT NULL,          -- 0-based position of the feature in the source layer
    ext_id text NOT NULL,          -- external id ('' when the source has none)
    geom_src geometry,             -- source CRS, possibly 3D, possibly invalid
    f jsonb NOT NULL,              -- mapped, cleaned field values
    attrs jsonb NOT NULL,          -- unmapped columns (assets, zones)
    geom geometry,                 -- storage SRID, 2D, valid
    invalid boolean NOT NULL DEFAULT false,
    inside boolean NOT NULL DEFAULT false
) ON COMMIT DROP;
