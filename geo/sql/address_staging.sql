-- One address file, as read (geo/io/addresses.py), before it is checked and placed.
DROP TABLE IF EXISTS pg_temp.address_staging;
CREATE TEMP TABLE address_staging (
    line integer NOT NULL,
    ban_id text NOT NULL,
    number integer NOT NULL,
    suffix text NOT NULL,
    street text NOT NULL,
    postcode text NOT NULL,
    commune text NOT NULL,
    insee text NOT NULL,
    lon double precision,  -- WGS84 degrees
    lat double precision,
    x double precision,    -- metres, Lambert-93 unless told otherwise
    y double precision
) ON COMMIT DROP;
