-- Source CRS -> storage SRID %(srid)s (metres), 2D. An invalid geometry is repaired with
-- ST_MakeValid, keeping the layer's dimension %(dim)s (1 points, 2 lines, 3 polygons): a
-- polygon that collapses to a line comes out empty and is reported as unrepairable.
UPDATE import_staging
SET invalid = NOT ST_IsValid(geom_src),
    geom = CASE
        WHEN ST_IsValid(geom_src) THEN ST_Transform(ST_Force2D(geom_src), %(srid)s)
        ELSE ST_CollectionExtract(ST_MakeValid(ST_Transform(ST_Force2D(geom_src), %(srid)s)), %(dim)s)
    END
WHERE geom_src IS NOT NULL;
