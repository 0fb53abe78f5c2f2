-- Features that were repaired, cannot be repaired, or lie outside the territory.
SELECT idx,
       ext_id,
       CASE
           WHEN geom IS NULL OR ST_IsEmpty(geom) THEN 'unrepairable'
           WHEN NOT inside THEN 'outside'
           ELSE 'repaired'
       END AS problem,
       CASE WHEN invalid THEN ST_IsValidReason(geom_src) END AS reason
FROM import_staging
WHERE invalid OR NOT inside
ORDER BY idx;
